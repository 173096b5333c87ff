import { EventTypes, createEvent, type DeliveryRequestedData } from '@kera/contracts';
import {
  derivedId,
  msUntilDue,
  parseDeliveryRequest,
  requestEvent,
  retryDelayMs,
} from './delivery-request';

const data: DeliveryRequestedData = {
  delivery_id: 'dlv_abcdefghijklmnopqrstuvwxyz',
  ticket_id: 'KER-42',
  event_id: 'a1b2',
  event_seq: 7,
  action_index: 0,
  url: 'https://hooks.example.com/x',
  reason: 'transition',
  round: 1,
  not_before: null,
  actor: null,
};

describe('delivery requests', () => {
  it('reads back a request it wrote', () => {
    const event = requestEvent('req-1', data, { correlationId: 'corr', causationId: 'a1b2' });

    expect(parseDeliveryRequest(event)).toEqual({ id: 'req-1', correlationId: 'corr', data });
  });

  it.each([
    ['a delivery id that deliveryId cannot make', { delivery_id: 'dlv_NOPE' }],
    ['a ticket id of the wrong form', { ticket_id: 'ker-42' }],
    ['a stream sequence of 0', { event_seq: 0 }],
    ['a negative action index', { action_index: -1 }],
    ['an unknown reason', { reason: 'because' }],
    ['a not_before that is no time', { not_before: 'soon' }],
    ['a missing url', { url: undefined }],
  ])('refuses a request with %s', (_name, change) => {
    const event = requestEvent('req-1', { ...data, ...change } as DeliveryRequestedData, {
      correlationId: 'c',
      causationId: 'c',
    });

    expect(parseDeliveryRequest(event)).toBeNull();
  });

  it('refuses events of other types and non-events', () => {
    const other = createEvent({ type: EventTypes.deliveryFailed, source: 's', subject: 'x', data });

    expect(parseDeliveryRequest(other)).toBeNull();
    expect(parseDeliveryRequest(null)).toBeNull();
  });

  it('derives the same version 8 UUID from the same name, and another from another', () => {
    const id = derivedId('dlv_x:transition');

    expect(id).toBe(derivedId('dlv_x:transition'));
    expect(id).not.toBe(derivedId('dlv_y:transition'));
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('backs retries off exponentially from 1 s, with up to half of each delay random', () => {
    const least = [1, 2, 3, 4].map((round) => retryDelayMs(round, () => 0));
    const most = [1, 2, 3, 4].map((round) => retryDelayMs(round, () => 1));

    expect(least).toEqual([500, 1000, 2000, 4000]);
    expect(most).toEqual([1000, 2000, 4000, 8000]);
    expect(retryDelayMs(30, () => 1)).toBe(10 * 60_000);
  });

  it('is due at once without not_before, and after it otherwise', () => {
    const now = Date.parse('2026-04-24T10:30:00Z');

    expect(msUntilDue(data, now)).toBe(0);
    expect(msUntilDue({ ...data, not_before: '2026-04-24T10:30:02Z' }, now)).toBe(2000);
    expect(msUntilDue({ ...data, not_before: '2026-04-24T10:29:00Z' }, now)).toBe(0);
  });
});
