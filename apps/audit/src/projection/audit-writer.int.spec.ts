import type { Client } from 'pg';
import {
  appendInBatches,
  openAuditTestDatabase,
  record,
  type AuditTestDatabase,
} from '../audit-test-helpers.spec';
import { AuditVerifyService } from '../verify/audit-verify.service';
import { CheckpointMovedError, appendRecords, openCheckpoint } from './audit-writer';

jest.setTimeout(60_000);

describe('appendRecords', () => {
  let database: AuditTestDatabase;
  let client: Client;

  beforeAll(async () => {
    database = await openAuditTestDatabase();
    client = await database.client();
  });

  afterAll(async () => {
    await database?.close();
  });

  const entries = async (stream: string) =>
    (
      await client.query(
        'SELECT seq, stream_seq, event_id, prev_hash, hash FROM audit_entries WHERE stream = $1 ORDER BY seq',
        [stream],
      )
    ).rows;

  it('stores a batch in stream order with its checkpoint and the new chain head', async () => {
    const stream = 'S_ORDER';
    await openCheckpoint(client, stream);
    const result = await appendRecords(client, {
      stream,
      after: 0,
      records: [1, 2, 3].map((seq) => record(seq, { stream, event_id: `order-${seq}` })),
    });

    const rows = await entries(stream);
    expect(rows.map((row) => Number(row.stream_seq))).toEqual([1, 2, 3]);
    expect(rows[1].prev_hash).toBe(rows[0].hash);
    expect(rows[2].prev_hash).toBe(rows[1].hash);
    expect(result).toMatchObject({ written: 3, duplicates: 0, checkpoint: 3 });
    expect(await openCheckpoint(client, stream)).toBe(3);
    const head = (await client.query('SELECT seq, hash FROM audit_chain_head')).rows[0];
    expect({ seq: Number(head.seq), hash: head.hash }).toEqual(result.head);
  });

  it('refuses a batch whose checkpoint moved meanwhile, so a replayed batch is stored once', async () => {
    const stream = 'S_REPLAY';
    const batch = [1, 2].map((seq) => record(seq, { stream, event_id: `replay-${seq}` }));
    await openCheckpoint(client, stream);
    await appendRecords(client, { stream, after: 0, records: batch });

    await expect(appendRecords(client, { stream, after: 0, records: batch })).rejects.toThrow(
      CheckpointMovedError,
    );

    expect(await entries(stream)).toHaveLength(2);
    expect(await openCheckpoint(client, stream)).toBe(2);
  });

  it('skips an event id already in the trail or earlier in the batch and still moves on', async () => {
    const stream = 'S_DUPLICATES';
    await openCheckpoint(client, stream);
    await appendRecords(client, {
      stream,
      after: 0,
      records: [record(1, { stream, event_id: 'dup-a' })],
    });

    const result = await appendRecords(client, {
      stream,
      after: 1,
      records: [
        record(2, { stream, event_id: 'dup-a' }),
        record(3, { stream, event_id: 'dup-b' }),
        record(4, { stream, event_id: 'dup-b' }),
        record(5, { stream, event_id: 'dup-c' }),
      ],
    });

    expect(result).toMatchObject({ written: 2, duplicates: 2, checkpoint: 5 });
    expect((await entries(stream)).map((row) => row.event_id)).toEqual(['dup-a', 'dup-b', 'dup-c']);
  });

  it('never records an entry earlier than the one before, whatever the writer clock says', async () => {
    const stream = 'S_CLOCK';
    await openCheckpoint(client, stream);
    const at = (seq: number) =>
      appendRecords(client, {
        stream,
        after: seq - 1,
        records: [record(seq, { stream, event_id: `clock-${seq}` })],
        now: seq === 2 ? new Date('2001-01-01T00:00:00Z') : undefined,
      });
    await at(1);
    await at(2);

    const { rows } = await client.query(
      'SELECT recorded_at FROM audit_entries WHERE stream = $1 ORDER BY seq',
      [stream],
    );
    expect(rows[1].recorded_at.getTime()).toBe(rows[0].recorded_at.getTime());
  });

  it('chains writers of several streams writing at once into one intact trail', async () => {
    const second = await database.client();
    const make = (stream: string) =>
      Array.from({ length: 1200 }, (_, i) => record(i + 1, { stream, event_id: `${stream}-${i}` }));

    await Promise.all([
      appendInBatches(client, make('S_PARALLEL_A'), 100),
      appendInBatches(second, make('S_PARALLEL_B'), 100),
    ]);

    const verify = await new AuditVerifyService(database.db).verify();
    expect(verify.ok).toBe(true);
    const seqs = (await client.query('SELECT seq FROM audit_entries ORDER BY seq')).rows;
    expect(seqs.map((row) => Number(row.seq))).toEqual(seqs.map((_, i) => i + 1));
    for (const stream of ['S_PARALLEL_A', 'S_PARALLEL_B']) {
      const order = (await entries(stream)).map((row) => Number(row.stream_seq));
      expect(order).toEqual(order.map((_, i) => i + 1));
    }
  });
});
