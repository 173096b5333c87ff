import { randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import { STREAMS, createEvent, EventTypes, type StreamKey } from '@kera/contracts';
import { createLogger } from '@kera/config';
import { provisionStreams } from '@kera/jetstream';
import { TEST_JETSTREAM_MAX_BYTES, eventually } from '@kera/testing';
import {
  openAuditTestDatabase,
  projectedThrough,
  publishEvents,
  streamOrder,
  type AuditTestDatabase,
} from '../audit-test-helpers.spec';
import { UNREADABLE_TYPE } from '../entry/audit-record';
import { AuditVerifyService } from '../verify/audit-verify.service';
import { AuditProjection } from './audit-projection';
import { FIRST_FETCH, type ProjectorLimits } from './stream-projector';

jest.setTimeout(120_000);

describe('AuditProjection on real NATS and Postgres', () => {
  let database: AuditTestDatabase;
  let nc: NatsConnection;
  const running: AuditProjection[] = [];

  beforeAll(async () => {
    database = await openAuditTestDatabase();
    nc = await connect({ servers: database.environment.natsUrl });
    await provisionStreams(
      await nc.jetstreamManager(),
      database.environment.naming,
      1,
      TEST_JETSTREAM_MAX_BYTES,
    );
  });

  afterEach(async () => {
    await Promise.all(running.splice(0).map((projection) => projection.stop()));
  });

  afterAll(async () => {
    await nc?.close();
    await database?.close();
  });

  const naming = () => database.environment.naming;
  const stream = (key: StreamKey) => naming().stream(key);
  const start = (
    instanceId: string,
    streams: readonly StreamKey[] = STREAMS,
    limits: Partial<ProjectorLimits> = {},
  ) => {
    const projection = new AuditProjection({
      nc,
      naming: naming(),
      databaseUrl: database.environment.databaseUrl,
      instanceId,
      logger: createLogger('audit-test', (process.env.AUDIT_TEST_LOG as 'silent') ?? 'silent'),
      streams,
      intervalMs: 100,
      limits: { batchMessages: 50, ...limits },
    });
    projection.start();
    running.push(projection);
    return projection;
  };
  const verify = () => new AuditVerifyService(database.db).verify();

  it('projects each stream once in stream order and resumes from its checkpoint', async () => {
    const first = await publishEvents(nc, naming(), 'TICKETS', 300);
    const projection = start('resume-a', ['TICKETS']);
    await projectedThrough(database.db, stream('TICKETS'), first.lastSeq);
    await projection.stop();

    const second = await publishEvents(nc, naming(), 'TICKETS', 200);
    start('resume-b', ['TICKETS']);
    await projectedThrough(database.db, stream('TICKETS'), second.lastSeq);

    const order = await streamOrder(database.db, stream('TICKETS'));
    expect(order).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    const ids: { event_id: string }[] = await database.db.query(
      'SELECT event_id FROM audit_entries WHERE stream = $1 ORDER BY seq',
      [stream('TICKETS')],
    );
    expect(ids.map((row) => row.event_id)).toEqual([...first.ids, ...second.ids]);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('stores a republished event once and a message that is no event as unreadable', async () => {
    const js = nc.jetstream();
    const subject = naming().integrationEvents('int-9');
    const event = createEvent({
      type: EventTypes.integrationRotated,
      source: 'kera/test',
      subject: 'int-9',
      data: { integration_id: 'int-9' },
    });
    await js.publish(subject, JSON.stringify(event), { msgID: event.id });
    await js.publish(subject, JSON.stringify(event), { msgID: event.id });
    // Past the duplicate window JetStream would store it again: publish without a message id.
    await js.publish(subject, JSON.stringify(event));
    const last = await js.publish(subject, 'not an event');

    start('duplicates', ['INTEGRATIONS']);
    await projectedThrough(database.db, stream('INTEGRATIONS'), last.seq);

    const rows: { event_id: string; type: string }[] = await database.db.query(
      'SELECT event_id, type FROM audit_entries WHERE stream = $1 ORDER BY seq',
      [stream('INTEGRATIONS')],
    );
    expect(rows).toEqual([
      { event_id: event.id, type: EventTypes.integrationRotated },
      { event_id: `${stream('INTEGRATIONS')}:${last.seq}`, type: UNREADABLE_TYPE },
    ]);
  });

  it('stores payloads Postgres would refuse or change and still verifies', async () => {
    const js = nc.jetstream();
    const subject = naming().deliveryEvents('KER-5');
    // Envelopes written by hand, as a foreign publisher might: escapes and numbers as sent.
    const envelope = (data: string, time = '2026-04-24T10:30:00.123456Z') =>
      `{"specversion":"1.0","id":"${randomUUID()}","source":"kera/test","type":"${EventTypes.deliveryFailed}",` +
      `"subject":"KER-5","time":"${time}","correlationid":"c","data":${data}}`;
    const messages = [
      envelope(
        '{"ticket_id":"KER-5","nul":"a\\u0000b","lone":"\\ud800","big":12345678901234567890,"one":1.0}',
      ),
      envelope(`{"ticket_id":"KER-5","deep":${'['.repeat(80)}${']'.repeat(80)}}`),
      envelope('{"ticket_id":"KER-5"}', '+275760-09-13T00:00:00Z'),
    ];
    let last = 0;
    for (const message of messages) last = (await js.publish(subject, message)).seq;

    start('odd-payloads', ['DELIVERIES']);
    await projectedThrough(database.db, stream('DELIVERIES'), last);

    const rows: { type: string; time: Date; payload: Record<string, unknown> }[] =
      await database.db.query(
        'SELECT type, time, payload FROM audit_entries WHERE stream = $1 ORDER BY seq',
        [stream('DELIVERIES')],
      );
    expect(rows[0]?.payload).toMatchObject({ nul: 'a\ufffdb', lone: '\ufffd', one: 1 });
    expect(rows[0]?.time.toISOString()).toBe('2026-04-24T10:30:00.123Z');
    expect(rows[1]?.type).toBe(UNREADABLE_TYPE);
    expect(rows[2]?.type).toBe(EventTypes.deliveryFailed);
    expect(rows[2]?.time.getUTCFullYear()).toBeLessThan(3000);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('stores every event once when Postgres ends the writer session mid catch-up', async () => {
    const published = await publishEvents(nc, naming(), 'INBOUND', 3_000);
    start('session-killed', ['INBOUND']);
    await eventually(
      async () => {
        const rows: { last_seq: string }[] = await database.db.query(
          'SELECT last_seq FROM audit_checkpoints WHERE stream = $1',
          [stream('INBOUND')],
        );
        return Number(rows[0]?.last_seq ?? 0) > 0 ? true : undefined;
      },
      30_000,
      'catching up under way',
    );

    const killed: unknown[] = await database.db.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'kera-audit-writer-%'`,
    );
    expect(killed).toHaveLength(1);

    await projectedThrough(database.db, stream('INBOUND'), published.lastSeq);
    const ids: { event_id: string }[] = await database.db.query(
      'SELECT event_id FROM audit_entries WHERE stream = $1 ORDER BY seq',
      [stream('INBOUND')],
    );
    expect(ids.map((row) => row.event_id)).toEqual(published.ids);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('shares the streams between two instances, each written by one of them in order', async () => {
    const a = start('share-a');
    const b = start('share-b');
    await eventually(
      async () => (a.leading().length + b.leading().length === STREAMS.length ? true : undefined),
      20_000,
      'every stream led',
    );

    const published = await Promise.all(
      STREAMS.map((key) => publishEvents(nc, naming(), key, 400)),
    );
    for (const [i, key] of STREAMS.entries()) {
      await projectedThrough(database.db, stream(key), published[i]?.lastSeq ?? 0);
    }

    expect(a.leading().length).toBeGreaterThan(0);
    expect(b.leading().length).toBeGreaterThan(0);
    expect(a.leading().filter((key) => b.leading().includes(key))).toEqual([]);
    for (const [i, key] of STREAMS.entries()) {
      const ids: { event_id: string }[] = await database.db.query(
        `SELECT event_id FROM audit_entries WHERE stream = $1 AND type <> $2 ORDER BY seq`,
        [stream(key), UNREADABLE_TYPE],
      );
      const mine = new Set(published[i]?.ids);
      expect(ids.map((row) => row.event_id).filter((id) => mine.has(id))).toEqual(
        published[i]?.ids,
      );
      const order = await streamOrder(database.db, stream(key));
      expect(order).toEqual([...order].sort((x, y) => x - y));
    }
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('writes an event that arrives after a quiet spell at once and gathers the ones that follow', async () => {
    start('linger', ['TICKETS'], { lingerMs: 10_000 });
    const first = await publishEvents(nc, naming(), 'TICKETS', 1);
    await projectedThrough(database.db, stream('TICKETS'), first.lastSeq);

    // Published one at a time, each into an idle stream: without lingering, each would be
    // written on its own as soon as it arrived.
    const later: number[] = [];
    for (let i = 0; i < 10; i += 1) {
      later.push((await publishEvents(nc, naming(), 'TICKETS', 1)).lastSeq);
    }
    await projectedThrough(database.db, stream('TICKETS'), later[later.length - 1] as number);

    const rows: { stream_seq: string; recorded_at: Date }[] = await database.db.query(
      'SELECT stream_seq, recorded_at FROM audit_entries WHERE stream = $1 ORDER BY seq',
      [stream('TICKETS')],
    );
    const tail = rows.slice(-11);
    expect(tail.map((row) => Number(row.stream_seq))).toEqual([first.lastSeq, ...later]);
    const times = tail.map((row) => row.recorded_at.toISOString());
    // One transaction for the ten (entries of a transaction share their recorded time).
    expect(new Set(times.slice(1)).size).toBe(1);
    expect(times[1] && times[0] && times[1] > times[0]).toBe(true);
    expect(await verify()).toMatchObject({ ok: true });
  });

  it('writes a fetch that took the last events of the stream without waiting for another', async () => {
    // Nothing else in the stream is unread (earlier tests projected what they put there): the
    // reader's first fetch gets exactly what it asks for, and nothing follows.
    const published = await publishEvents(nc, naming(), 'WORKFLOWS', FIRST_FETCH);
    start('fetch-end', ['WORKFLOWS'], { batchMessages: 10 * FIRST_FETCH });
    await projectedThrough(database.db, stream('WORKFLOWS'), published.lastSeq, 10_000);
    const ids: { event_id: string }[] = await database.db.query(
      'SELECT event_id FROM audit_entries WHERE stream = $1 ORDER BY seq DESC LIMIT $2',
      [stream('WORKFLOWS'), FIRST_FETCH],
    );
    expect(ids.map((row) => row.event_id).reverse()).toEqual(published.ids);
  });

  it("takes over a stopped instance's streams", async () => {
    const a = start('takeover-a');
    const b = start('takeover-b');
    await eventually(
      async () => (a.leading().length > 0 && b.leading().length > 0 ? true : undefined),
      20_000,
      'both instances leading',
    );

    await a.stop();
    await eventually(
      async () => (b.leading().length === STREAMS.length ? true : undefined),
      20_000,
      'the other instance leading every stream',
    );
    const more = await publishEvents(nc, naming(), 'WORKFLOWS', 50);
    await projectedThrough(database.db, stream('WORKFLOWS'), more.lastSeq);
  });
});
