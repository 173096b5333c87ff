/**
 * Audit catch-up benchmark (SPEC section 9): the audit service projects 100,000 events that
 * are already in their streams, against a bare batched `INSERT … ON CONFLICT DO NOTHING` of the
 * same rows into the same table, both measured in this run on this machine.
 *
 * Phases: publish the events into an isolated installation's streams (90,000 ticket
 * transitions and 10,000 accepted GitHub webhooks with a 7 KB body); insert the same rows,
 * prepared in memory, 500 per statement, into audit_entries (the baseline: no NATS, no parsing,
 * no redaction, no hashing, no checkpoint); start the audit service and let it catch up; then
 * publish at a steady rate and measure how far the trail lags behind each event; finally time a
 * full verification through the `audit.verify` command.
 */
import { performance } from 'node:perf_hooks';
import { connect, type NatsConnection } from 'nats';
import { Client } from 'pg';
import { EventTypes, createEvent, type KeraEvent, type Naming } from '@kera/contracts';
import { CommandClient, provisionStreams } from '@kera/jetstream';
import { openDatabase } from '@kera/persistence';
import { eventually, startService, stopService } from '@kera/testing';
import { githubPullRequestOpened } from './fixtures/github-pull-request';
import {
  BARS,
  CpuMeter,
  RssSampler,
  paceOpenLoop,
  percentile,
  profilingEnv,
  rssRows,
  runBenchmark,
  startBenchSystem,
  type BenchSystem,
  type BenchmarkRun,
} from './lib';

const EVENTS = Number(process.env.BENCH_AUDIT_EVENTS ?? 100_000);
/** One event in this many is an inbound webhook with a 7 KB body; the rest are transitions. */
const INBOUND_EVERY = 10;
const IN_FLIGHT = 256;
const BASELINE_ROWS_PER_STATEMENT = 500;
const LIVE_RATE = 300;
const LIVE_SECONDS = 10;
const JETSTREAM_BUDGET = 4 * 1024 ** 3;

/** A published event and the stream subject it went to. */
interface Published {
  subject: string;
  event: KeraEvent;
}

void runBenchmark('Audit catch-up', async (run) => {
  // The environment first, without services: the events go in before the audit service starts.
  const system = await startBenchSystem(run, [], {
    KERA_JETSTREAM_MAX_BYTES: String(JETSTREAM_BUDGET),
  });
  run.defer(() => system.stop());
  const { environment } = system;
  const { naming } = environment;
  const nc = await connect({ servers: run.natsUrl });
  run.defer(() => nc.close());
  const migrated = await openDatabase({ url: environment.databaseUrl, poolSize: 2 });
  await migrated.destroy();
  const db = new Client({ connectionString: environment.databaseUrl });
  await db.connect();
  run.defer(() => db.end());
  await provisionStreams(await nc.jetstreamManager(), naming, 1, JETSTREAM_BUDGET);

  run.progress(`publishing ${EVENTS.toLocaleString('en-US')} events`);
  const events = Array.from({ length: EVENTS }, (_, n) => sampleEvent(naming, n));
  await publishAll(nc, events);

  run.progress('baseline: the same rows, bare, 500 per INSERT … ON CONFLICT DO NOTHING');
  const baseline = await bareInsert(db, events);

  run.progress('starting the audit service and letting it catch up');
  const catchUp = await projectAll(run, system, db);

  run.progress(`live: ${LIVE_RATE} events/s for ${LIVE_SECONDS} s`);
  const lagMs = await liveLag(nc, naming, db);
  run.progress('verifying the whole trail');
  const verify = await timeVerify(nc, naming);
  const rss = await catchUp.rss.stop();
  await stopService(catchUp.audit);

  const perEntry = (ms: number) => (ms * 1000) / EVENTS;
  run.report({
    title: `Audit catch-up of ${EVENTS.toLocaleString('en-US')} events and live lag`,
    rows: [
      {
        measure: 'catch-up projection (baseline: bare batched INSERT … ON CONFLICT DO NOTHING)',
        figure: catchUp.rate,
        unit: 'entries/s',
        baseline: baseline.rate,
        bar: BARS.auditCatchUpRate,
      },
      {
        measure: 'Postgres CPU per entry (baseline: per bare row)',
        figure: perEntry(catchUp.cpu.postgres),
        unit: 'µs',
        baseline: perEntry(baseline.postgresCpuMs),
      },
      { measure: 'audit service CPU per entry', figure: perEntry(catchUp.cpu.audit), unit: 'µs' },
      { measure: 'nats-server CPU per entry', figure: perEntry(catchUp.cpu.nats), unit: 'µs' },
      { measure: 'live lag p50', figure: percentile(lagMs, 50), unit: 'ms' },
      {
        measure: 'live lag p99',
        figure: percentile(lagMs, 99),
        unit: 'ms',
        bar: BARS.auditLiveLagP99,
      },
      { measure: 'verification of the whole trail', figure: verify.rate, unit: 'entries/s' },
      ...rssRows(rss, 'peak RSS (catch-up, live, verification)'),
    ],
    notes: [
      `Events: ${EVENTS - Math.floor(EVENTS / INBOUND_EVERY)} ticket transitions (~0.6 KB) and ${Math.floor(EVENTS / INBOUND_EVERY)} accepted GitHub pull_request webhooks (7 KB body), on two streams, published before the audit service started.`,
      `Catch-up rate: entries after the first batch over the time from the first batch's recorded_at to the last one's; all ${catchUp.entries.toLocaleString('en-US')} entries stored once each (distinct event ids checked).`,
      `Baseline: the same ${EVENTS.toLocaleString('en-US')} rows (same payload JSON, dummy hashes) prepared in memory, ${BASELINE_ROWS_PER_STATEMENT} per statement, one connection, into the same table with its indexes, before the service ran.`,
      'CPU per entry: user and system time of the processes over the catch-up (the baseline: its Postgres backend over the inserts), divided by the entries; it hardly depends on other load.',
      `Live lag: event time (set at publish) to the entry's recorded_at, ${lagMs.length} events at ${LIVE_RATE}/s after the catch-up.`,
      `Verification: ${verify.entries.toLocaleString('en-US')} entries in ${(verify.ms / 1000).toFixed(1)} s through the audit.verify command (${verify.ok ? 'ok' : 'NOT ok'}).`,
    ],
  });
});

/** Event n: every INBOUND_EVERY-th an accepted webhook, the others a ticket transition. */
function sampleEvent(naming: Naming, n: number): Published {
  const ticket = `KER-${(n % 500) + 1}`;
  if (n % INBOUND_EVERY === 0) {
    const body = JSON.stringify(githubPullRequestOpened());
    return {
      subject: naming.inboundAccepted('github', 'int-bench'),
      event: createEvent({
        type: EventTypes.inboundReceived,
        source: 'kera/bench',
        subject: 'int-bench',
        data: {
          integration_id: 'int-bench',
          provider: 'github',
          project: null,
          event: 'pull_request',
          delivery_id: `d-${n}`,
          content_type: 'application/json',
          headers: { 'x-github-event': 'pull_request', 'user-agent': 'GitHub-Hookshot/bench' },
          body,
          body_encoding: 'utf8',
          body_object: null,
          body_sha256: '0'.repeat(64),
          source_ip: '192.0.2.10',
          received_at: new Date().toISOString(),
        },
      }),
    };
  }
  return {
    subject: naming.ticketEvents(ticket),
    event: createEvent({
      type: EventTypes.ticketTransitioned,
      source: 'kera/bench',
      subject: ticket,
      data: {
        ticket_id: ticket,
        project: 'KER',
        title: 'Fix login timeout after the session refresh races the idle timer',
        from_state: 'in_progress',
        to_state: 'in_review',
        actor: `dev-${n % 40}@example.com`,
        fields: { priority: 'high', component: 'auth', estimate: 3, labels: ['login', 'web'] },
        workflow_version: 4,
        transitioned_at: new Date().toISOString(),
      },
    }),
  };
}

async function publishAll(nc: NatsConnection, events: readonly Published[]): Promise<void> {
  const js = nc.jetstream();
  for (let start = 0; start < events.length; start += IN_FLIGHT) {
    await Promise.all(
      events
        .slice(start, start + IN_FLIGHT)
        .map(({ subject, event }) =>
          js.publish(subject, JSON.stringify(event), { msgID: event.id }),
        ),
    );
  }
}

/** Rows per second of the bare insert, and its backend's CPU; statements are built first. */
async function bareInsert(db: Client, events: readonly Published[]) {
  const hash = 'f'.repeat(64);
  const statements: { text: string; values: unknown[] }[] = [];
  for (let start = 0; start < events.length; start += BASELINE_ROWS_PER_STATEMENT) {
    const values: unknown[] = [];
    const tuples = events.slice(start, start + BASELINE_ROWS_PER_STATEMENT).map((item, i) => {
      const { event } = item;
      const data = event.data as Record<string, unknown>;
      const n = start + i;
      const first = values.length + 1;
      values.push(
        10_000_000 + n,
        new Date().toISOString(),
        'BASELINE',
        n + 1,
        `baseline-${event.id}`,
        event.type,
        event.time,
        typeof data.ticket_id === 'string' ? data.ticket_id : null,
        typeof data.integration_id === 'string' ? data.integration_id : null,
        typeof data.actor === 'string' ? data.actor : null,
        event.correlationid,
        JSON.stringify(event.data),
        hash,
        hash,
      );
      return `(${Array.from({ length: 14 }, (_, k) => `$${first + k}`).join(',')})`;
    });
    statements.push({
      text: `INSERT INTO audit_entries (seq, recorded_at, stream, stream_seq, event_id, type, time,
               ticket_id, integration_id, actor, correlation_id, payload, prev_hash, hash)
             VALUES ${tuples.join(',')} ON CONFLICT DO NOTHING`,
      values,
    });
  }

  const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const cpu = new CpuMeter([{ name: 'postgres', pid: rows[0]?.pid ?? 0 }]);
  await cpu.start();
  const started = performance.now();
  for (const statement of statements) await db.query(statement.text, statement.values);
  const seconds = (performance.now() - started) / 1000;
  const [postgres] = await cpu.stop();
  return { rate: events.length / seconds, postgresCpuMs: postgres?.cpuMs ?? Number.NaN };
}

/**
 * The audit service's extra environment: profiling when BENCH_PROFILE names it, and V8
 * options in BENCH_AUDIT_NODE_OPTIONS added to those the service always runs with
 * (`serviceNodeOptions`, on its command line, which wins over NODE_OPTIONS for the same flag).
 */
function auditEnv(run: BenchmarkRun): Record<string, string> {
  const env = profilingEnv(run.name, 'audit');
  const options = [env.NODE_OPTIONS, process.env.BENCH_AUDIT_NODE_OPTIONS].filter(Boolean);
  return options.length > 0 ? { ...env, NODE_OPTIONS: options.join(' ') } : env;
}

/**
 * Starts the audit service, waits until both streams are in the trail, and reads the rate and
 * the CPU time the audit service, its Postgres backends and nats-server spent meanwhile.
 */
async function projectAll(run: BenchmarkRun, system: BenchSystem, db: Client) {
  const { environment } = system;
  const audit = await startService('audit', environment, auditEnv(run));
  const rss = new RssSampler([
    { name: 'audit', pid: audit.child.pid, metricsUrl: `${audit.healthUrl}/metrics` },
  ]);
  rss.start();
  const cpu = new CpuMeter([
    { name: 'audit', pid: audit.child.pid ?? 0 },
    { name: 'postgres', pid: await system.databaseBackends() },
    { name: 'nats', pid: run.natsPid ?? [] },
  ]);
  await cpu.start();
  const { naming } = environment;
  const streams = [naming.stream('TICKETS'), naming.stream('INBOUND')];
  // The streams hold nothing else, so their checkpoints add up to EVENTS once all is in; the
  // checkpoint table has a row per stream and costs Postgres nothing to poll.
  await eventually(
    async () => {
      const { rows } = await db.query(
        'SELECT coalesce(sum(last_seq), 0)::int AS n FROM audit_checkpoints WHERE stream = ANY($1)',
        [streams],
      );
      return rows[0].n >= EVENTS ? true : undefined;
    },
    600_000,
    'the catch-up',
  );
  const spent = new Map((await cpu.stop()).map(({ name, cpuMs }) => [name, cpuMs]));

  const { rows } = await db.query(
    `SELECT count(*)::int AS entries, count(DISTINCT event_id)::int AS distinct_ids,
            extract(epoch FROM max(recorded_at) - min(recorded_at)) AS seconds,
            count(*) FILTER (WHERE recorded_at = (SELECT min(recorded_at) FROM audit_entries
                                                   WHERE stream = ANY($1)))::int AS first_batch
       FROM audit_entries WHERE stream = ANY($1)`,
    [streams],
  );
  const { entries, distinct_ids: distinctIds, seconds, first_batch: firstBatch } = rows[0];
  if (entries !== EVENTS || distinctIds !== EVENTS) {
    throw new Error(`expected ${EVENTS} entries once each, found ${entries} (${distinctIds} ids)`);
  }
  return {
    audit,
    rss,
    entries,
    rate: (entries - firstBatch) / Number(seconds),
    cpu: {
      audit: spent.get('audit') ?? Number.NaN,
      postgres: spent.get('postgres') ?? Number.NaN,
      nats: spent.get('nats') ?? Number.NaN,
    },
  };
}

/** Milliseconds from each live event's time to its entry's recorded time. */
async function liveLag(nc: NatsConnection, naming: Naming, db: Client): Promise<number[]> {
  const js = nc.jetstream();
  const ids: string[] = [];
  await paceOpenLoop({
    rate: LIVE_RATE,
    durationMs: LIVE_SECONDS * 1000,
    fire: async (n) => {
      const { subject, event } = sampleEvent(naming, n * INBOUND_EVERY + 1);
      ids.push(event.id);
      await js.publish(subject, JSON.stringify(event), { msgID: event.id });
    },
  });
  const lags = async () =>
    (
      await db.query(
        `SELECT extract(epoch FROM recorded_at - time) * 1000 AS lag_ms
           FROM audit_entries WHERE event_id = ANY($1)`,
        [ids],
      )
    ).rows.map((row) => Number(row.lag_ms));
  return eventually(
    async () => {
      const found = await lags();
      return found.length === ids.length ? found : undefined;
    },
    60_000,
    'the live events in the trail',
  );
}

async function timeVerify(nc: NatsConnection, naming: Naming) {
  const commands = new CommandClient(nc, naming);
  const started = performance.now();
  const result = await commands.request<{ ok: boolean; entries: number }>(
    'audit.verify',
    {},
    { timeoutMs: 600_000 },
  );
  const ms = performance.now() - started;
  return { ...result, ms, rate: result.entries / (ms / 1000) };
}
