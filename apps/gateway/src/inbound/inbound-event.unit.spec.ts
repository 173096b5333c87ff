import { createHash } from 'node:crypto';
import type { VerifiedInbound } from './verification';
import {
  inboundEventId,
  inlineBody,
  receivedEvent,
  rejectedEvent,
  storedBody,
  type ReceivedDelivery,
} from './inbound-event';

const INTEGRATION = {
  id: 'c0ffee00-0000-4000-8000-000000000001',
  provider: 'github',
  project: 'KER',
} as const;

function delivery(): ReceivedDelivery {
  const verified: VerifiedInbound = {
    ok: true,
    provider: 'github',
    event: 'push',
    delivery_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
    content_type: 'application/json',
    payload: {},
    kept_headers: { 'x-github-event': 'push' },
  };
  return {
    integration: INTEGRATION,
    verified,
    sourceIp: '203.0.113.7',
    receivedAt: new Date('2026-04-24T10:30:00.000Z'),
    correlationId: 'request-1',
  };
}

describe('inbound events', () => {
  it('gives one delivery of one integration always the same UUID-shaped event id', () => {
    const id = inboundEventId(INTEGRATION.id, 'delivery-1');

    expect(inboundEventId(INTEGRATION.id, 'delivery-1')).toBe(id);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('gives the same delivery id at another integration another event id', () => {
    expect(inboundEventId('integration-a', 'delivery-1')).not.toBe(
      inboundEventId('integration-b', 'delivery-1'),
    );
  });

  it('keeps a UTF-8 body as text, byte order mark and all', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"a":"é ✓"}\r\n')]);
    const placed = inlineBody(body);

    expect(placed.body_encoding).toBe('utf8');
    expect(Buffer.from(placed.body ?? '', 'utf8').equals(body)).toBe(true);
    expect(placed.body_sha256).toBe(createHash('sha256').update(body).digest('hex'));
  });

  it('keeps a body that is not UTF-8 as base64', () => {
    const body = Buffer.from([0x7b, 0xff, 0xfe, 0x7d]);
    const placed = inlineBody(body);

    expect(placed.body_encoding).toBe('base64');
    expect(Buffer.from(placed.body ?? '', 'base64').equals(body)).toBe(true);
  });

  it('names the stored object and its size instead of carrying a large body', () => {
    const body = Buffer.alloc(600_000, 0x61);

    expect(storedBody(body, 'KERA_INBOUND_BODIES', 'event-1')).toEqual({
      body: null,
      body_encoding: null,
      body_object: { bucket: 'KERA_INBOUND_BODIES', name: 'event-1', size: 600_000 },
      body_sha256: createHash('sha256').update(body).digest('hex'),
    });
  });

  it('builds kera.inbound.received with the event id, the integration and the kept headers', () => {
    const event = receivedEvent('event-1', delivery(), inlineBody(Buffer.from('{}')));

    expect(event).toMatchObject({
      id: 'event-1',
      type: 'kera.inbound.received',
      source: 'kera/gateway',
      subject: INTEGRATION.id,
      time: '2026-04-24T10:30:00.000Z',
      correlationid: 'request-1',
      data: {
        integration_id: INTEGRATION.id,
        provider: 'github',
        project: 'KER',
        event: 'push',
        delivery_id: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
        headers: { 'x-github-event': 'push' },
        body: '{}',
        source_ip: '203.0.113.7',
        received_at: '2026-04-24T10:30:00.000Z',
      },
    });
  });

  it('builds kera.inbound.rejected without a body, for a URL that named no integration', () => {
    const event = rejectedEvent({
      integration: null,
      status: 404,
      reason: 'unknown_url',
      detail: 'there is no webhook at this URL',
      claimed: { event: null, delivery_id: null },
      sourceIp: null,
      receivedAt: new Date('2026-04-24T10:30:00.000Z'),
      correlationId: 'request-2',
    });

    expect(event.type).toBe('kera.inbound.rejected');
    expect(event.correlationid).toBe('request-2');
    expect(event.data).toEqual({
      status: 404,
      reason: 'unknown_url',
      integration_id: null,
      provider: null,
      event: null,
      delivery_id: null,
      source_ip: null,
      received_at: '2026-04-24T10:30:00.000Z',
      detail: 'there is no webhook at this URL',
    });
  });
});
