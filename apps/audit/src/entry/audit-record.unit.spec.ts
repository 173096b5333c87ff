import { EventTypes, createEvent } from '@kera/contracts';
import { REDACTED } from '@kera/domain';
import {
  MAX_INDEXED_LENGTH,
  UNREADABLE_TYPE,
  toAuditRecord,
  type SourceMessage,
} from './audit-record';
import { redactSecrets } from './redact';

const STORED_AT = new Date('2026-04-24T10:30:05.000Z');
const NUL = String.fromCharCode(0);

function message(body: unknown, seq = 3): SourceMessage {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return {
    stream: 'KERA_TICKETS',
    seq,
    subject: 'kera.evt.ticket.KER.KER-1',
    data: Buffer.from(text),
    storedAt: STORED_AT,
  };
}

function event(type: string, data: unknown, subject = 'KER-1') {
  return createEvent({
    type,
    source: 'kera/test',
    subject,
    data,
    id: 'e-1',
    correlationId: 'c-1',
    time: new Date('2026-04-24T10:30:00.000Z'),
  });
}

describe('toAuditRecord', () => {
  it('keeps the envelope fields and finds ticket, integration and actor', () => {
    const record = toAuditRecord(
      message(
        event(EventTypes.ticketTransitioned, {
          ticket_id: 'KER-1',
          actor: 'max@example.com',
          integration_id: 'int-1',
          to_state: 'done',
        }),
      ),
    );

    expect(record).toEqual({
      stream: 'KERA_TICKETS',
      stream_seq: 3,
      event_id: 'e-1',
      type: EventTypes.ticketTransitioned,
      time: '2026-04-24T10:30:00.000Z',
      ticket_id: 'KER-1',
      integration_id: 'int-1',
      actor: 'max@example.com',
      correlation_id: 'c-1',
      payload: {
        ticket_id: 'KER-1',
        actor: 'max@example.com',
        integration_id: 'int-1',
        to_state: 'done',
      },
    });
  });

  it('takes the ticket of a delivery outcome from the subject when the data lacks it', () => {
    const record = toAuditRecord(message(event(EventTypes.deliveryFailed, {}, 'KER-9')));

    expect(record.ticket_id).toBe('KER-9');
  });

  it('stores workflow YAML redacted by the workflow parser, never its secrets', () => {
    const yaml = [
      'transitions:',
      '  - from: a',
      '    to: b',
      '    actions:',
      '      - type: send_webhook',
      '        url: https://ci.example.com/hook',
      '        secret: "whsec_live_secret"',
      '        headers: {Authorization: "Bearer live_token"}',
      '',
    ].join('\n');
    const record = toAuditRecord(
      message(event(EventTypes.workflowUpdated, { project: 'KER', version: 2, yaml })),
    );

    const kept = JSON.stringify(record.payload);
    expect(kept).not.toContain('whsec_live_secret');
    expect(kept).not.toContain('live_token');
    expect((record.payload as { yaml: string }).yaml).toContain('https://ci.example.com/hook');
  });

  it('keeps an accepted inbound body exactly, as base64 when it holds a NUL', () => {
    const plain = toAuditRecord(
      message(
        event(EventTypes.inboundReceived, {
          integration_id: 'int-1',
          body: '{"action":"opened","n":1.0}',
          body_encoding: 'utf8',
          headers: { 'x-github-event': 'pull_request' },
        }),
      ),
    );
    expect(plain.payload).toMatchObject({ body: '{"action":"opened","n":1.0}' });

    const withNul = toAuditRecord(
      message(event(EventTypes.inboundReceived, { body: `a${NUL}b`, body_encoding: 'utf8' })),
    );
    expect(withNul.payload).toMatchObject({
      body: Buffer.from(`a${NUL}b`).toString('base64'),
      body_encoding: 'base64',
    });
  });

  it('keeps no body of a rejected inbound request', () => {
    const record = toAuditRecord(
      message(
        event(EventTypes.inboundRejected, {
          status: 401,
          reason: 'signature mismatch',
          body: 'should not be here',
          body_object: { bucket: 'b', name: 'n', size: 1 },
        }),
      ),
    );

    expect(record.payload).toEqual({ status: 401, reason: 'signature mismatch' });
  });

  it('keeps a message that is not a Kera event whole, as base64', () => {
    const record = toAuditRecord(message('not json at all', 11));

    expect(record).toMatchObject({
      event_id: 'KERA_TICKETS:11',
      type: UNREADABLE_TYPE,
      time: STORED_AT.toISOString(),
      payload: {
        subject: 'kera.evt.ticket.KER.KER-1',
        raw_base64: Buffer.from('not json at all').toString('base64'),
      },
    });
  });

  it('keeps an event with an id too long for the index as an unreadable message', () => {
    const long = { ...event(EventTypes.ticketCreated, {}), id: 'x'.repeat(MAX_INDEXED_LENGTH + 1) };

    expect(toAuditRecord(message(long)).type).toBe(UNREADABLE_TYPE);
  });

  it('keeps an event nested too deep as an unreadable message', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200; i += 1) deep = { d: deep };

    expect(toAuditRecord(message(event(EventTypes.ticketUpdated, deep))).type).toBe(
      UNREADABLE_TYPE,
    );
  });

  it('uses the time JetStream stored the message when the event time is unreadable', () => {
    const broken = { ...event(EventTypes.ticketCreated, {}), time: 'some day' };

    expect(toAuditRecord(message(broken)).time).toBe(STORED_AT.toISOString());
  });

  it('shortens filter values to what an index holds and makes them storable', () => {
    const record = toAuditRecord(
      message(
        event(EventTypes.ticketUpdated, { actor: `${'a'.repeat(300)}`, ticket_id: `K${NUL}` }),
      ),
    );

    expect(record.actor).toHaveLength(MAX_INDEXED_LENGTH);
    expect(record.ticket_id).toBe('K\ufffd');
  });
});

describe('redactSecrets', () => {
  it('returns the value itself when it holds no credential', () => {
    const clean = { ticket_id: 'KER-1', fields: { labels: ['a'], url: 'https://example.com/x' } };

    expect(redactSecrets(clean)).toBe(clean);
  });

  it('blanks credential keys at any depth and passwords in URLs', () => {
    expect(
      redactSecrets({
        secret: 's',
        client_secret: 's',
        access_token: 't',
        headers: { Authorization: 'Bearer x', 'X-Hub-Signature-256': 'sha256=…', Accept: 'json' },
        actions: [{ api_key: 'k', url: 'https://user:pa55@hooks.example.com/x' }],
        token_count: 3,
        title: 'token rotation',
      }),
    ).toEqual({
      secret: REDACTED,
      client_secret: REDACTED,
      access_token: REDACTED,
      headers: { Authorization: REDACTED, 'X-Hub-Signature-256': REDACTED, Accept: 'json' },
      actions: [{ api_key: REDACTED, url: 'https://user:%5Bredacted%5D@hooks.example.com/x' }],
      token_count: 3,
      title: 'token rotation',
    });
  });
});
