import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@kera/persistence';
import { dropDatabase } from '@kera/testing';
import { deliveryStats } from './delivery-stats';

const SERVER = 'postgres://postgres@127.0.0.1:5432';

describe('delivery statistics from the deliveries table', () => {
  const name = `kera_stats_${randomBytes(4).toString('hex')}`;
  let db: DataSource;
  let row = 0;

  const insert = (status: 'succeeded' | 'failed', attemptedAt: string) => {
    row += 1;
    return db.query(
      `INSERT INTO deliveries (outcome_event_id, delivery_id, attempt, event_id, ticket_id,
         action_index, url, status, status_code, duration_ms, attempted_at)
       VALUES ($1, $2, 1, 'evt', 'KER-1', 0, 'http://127.0.0.1/hook', $3, 200, 5, $4)`,
      [`outcome-${row}`, `dlv-${row}`, status, attemptedAt],
    );
  };

  beforeAll(async () => {
    db = await openDatabase({ url: `${SERVER}/${name}` });
  });

  afterAll(async () => {
    await db?.destroy();
    await dropDatabase(`${SERVER}/${name}`);
  });

  it('counts successes and failures per bucket, zero-filled, ending at the current bucket', async () => {
    await insert('succeeded', '2026-04-24T09:55:00Z'); // before the range
    await insert('succeeded', '2026-04-24T10:01:10Z');
    await insert('failed', '2026-04-24T10:01:50Z');
    await insert('succeeded', '2026-04-24T10:01:59.999Z');
    await insert('failed', '2026-04-24T10:03:00Z');
    await insert('succeeded', '2026-04-24T10:05:00Z'); // after "now"

    const stats = await deliveryStats(
      db,
      { bucket: '1m', buckets: 4 },
      new Date('2026-04-24T10:03:30Z'),
    );

    expect(stats).toEqual({
      bucket: '1m',
      bucket_seconds: 60,
      since: '2026-04-24T10:00:00.000Z',
      until: '2026-04-24T10:04:00.000Z',
      items: [
        { start: '2026-04-24T10:00:00.000Z', succeeded: 0, failed: 0 },
        { start: '2026-04-24T10:01:00.000Z', succeeded: 2, failed: 1 },
        { start: '2026-04-24T10:02:00.000Z', succeeded: 0, failed: 0 },
        { start: '2026-04-24T10:03:00.000Z', succeeded: 0, failed: 1 },
      ],
      totals: { succeeded: 2, failed: 2 },
    });
  });

  it('groups the same rows into larger buckets', async () => {
    const stats = await deliveryStats(
      db,
      { bucket: '1h', buckets: 2 },
      new Date('2026-04-24T10:30:00Z'),
    );

    expect(stats.items).toEqual([
      { start: '2026-04-24T09:00:00.000Z', succeeded: 1, failed: 0 },
      { start: '2026-04-24T10:00:00.000Z', succeeded: 3, failed: 2 },
    ]);
  });
});
