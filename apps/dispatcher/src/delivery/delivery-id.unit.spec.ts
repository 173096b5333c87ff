import { deliveryId } from './delivery-id';

describe('deliveryId', () => {
  it('is dlv_ and 26 lowercase base32 characters of SHA-256(eventId:index)', () => {
    // Pinned: receivers deduplicate on these ids, so they must never change between releases.
    expect(deliveryId('evt_01JABCDEF', 0)).toBe('dlv_pypmnjayrdetgqeib5f37uviaf');
    expect(deliveryId('evt_01JABCDEF', 1)).toBe('dlv_v2xb3a34fcxmtfitt7byu4ugw2');
  });

  it('gives the same id for the same action of the same transition every time', () => {
    const ids = Array.from({ length: 5 }, () => deliveryId('4f8a7c1e-event', 2));

    expect(new Set(ids).size).toBe(1);
    expect(ids[0]).toMatch(/^dlv_[a-z2-7]{26}$/);
  });

  it('differs between actions of one transition and between transitions', () => {
    const ids = [
      deliveryId('evt-1', 0),
      deliveryId('evt-1', 1),
      deliveryId('evt-2', 0),
      deliveryId('evt-1:1', 0),
      deliveryId('evt-1', 10),
    ];

    expect(new Set(ids).size).toBe(ids.length);
  });

  it.each([
    ['', 0, /eventId must not be empty/],
    ['evt', -1, /actionIndex must be a non-negative integer, got -1/],
    ['evt', 1.5, /actionIndex must be a non-negative integer, got 1.5/],
    ['evt', Number.NaN, /actionIndex must be a non-negative integer, got NaN/],
  ])('rejects event id %j with index %p', (eventId, index, message) => {
    expect(() => deliveryId(eventId, index)).toThrow(message);
  });
});
