import type { Client } from 'pg';
import { GENESIS, chainHash, storableJson } from '@kera/domain';
import {
  appendInBatches,
  openAuditTestDatabase,
  record,
  tamper,
  type AuditTestDatabase,
} from '../audit-test-helpers.spec';
import { ENTRY_COLUMNS, storedEntry } from '../query/stored-entry';
import { AuditVerifyService } from './audit-verify.service';

jest.setTimeout(60_000);

const NUL = String.fromCharCode(0);

/**
 * Each test gets a trail of its own: entries 1…count of one stream, with
 * payloads made storable as the projection makes them.
 */
async function trail(
  database: AuditTestDatabase,
  count: number,
  payload?: (seq: number) => unknown,
) {
  const client = await database.client();
  const records = Array.from({ length: count }, (_, i) =>
    record(i + 1, payload ? { payload: storableJson(payload(i + 1)) } : {}),
  );
  await appendInBatches(client, records, 7);
  return { client, verifier: new AuditVerifyService(database.db) };
}

describe('AuditVerifyService', () => {
  const opened: AuditTestDatabase[] = [];
  const open = async (count: number, payload?: (seq: number) => unknown) => {
    const database = await openAuditTestDatabase();
    opened.push(database);
    return trail(database, count, payload);
  };

  afterAll(async () => {
    await Promise.all(opened.map((database) => database.close()));
  });

  it('finds an intact trail ok and reports its head', async () => {
    const { client, verifier } = await open(20);

    const result = await verifier.verify();

    const last = (await client.query('SELECT hash FROM audit_entries WHERE seq = 20')).rows[0];
    expect(result).toEqual({ ok: true, entries: 20, head: { seq: 20, hash: last.hash } });
  });

  it('finds an empty trail ok', async () => {
    const { verifier } = await open(0);

    expect(await verifier.verify()).toEqual({ ok: true, entries: 0, head: GENESIS });
  });

  it('names the entry whose payload a superuser changed with the triggers off', async () => {
    const { client, verifier } = await open(30);
    await tamper(
      client,
      `UPDATE audit_entries SET payload = jsonb_set(payload, '{n}', '999') WHERE seq = 17`,
    );

    expect(await verifier.verify()).toMatchObject({
      ok: false,
      entries: 16,
      first_bad: { seq: 17, event_id: 'event-17', reason: 'its content does not match its hash' },
    });
  });

  it('notices a recorded time moved by one microsecond (triggers disabled on the table)', async () => {
    const { client, verifier } = await open(5);
    await client.query('ALTER TABLE audit_entries DISABLE TRIGGER ALL');
    await client.query(
      `UPDATE audit_entries SET recorded_at = recorded_at + interval '1 microsecond' WHERE seq = 3`,
    );
    await client.query('ALTER TABLE audit_entries ENABLE TRIGGER ALL');

    expect((await verifier.verify()).first_bad).toMatchObject({ seq: 3 });
  });

  it('names the entry after one whose hash was recomputed to match a change', async () => {
    const { client, verifier } = await open(10);
    await tamper(
      client,
      `UPDATE audit_entries SET actor = 'someone-else', hash = repeat('a', 64) WHERE seq = 4`,
    );

    expect((await verifier.verify()).first_bad).toMatchObject({ seq: 4 });

    // Even a correct hash for the changed entry breaks the link of the next one.
    const { rows } = await client.query('SELECT prev_hash FROM audit_entries WHERE seq = 4');
    const forged = await forgeHash(client, 4, rows[0].prev_hash);
    await tamper(client, 'UPDATE audit_entries SET hash = $1 WHERE seq = 4', [forged]);
    expect((await verifier.verify()).first_bad).toEqual({
      seq: 5,
      event_id: 'event-5',
      reason: 'its prev_hash is not the hash of the entry before it',
    });
  });

  it('notices an entry deleted in the middle and entries deleted at the end', async () => {
    const middle = await open(10);
    await tamper(middle.client, 'DELETE FROM audit_entries WHERE seq = 6');
    expect((await middle.verifier.verify()).first_bad).toEqual({
      seq: 6,
      event_id: null,
      reason: 'entry 6 is missing',
    });

    const tail = await open(10);
    await tamper(tail.client, 'DELETE FROM audit_entries WHERE seq > 8');
    expect(await tail.verifier.verify()).toMatchObject({
      ok: false,
      entries: 8,
      first_bad: { seq: 9, event_id: null, reason: 'entries 9 to 10 are missing' },
    });
  });

  it('finds payloads intact whatever jsonb does to numbers, escapes and odd characters', async () => {
    const payloads: unknown[] = [
      JSON.parse('{"one": 1.0, "thousand": 1e3, "tiny": 1.5e-7, "huge": 1e21}'),
      JSON.parse('{"big": 12345678901234567890, "unsafe": 9007199254740993, "neg": -0}'),
      JSON.parse('{"min": 5e-324, "max": 1.7976931348623157e308, "third": 0.30000000000000004}'),
      JSON.parse('{"escaped": "\\u00e9\\u2028\\ud83d\\ude80", "plain": "é\u2028🚀"}'),
      { nul: `a${NUL}b`, [`key${NUL}`]: 1, lone: 'x\ud800y', tab: 'a\tb', quote: '"\\' },
      JSON.parse('{"__proto__": {"x": 1}, "b": 1, "a": [true, false, null, {}, []]}'),
      { deep: { er: { est: [[[1, 2, { z: 'z', a: 'a' }]]] } }, empty: '' },
    ];
    const { verifier } = await open(payloads.length, (seq) => payloads[seq - 1]);

    expect(await verifier.verify()).toMatchObject({ ok: true, entries: payloads.length });
  });

  it('verifies from an archive anchor once older entries were moved out', async () => {
    const { client, verifier } = await open(12);

    // The operator's archive step (docs/audit.md): anchor the last archived entry, then remove.
    await client.query('BEGIN');
    await client.query(
      'INSERT INTO audit_anchors (seq, hash, location) SELECT seq, hash, $1 FROM audit_entries WHERE seq = 5',
      ['s3://audit-archive/2026-04.jsonl'],
    );
    await client.query('ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change');
    await client.query('DELETE FROM audit_entries WHERE seq <= 5');
    await client.query('ALTER TABLE audit_entries ENABLE TRIGGER audit_entries_no_change');
    await client.query('COMMIT');

    expect(await verifier.verify()).toMatchObject({ ok: true, entries: 7, head: { seq: 12 } });
  });

  it('refuses a trail whose first entries are gone without an anchor', async () => {
    const { client, verifier } = await open(6);
    await tamper(client, 'DELETE FROM audit_entries WHERE seq <= 2');

    expect(await verifier.verify()).toMatchObject({
      ok: false,
      entries: 0,
      first_bad: {
        seq: 3,
        event_id: 'event-3',
        reason: 'the trail starts at entry 3 and no archive anchor records entry 2',
      },
    });
  });
});

/** The hash a forger would compute for the changed entry `seq`. */
async function forgeHash(client: Client, seq: number, prevHash: string): Promise<string> {
  const { rows } = await client.query(`SELECT ${ENTRY_COLUMNS} FROM audit_entries WHERE seq = $1`, [
    seq,
  ]);
  const { prev_hash: _prev, hash: _hash, ...content } = storedEntry(rows[0]);
  return chainHash(prevHash, content);
}
