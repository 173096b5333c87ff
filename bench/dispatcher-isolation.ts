/**
 * Isolation benchmark (SPEC section 9): a receiver that never answers must not lower the
 * delivery rate to healthy receivers by more than 10 %.
 *
 * One system of the four services as separate processes. Phase "alone": each transition has
 * one send_webhook action, to a healthy receiver. Phase "with a hanging receiver": each
 * transition has that action and a second one, to a receiver that accepts the connection and
 * never answers (so every POST to it runs into the default 10 s timeout). Both phases drive as
 * many transitions as CALLERS concurrent API callers get through, and count the POSTs that
 * reach the healthy receiver per second.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { stringify } from 'yaml';
import {
  BARS,
  closedLoop,
  phaseSeconds,
  runBenchmark,
  startArrivalClock,
  startBenchSystem,
  type ArrivalClock,
  type BenchSystem,
} from './lib';

const CALLERS = 32;
const WARM_UP_SECONDS = 3;
const DRAIN_TIMEOUT_MS = 60_000;

interface Phase {
  /** Transitions answered 200 per second. */
  transitionsPerSecond: number;
  /** POSTs received by the healthy receiver per second, during the phase. */
  healthyPerSecond: number;
  transitions: number;
}

void runBenchmark('Dispatcher isolation', async (run) => {
  const seconds = phaseSeconds(15);
  const healthy = await startArrivalClock(() => null);
  run.defer(() => healthy.close());
  const hanging = await startHangingReceiver();
  run.defer(() => hanging.close());
  const system = await startBenchSystem(run, ['workflow', 'gateway', 'dispatcher', 'audit']);
  run.defer(() => system.stop());

  await putWorkflow(system, 'ALONE', [healthy.url]);
  await putWorkflow(system, 'HANG', [healthy.url, hanging.url]);
  run.progress(`warm-up: ${WARM_UP_SECONDS} s`);
  await drive(system, healthy, 'ALONE', WARM_UP_SECONDS);

  run.progress(`alone: ${seconds} s, ${CALLERS} callers`);
  const alone = await drive(system, healthy, 'ALONE', seconds);
  run.progress(`with a hanging receiver: ${seconds} s, ${CALLERS} callers`);
  const shared = await drive(system, healthy, 'HANG', seconds);
  const metrics = await dispatcherMetrics(system);

  run.report({
    title: `Isolation: healthy receiver's delivery rate with and without a receiver that never answers (${seconds} s each)`,
    rows: [
      {
        measure: 'POSTs received by the healthy receiver',
        figure: shared.healthyPerSecond,
        baseline: alone.healthyPerSecond,
        unit: '/s',
        bar: BARS.isolationRate,
      },
      {
        measure: 'transitions answered by the API',
        figure: shared.transitionsPerSecond,
        baseline: alone.transitionsPerSecond,
        unit: '/s',
      },
      { measure: 'POSTs that reached the hanging receiver', figure: hanging.received(), unit: '' },
      {
        measure: 'deliveries handed back to JetStream to wait',
        figure: metrics.deferred,
        unit: '',
      },
    ],
    notes: [
      `figure: each transition also has an action to the hanging receiver; baseline: only the healthy action`,
      `${CALLERS} concurrent API callers (closed loop); KERA_DISPATCH_CONCURRENCY ${system.environment.env.KERA_DISPATCH_CONCURRENCY ?? '64 (default)'}; hanging POSTs time out after 10 s`,
      `healthy rate: POSTs that arrived during the phase / its length; every one of the ${alone.transitions} + ${shared.transitions} healthy POSTs arrived`,
    ],
  });
});

/** Flips CALLERS tickets between two states for `seconds`; counts what reaches `healthy`. */
async function drive(
  system: BenchSystem,
  healthy: ArrivalClock,
  project: string,
  seconds: number,
): Promise<Phase> {
  const tickets = await Promise.all(
    Array.from({ length: CALLERS }, () => openTicket(system, project)),
  );
  const states = tickets.map(() => 'open');

  const before = healthy.received();
  const result = await closedLoop({
    concurrency: CALLERS,
    durationMs: seconds * 1000,
    task: async (worker) => {
      const to = states[worker] === 'open' ? 'closed' : 'open';
      const response = await system.api(`/api/tickets/${tickets[worker]}/transitions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to, actor: 'bench@example.com' }),
      });
      await response.arrayBuffer();
      if (response.status !== 200) throw new Error(`transition answered ${response.status}`);
      states[worker] = to;
    },
  });
  const during = healthy.received() - before;

  const expected = before + result.done;
  if (!(await healthy.waitFor(expected, DRAIN_TIMEOUT_MS))) {
    throw new Error(`${project}: ${expected - healthy.received()} healthy POSTs never arrived`);
  }
  const elapsed = result.durationMs / 1000;
  return {
    transitionsPerSecond: result.done / elapsed,
    healthyPerSecond: during / elapsed,
    transitions: result.done,
  };
}

async function putWorkflow(system: BenchSystem, project: string, urls: string[]): Promise<void> {
  const actions = urls.map((url) => ({ type: 'send_webhook', url }));
  const yaml = stringify({
    states: ['open', 'closed'],
    transitions: [
      { from: 'open', to: 'closed', actions },
      { from: 'closed', to: 'open', actions },
    ],
  });
  const response = await system.api(`/api/projects/${project}/workflow`, {
    method: 'PUT',
    headers: { 'content-type': 'application/yaml' },
    body: yaml,
  });
  if (response.status !== 200) throw new Error(`workflow ${project}: ${await response.text()}`);
}

async function openTicket(system: BenchSystem, project: string): Promise<string> {
  const response = await system.api('/api/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ project, title: 'isolation benchmark' }),
  });
  if (response.status !== 201) throw new Error(`ticket: ${await response.text()}`);
  return ((await response.json()) as { id: string }).id;
}

async function dispatcherMetrics(system: BenchSystem): Promise<{ deferred: number }> {
  const dispatcher = system.services.get('dispatcher');
  const text = await (await fetch(`${dispatcher?.healthUrl}/metrics`)).text();
  const match = /^kera_outbound_deliveries_deferred_total (\d+)/m.exec(text);
  return { deferred: Number(match?.[1] ?? NaN) };
}

/** A receiver that reads each request and never answers it. */
async function startHangingReceiver(): Promise<{
  url: string;
  received(): number;
  close(): Promise<void>;
}> {
  let received = 0;
  const server = http.createServer((request) => {
    request.resume();
    request.once('end', () => (received += 1));
  });
  server.requestTimeout = 0;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received: () => received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
