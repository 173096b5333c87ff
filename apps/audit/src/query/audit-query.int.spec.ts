import { connect, type NatsConnection } from 'nats';
import type { Client } from 'pg';
import { openAuditTestDatabase, type AuditTestDatabase } from '../audit-test-helpers.spec';
import { parseAuditQuery } from './audit-filter';
import { AuditQueryService, auditPageQuery, type AuditItem } from './audit-query.service';

jest.setTimeout(120_000);

const ROWS = 200_000;

interface PlanNode {
  'Node Type': string;
  'Rows Removed by Filter'?: number;
  Plans?: PlanNode[];
}

function nodes(plan: PlanNode): PlanNode[] {
  return [plan, ...(plan.Plans ?? []).flatMap(nodes)];
}

/**
 * A trail of 200,000 entries written straight in SQL (hashes are not
 * checked here): 2,000 tickets, 10 types, 50 integrations on every tenth
 * entry, 100 actors, one entry recorded per second from 2026-01-01.
 */
async function fillTrail(client: Client): Promise<void> {
  await client.query(`
    INSERT INTO audit_entries (seq, recorded_at, stream, stream_seq, event_id, type, time,
                               ticket_id, integration_id, actor, correlation_id, payload,
                               prev_hash, hash)
    SELECT n, t, 'S', n, 'e-' || n, 'kera.type.' || (n % 10), t,
           'KER-' || (n % 2000), CASE WHEN n % 10 = 3 THEN 'int-' || (n % 50) END,
           'user-' || (n % 100) || '@example.com', 'c-' || n, jsonb_build_object('n', n),
           md5(n::text) || md5(n::text), md5(n::text) || md5(n::text)
      FROM generate_series(1, ${ROWS}) AS n,
           LATERAL (SELECT timestamptz '2026-01-01T00:00:00Z' + n * interval '1 second') AS at(t)`);
  await client.query(`UPDATE audit_chain_head SET seq = ${ROWS}`);
  await client.query('ANALYZE audit_entries');
}

describe('AuditQueryService on a trail of 200,000 entries', () => {
  let database: AuditTestDatabase;
  let client: Client;
  let nc: NatsConnection;
  let service: AuditQueryService;

  beforeAll(async () => {
    database = await openAuditTestDatabase();
    client = await database.client();
    await fillTrail(client);
    nc = await connect({ servers: database.environment.natsUrl });
    service = new AuditQueryService(database.db, nc);
  });

  afterAll(async () => {
    await nc?.close();
    await database?.close();
  });

  const pages = async (query: Record<string, string>): Promise<AuditItem[][]> => {
    const found: AuditItem[][] = [];
    let after: string | null = null;
    do {
      const page = await service.query(after ? { ...query, after } : query);
      found.push(page.items);
      after = page.next;
    } while (after && found.length < 100);
    return found;
  };

  const queries: Record<string, string>[] = [
    {},
    { ticket: 'KER-42' },
    { type: 'kera.type.3' },
    { integration: 'int-13' },
    { actor: 'user-7@example.com' },
    { since: '2026-01-02T10:00:00Z' },
    { since: '2026-01-02T10:00:00Z', until: '2026-01-02T11:00:00Z' },
    { ticket: 'KER-42', since: '2026-01-02T00:00:00Z', limit: '10' },
    { type: 'kera.type.3', actor: 'user-3@example.com', after: 'YToxMDAwMDA' },
    { type: 'kera.type.3', since: '2026-01-02T10:00:00Z' },
    { actor: 'user-7@example.com', until: '2026-01-01T01:00:00Z' },
  ];

  it.each(queries)('answers %j from an index range, never a scan', async (query) => {
    const { sql, params } = auditPageQuery(parseAuditQuery(query), 1_000_000);
    const { rows } = await client.query(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`, params);
    const plan = nodes(rows[0]['QUERY PLAN'][0].Plan as PlanNode);
    const types = plan.map((node) => node['Node Type']);
    const removed = plan.reduce((sum, node) => sum + (node['Rows Removed by Filter'] ?? 0), 0);

    expect(types).not.toContain('Seq Scan');
    expect(types.some((type) => /Index/.test(type))).toBe(true);
    // The planner may walk the primary key and skip rows of other values when a value is
    // common (one type in ten); the work follows the page and the filter, never the table.
    expect(removed).toBeLessThan(ROWS / 20);
  });

  it('pages through a ticket with cursors, in trail order, without gaps or repeats', async () => {
    const found = await pages({ ticket: 'KER-42', limit: '30' });

    const seqs = found.flat().map((item) => item.seq);
    const expected = Array.from({ length: ROWS / 2000 }, (_, i) => 42 + i * 2000);
    expect(seqs).toEqual(expected);
    expect(found.map((page) => page.length)).toEqual([30, 30, 30, 10]);
  });

  it('combines type, integration, actor and time range', async () => {
    const found = await pages({
      type: 'kera.type.3',
      integration: 'int-13',
      actor: 'user-13@example.com',
      since: '2026-01-01T00:00:00Z',
      until: '2026-01-01T06:00:00Z',
    });

    // n % 10 = 3, n % 50 = 13, n % 100 = 13 and n < 21,600 seconds: n = 13, 113, 213, …
    const items = found.flat();
    expect(items.map((item) => item.seq)).toEqual(
      Array.from({ length: 216 }, (_, i) => 13 + i * 100),
    );
    expect(items[0]).toMatchObject({
      event_id: 'e-13',
      time: '2026-01-01T00:00:13.000Z',
      ticket_id: 'KER-13',
      integration_id: 'int-13',
      actor: 'user-13@example.com',
      payload: { n: 13 },
    });
  });

  it('ends a page before it outgrows one NATS reply and lists a too large payload without it', async () => {
    const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
    const sizes = [0.4, 0.4, 0.4, 0.4, 1.5, 0.1].map((share) => Math.floor(share * maxPayload));
    for (const [i, size] of sizes.entries()) {
      const seq = ROWS + 1 + i;
      await client.query(
        `INSERT INTO audit_entries (seq, recorded_at, stream, stream_seq, event_id, type, time,
                                    ticket_id, payload, prev_hash, hash)
         VALUES ($1, now(), 'S', $1, $3, 'kera.big', now(), 'BIG-1',
                 jsonb_build_object('blob', repeat('x', $2)), repeat('0', 64), repeat('0', 64))`,
        [seq, size, `big-${seq}`],
      );
    }

    const found = await pages({ ticket: 'BIG-1' });

    expect(found.map((page) => page.length)).toEqual([2, 2, 1, 1]);
    expect(found.flat().map((item) => item.seq)).toEqual(sizes.map((_, i) => ROWS + 1 + i));
    const tooLarge = found[2]?.[0];
    expect(tooLarge).toMatchObject({ payload: null, payload_omitted: true });
    expect(found[3]?.[0]?.payload).toEqual({ blob: 'x'.repeat(sizes[5] ?? 0) });
  });
});
