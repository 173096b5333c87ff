/**
 * Ingress benchmark (SPEC section 9): verified GitHub `pull_request` webhooks stored in JetStream
 * and answered 202 by the real gateway, against a bare node:http server doing the same HMAC
 * check and JetStream publish, both measured in this run on this machine.
 *
 * Phases, each on both servers: warm-up; full load (autocannon, closed loop); half of the bare
 * server's full-load rate, then half of the gateway's (open loop, latency from the moment each
 * request was due).
 */
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import http from 'node:http';
import { connect } from 'nats';
import { githubPullRequestOpened } from './fixtures/github-pull-request';
import {
  BARS,
  CpuMeter,
  RssSampler,
  keepAlivePool,
  mergeResults,
  paceRequests,
  phaseSeconds,
  profilingEnv,
  rssRows,
  runBenchmark,
  saturate,
  sendOnce,
  startBenchSystem,
  startScript,
  type Bar,
  type BenchSystem,
  type CpuTarget,
  type LoadResult,
  type RequestShape,
  type RssPeak,
  type TableRow,
} from './lib';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
/** Long enough for V8 to optimise the hot paths: shorter runs measure the compiler too. */
const WARM_UP_SECONDS = 8;
/** The last token of the baseline's subject, beside the gateway's in the INBOUND stream. */
const BASELINE_TOKEN = 'baseline';
/**
 * Unmeasured seconds at the paced rate before each paced leg, over the connections the leg
 * then uses: the leg measures the server at that rate, not the sender opening a pool.
 */
const LEAD_IN_SECONDS = 2;

/** Where webhooks are sent and with which secret; or why the gateway cannot be measured. */
type Target = { url: string; secret: string; integrationId: string } | { unavailable: string };

type Side = 'gateway' | 'baseline';

/** A server under load: what to send it and the processes whose CPU time it costs. */
interface Subject {
  side: Side;
  shape: RequestShape;
  server: CpuTarget;
  nats: CpuTarget | null;
}

/** One side's phase, its legs merged: the load result and CPU per accepted request. */
interface Measured {
  load: LoadResult;
  serverCpuUsPerRequest: number;
  natsCpuUsPerRequest: number;
}

void runBenchmark('ingress', async (run) => {
  const system = await startBenchSystem(run, ['gateway']);
  run.defer(() => system.stop());
  const body = Buffer.from(JSON.stringify(githubPullRequestOpened()));
  run.progress(`payload: GitHub pull_request, ${body.length} bytes`);

  const gateway = await gatewayTarget(system, body);
  const secret = 'secret' in gateway ? gateway.secret : randomBytes(32).toString('base64url');
  const { naming, natsUrl } = system.environment;
  const baselineServer = await startScript('baseline', 'baseline/ingress-server', {
    BENCH_NATS_URL: natsUrl,
    BENCH_SUBJECT: baselineSubject(naming.streamSubjects('INBOUND')),
    BENCH_SECRET: secret,
    ...profilingEnv('ingress', 'baseline'),
  });
  run.defer(() => baselineServer.stop());

  const nats = run.natsPid === null ? null : { name: 'nats-server', pid: run.natsPid };
  const gatewayPid = system.services.get('gateway')?.child.pid as number;
  const subjects: Subject[] = [
    {
      side: 'baseline',
      shape: webhookShape(`http://127.0.0.1:${baselineServer.hello.port}/`, body, secret),
      server: { name: 'baseline', pid: baselineServer.pid },
      nats,
    },
    ...('url' in gateway
      ? [
          {
            side: 'gateway' as const,
            shape: webhookShape(gateway.url, body, secret),
            server: { name: 'gateway', pid: gatewayPid },
            nats,
          },
        ]
      : []),
  ];

  const sampler = new RssSampler([
    ...system.rssTargets(),
    { name: 'baseline server', pid: baselineServer.pid },
  ]);
  sampler.start();

  run.progress(`warm-up, ${WARM_UP_SECONDS} s each`);
  const warmUp = { connections: CONNECTIONS, durationSeconds: WARM_UP_SECONDS, expectStatus: 202 };
  const warmedUp = await alternate(subjects, ({ shape }) => saturate(shape, warmUp), false);

  const seconds = phaseSeconds(10);
  run.progress(`full load: ${CONNECTIONS} connections, ${seconds} s each (two legs, ABBA)`);
  const leg = { connections: CONNECTIONS, durationSeconds: seconds / 2, expectStatus: 202 };
  const full = await alternate(subjects, ({ shape }) => saturate(shape, leg));

  // SPEC's "half of that rate" read literally: half of the bare server's rate (the bar). Half of
  // the gateway's own rate is measured too: the same load relative to each server's capacity.
  const leadIns = new Map<Side, number>();
  const paced = async (rate: number, of: string) => {
    run.progress(`${of}: ${rate} requests/s, ${seconds} s each (two legs, ABBA)`);
    const options = { rate, durationSeconds: seconds / 2, expectStatus: 202 };
    return alternate(subjects, async ({ side, shape }) => {
      const agent = keepAlivePool();
      try {
        const leadIn = await paceRequests(shape, {
          ...options,
          durationSeconds: LEAD_IN_SECONDS,
          agent,
        });
        leadIns.set(side, (leadIns.get(side) ?? 0) + accepted(leadIn));
        return await paceRequests(shape, { ...options, agent });
      } finally {
        agent.destroy();
      }
    });
  };
  const halfRate = Math.round((full.get('baseline')?.load.rate ?? 0) / 2);
  const half = await paced(halfRate, 'half of the baseline');
  const gatewayRate = full.get('gateway')?.load.rate;
  const ownHalfRate = gatewayRate === undefined ? null : Math.round(gatewayRate / 2);
  const ownHalf = ownHalfRate === null ? null : await paced(ownHalfRate, 'half of the gateway');
  const peaks = await sampler.stop();

  const phases = [warmedUp, full, half, ...(ownHalf ? [ownHalf] : [])];
  const answered = (side: Side) =>
    phases.reduce((sum, phase) => sum + accepted(phase.get(side)?.load), 0) +
    (leadIns.get(side) ?? 0);
  const measuredPhases = phases.slice(1);
  const stored = await storedCounts(natsUrl, naming.stream('INBOUND'));
  const gatewayStored =
    'integrationId' in gateway ? stored.holds(`.accepted.github.${gateway.integrationId}`) : 0;
  run.report({
    title: `Ingress: verified GitHub pull_request webhooks (${body.length} bytes), stored in JetStream, answered 202`,
    rows: [
      ...loadRows(
        full,
        { rate: halfRate, phase: half },
        ownHalf && ownHalfRate !== null ? { rate: ownHalfRate, phase: ownHalf } : null,
      ),
      ...memoryRows(peaks),
    ],
    notes: [
      ...('unavailable' in gateway ? [`gateway not measured: ${gateway.unavailable}`] : []),
      'figure = gateway; baseline = bare node:http server doing the HMAC-SHA256 check (timingSafeEqual) and the JetStream publish (Nats-Msg-Id) only',
      `full load: autocannon, ${CONNECTIONS} keep-alive connections; at a rate: open loop, latency from the moment each request was due, after ${LEAD_IN_SECONDS} unmeasured seconds at that rate over the same connections; each phase runs baseline, gateway, gateway, baseline (${seconds / 2} s legs) so that drift of the machine falls on both alike`,
      `answers other than 202: gateway ${describeFailures(measuredPhases, 'gateway')}, baseline ${describeFailures(measuredPhases, 'baseline')}`,
      storedNote(gatewayStored, stored.holds(`.${BASELINE_TOKEN}`), stored.removed, {
        gateway: answered('gateway'),
        baseline: answered('baseline'),
      }),
    ],
  });
});

/**
 * Runs `load` against each subject in the order A B B A (one subject: A A), each leg measuring
 * the CPU time of the server and of nats-server, and merges each subject's legs.
 */
async function alternate(
  subjects: readonly Subject[],
  load: (subject: Subject) => Promise<LoadResult>,
  twoLegs = true,
): Promise<Map<Side, Measured>> {
  const order = twoLegs ? [...subjects, ...[...subjects].reverse()] : subjects;
  const legs = new Map<Side, { results: LoadResult[]; serverMs: number; natsMs: number }>();
  for (const subject of order) {
    const meter = new CpuMeter(subject.nats ? [subject.server, subject.nats] : [subject.server]);
    await meter.start();
    const result = await load(subject);
    const [server, nats] = await meter.stop();
    const sums = legs.get(subject.side) ?? { results: [], serverMs: 0, natsMs: 0 };
    sums.results.push(result);
    sums.serverMs += server?.cpuMs ?? Number.NaN;
    sums.natsMs += nats?.cpuMs ?? Number.NaN;
    legs.set(subject.side, sums);
  }
  const measured = new Map<Side, Measured>();
  for (const [side, sums] of legs) {
    const merged = mergeResults(sums.results);
    const requests = accepted(merged);
    measured.set(side, {
      load: merged,
      serverCpuUsPerRequest: (sums.serverMs * 1000) / requests,
      natsCpuUsPerRequest: (sums.natsMs * 1000) / requests,
    });
  }
  return measured;
}

/** Creates a GitHub integration through the API and checks that one webhook gets its 202. */
async function gatewayTarget(system: BenchSystem, body: Buffer): Promise<Target> {
  const created = await system.api('/api/integrations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'github', name: 'Ingress benchmark' }),
  });
  if (created.status !== 201) {
    return { unavailable: `POST /api/integrations answered ${created.status}` };
  }
  const integration = (await created.json()) as { id: string; url: string; secret: string };
  const url = new URL(integration.url, system.gatewayUrl).toString();

  const agent = new http.Agent({ keepAlive: false });
  const status = await sendOnce(agent, webhookShape(url, body, integration.secret));
  if (status !== 202) return { unavailable: `a first webhook was answered ${status}, not 202` };
  return { url, secret: integration.secret, integrationId: integration.id };
}

/** A GitHub delivery of the body, signed with the secret; every request gets its own id. */
function webhookShape(url: string, body: Buffer, secret: string): RequestShape {
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  return {
    url,
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'user-agent': 'GitHub-Hookshot/7c1e0d2',
      'x-github-event': 'pull_request',
      'x-github-hook-id': '481516234',
      'x-github-hook-installation-target-type': 'repository',
      'x-github-hook-installation-target-id': '781048273',
      'x-hub-signature-256': `sha256=${signature}`,
    },
    body,
    perRequestHeaders: () => ({ 'x-github-delivery': randomUUID() }),
  };
}

/** A paced phase and its rate. */
interface PacedPhase {
  rate: number;
  phase: Map<Side, Measured>;
}

/**
 * Rows of the full-load phase and of the paced phases: half of the baseline's rate carries the
 * bar, half of the gateway's own rate is shown beside it.
 */
function loadRows(
  full: Map<Side, Measured>,
  halfOfBaseline: PacedPhase,
  halfOfGateway: PacedPhase | null,
): TableRow[] {
  const row = (
    measure: string,
    phase: Map<Side, Measured>,
    unit: string,
    pick: (measured: Measured) => number,
    bar?: Bar,
  ): TableRow => {
    const gateway = phase.get('gateway');
    const baseline = phase.get('baseline');
    return {
      measure,
      figure: gateway ? pick(gateway) : Number.NaN,
      baseline: baseline ? pick(baseline) : undefined,
      unit,
      bar,
    };
  };
  const at = (paced: PacedPhase, of: string) =>
    `at ${paced.rate.toLocaleString('en-US')} req/s (half of ${of})`;
  const p50 = (m: Measured) => m.load.latencyMs.p50;
  const p99 = (m: Measured) => m.load.latencyMs.p99;
  const baselineAt = at(halfOfBaseline, 'baseline');
  return [
    row('requests/s at full load', full, 'req/s', (m) => m.load.rate, BARS.ingressRate),
    row('p50 at full load', full, 'ms', p50),
    row('p99 at full load', full, 'ms', p99),
    row(`p50 ${baselineAt}`, halfOfBaseline.phase, 'ms', p50),
    row(`p99 ${baselineAt}`, halfOfBaseline.phase, 'ms', p99, BARS.ingressP99AtHalfRate),
    ...(halfOfGateway
      ? [
          row(`p50 ${at(halfOfGateway, 'gateway')}`, halfOfGateway.phase, 'ms', p50),
          row(`p99 ${at(halfOfGateway, 'gateway')}`, halfOfGateway.phase, 'ms', p99),
        ]
      : []),
    row('server CPU per request, full load', full, 'µs', (m) => m.serverCpuUsPerRequest),
    row('nats-server CPU per request, full load', full, 'µs', (m) => m.natsCpuUsPerRequest),
  ];
}

/** The gateway against the memory bar; the baseline server for comparison only. */
function memoryRows(peaks: RssPeak[]): TableRow[] {
  const services = peaks.filter((peak) => peak.name !== 'baseline server');
  const baseline = peaks.filter((peak) => peak.name === 'baseline server');
  return [...rssRows(services), ...rssRows(baseline).map((row) => ({ ...row, bar: undefined }))];
}

function accepted(result: LoadResult | undefined): number {
  return result?.statuses['202'] ?? 0;
}

function describeFailures(phases: readonly Map<Side, Measured>[], side: Side) {
  const measured = phases.map((phase) => phase.get(side));
  if (measured.some((phase) => phase === undefined)) return 'n/a';
  const other: Record<string, number> = {};
  for (const phase of measured) {
    for (const [status, count] of Object.entries(phase?.load.statuses ?? {})) {
      if (status !== '202') other[status] = (other[status] ?? 0) + count;
    }
  }
  const parts = Object.entries(other).map(([status, count]) => `${count} × ${status}`);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/**
 * Whether JetStream holds a message for every 202 answer. Requests still in flight when a phase
 * ended are stored but not counted, so holding a few more than answered is expected; when the
 * stream reached its byte limit during the run, only the totals can be compared.
 */
function storedNote(
  gateway: number,
  baseline: number,
  removed: number,
  answered: Record<Side, number>,
): string {
  const held = `JetStream holds ${gateway} gateway and ${baseline} baseline messages for ${answered.gateway} and ${answered.baseline} answers of 202`;
  if (removed === 0)
    return `${held} (requests in flight when a phase ended are stored, not counted)`;
  const total = gateway + baseline + removed;
  return `${held}, and removed the ${removed} oldest at its byte limit (discard old): ${total} stored for ${answered.gateway + answered.baseline} answers of 202`;
}

/**
 * Where the baseline publishes: the INBOUND stream (same storage, limits and duplicate window),
 * on a subject outside the accepted events the gateway reads back for its duplicate ledger,
 * which would otherwise spend the gateway's CPU on the baseline's messages during its legs.
 */
function baselineSubject(streamSubjects: readonly string[]): string {
  const wildcard = streamSubjects[0] ?? '';
  if (!wildcard.endsWith('.>')) throw new Error(`INBOUND captures ${wildcard}, not a prefix`);
  return `${wildcard.slice(0, -1)}${BASELINE_TOKEN}`;
}

/**
 * Messages stored on the INBOUND stream's subjects ending in `suffix`, and how many of the
 * oldest the stream removed when it reached its byte limit.
 */
async function storedCounts(
  natsUrl: string,
  stream: string,
): Promise<{ holds: (suffix: string) => number; removed: number }> {
  const nc = await connect({ servers: natsUrl });
  try {
    const jsm = await nc.jetstreamManager();
    const info = await jsm.streams.info(stream, { subjects_filter: '>' });
    const subjects = info.state.subjects ?? {};
    const holds = (suffix: string) =>
      Object.entries(subjects)
        .filter(([subject]) => subject.endsWith(suffix))
        .reduce((sum, [, count]) => sum + count, 0);
    // Nothing deletes from the stream during a run but its byte limit (discard old), oldest first.
    return { holds, removed: Math.max(0, info.state.first_seq - 1) };
  } finally {
    await nc.close();
  }
}
