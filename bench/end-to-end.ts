/**
 * End-to-end benchmark (SPEC section 9): a ticket transition sent to the API, to each outbound
 * POST of its send_webhook actions arriving at a local receiver, with the four services running
 * as separate processes on this machine.
 *
 * For 1 and for 3 actions per transition: a warm-up; a light phase that counts the CPU time
 * each process spends per transition; transitions at a fixed rate (open loop: each latency
 * counts from the moment its transition was due, so a stall is never hidden); then as many
 * transitions as 32 concurrent callers get through (closed loop).
 */
import type http from 'node:http';
import { performance } from 'node:perf_hooks';
import {
  BARS,
  CpuMeter,
  RssSampler,
  closedLoop,
  keepAlivePool,
  paceOpenLoop,
  phaseSeconds,
  rssRows,
  runBenchmark,
  sendOnce,
  startArrivalClock,
  startBenchSystem,
  summarize,
  type ArrivalClock,
  type BenchSystem,
  type CpuTarget,
  type RequestShape,
  type TableRow,
} from './lib';

const RATE = Number(process.env.BENCH_E2E_RATE ?? 200);
/** Long enough for V8 to optimise the hot paths: shorter runs measure the compiler too. */
const WARM_UP = { rate: Math.ceil(RATE / 2), seconds: 10 };
/** A rate the system keeps up with, so that CPU time is counted for work that got done. */
const CPU_PHASE = { rate: 50, seconds: 10 };
const CALLERS = 32;
const THROUGHPUT_SECONDS = 10;
/** Seconds between two transitions of one ticket at the paced rate: time for each to finish. */
const TICKET_REST_SECONDS = 3;
const DRAIN_TIMEOUT_MS = 60_000;
const CREATE_AT_ONCE = 16;

interface Ticket {
  id: string;
  state: 'open' | 'closed';
}

/** One workflow shape: its project and how many send_webhook actions each transition has. */
interface Scenario {
  project: string;
  actions: number;
}

interface PacedOutcome {
  /** Transition due → POST received, one per delivery, ms. */
  deliveryMs: number[];
  /** Transition due → API answered, ms. */
  answerMs: number[];
  transitions: number;
  failedTransitions: number;
  missingDeliveries: number;
}

interface ThroughputOutcome {
  transitionsPerSecond: number;
  deliveriesPerSecond: number;
  failedTransitions: number;
  missingDeliveries: number;
}

void runBenchmark('end-to-end', async (run) => {
  const clock = await startArrivalClock((body) => actorOf(body));
  run.defer(() => clock.close());
  const system = await startBenchSystem(run, ['workflow', 'gateway', 'dispatcher', 'audit']);
  run.defer(() => system.stop());
  const sampler = new RssSampler(system.rssTargets());
  sampler.start();

  const seconds = phaseSeconds(15);
  const rows: TableRow[] = [];
  const cpuRows: TableRow[] = [];
  const notes: string[] = [];
  const cpuTargets: CpuTarget[] = [
    ...[...system.services.values()].map((service) => ({
      name: service.name,
      pid: service.child.pid as number,
    })),
    ...(run.natsPid === null ? [] : [{ name: 'nats-server', pid: run.natsPid }]),
  ];
  for (const scenario of [
    { project: 'BENCHA', actions: 1 },
    { project: 'BENCHB', actions: 3 },
  ]) {
    const label = `${scenario.actions} action${scenario.actions === 1 ? '' : 's'}`;
    run.progress(`${label}: preparing ${RATE * TICKET_REST_SECONDS} tickets`);
    const tickets = await prepare(system, clock, scenario, RATE * TICKET_REST_SECONDS);
    const agent = keepAlivePool();

    run.progress(`${label}: warm-up, ${WARM_UP.seconds} s at ${WARM_UP.rate}/s`);
    await paced(system, clock, agent, tickets, scenario, WARM_UP.rate, WARM_UP.seconds);
    run.progress(`${label}: CPU time at ${CPU_PHASE.rate}/s for ${CPU_PHASE.seconds} s`);
    const postgres = { name: 'postgres (this database)', pid: await system.databaseBackends() };
    const meter = new CpuMeter([...cpuTargets, postgres]);
    await meter.start();
    const light = await paced(
      system,
      clock,
      agent,
      tickets,
      scenario,
      CPU_PHASE.rate,
      CPU_PHASE.seconds,
    );
    for (const { name, cpuMs } of await meter.stop()) {
      const perTransition = (cpuMs * 1000) / light.answerMs.length;
      cpuRows.push({ measure: `${label}: ${name}`, figure: perTransition, unit: 'µs' });
    }
    run.progress(`${label}: ${RATE} transitions/s for ${seconds} s`);
    const pacedOutcome = await paced(system, clock, agent, tickets, scenario, RATE, seconds);
    run.progress(`${label}: ${CALLERS} callers for ${THROUGHPUT_SECONDS} s`);
    const throughput = await maxThroughput(system, clock, agent, tickets, scenario);
    agent.destroy();

    rows.push(...scenarioRows(label, pacedOutcome, throughput));
    notes.push(
      `${label}: ${pacedOutcome.transitions} transitions at ${RATE}/s, ${pacedOutcome.failedTransitions} not answered 200, ${pacedOutcome.missingDeliveries} POSTs missing; ` +
        `closed loop: ${throughput.failedTransitions} not answered 200, ${throughput.missingDeliveries} POSTs missing`,
    );
  }

  const peaks = await sampler.stop();
  run.report({
    title: `End to end: POST /api/tickets/{id}/transitions → outbound POST received (${seconds} s at ${RATE} transitions/s)`,
    rows: [...rows, ...rssRows(peaks)],
    notes: [
      ...notes,
      `latency from the moment each transition was due (open loop); throughput: ${CALLERS} callers, ${THROUGHPUT_SECONDS} s, deliveries/s until the last POST arrived`,
      'services at LOG_LEVEL=info, each its own process; receiver, load and services share this machine',
    ],
  });
  run.report({
    title: `End to end: CPU time (user + system) per transition at ${CPU_PHASE.rate} transitions/s`,
    rows: cpuRows,
    notes: [
      `${CPU_PHASE.seconds} s at ${CPU_PHASE.rate} transitions/s before the ${RATE}/s phase, from the first transition until the last POST arrived; audit work still queued then is not counted`,
      'postgres: the backends serving this run’s database through the whole phase',
    ],
  });
});

/** Puts the scenario's workflow and opens the tickets the run will move. */
async function prepare(
  system: BenchSystem,
  clock: ArrivalClock,
  scenario: Scenario,
  count: number,
): Promise<Ticket[]> {
  const put = await system.api(`/api/projects/${scenario.project}/workflow`, {
    method: 'PUT',
    headers: { 'content-type': 'application/yaml' },
    body: workflowYaml(clock.url, scenario.actions),
  });
  if (put.status !== 200) throw new Error(`workflow rejected: ${put.status} ${await put.text()}`);

  const tickets: Ticket[] = [];
  for (let opened = 0; opened < count; opened += CREATE_AT_ONCE) {
    const batch = Math.min(CREATE_AT_ONCE, count - opened);
    const ids = await Promise.all(
      Array.from({ length: batch }, () => openTicket(system, scenario.project)),
    );
    tickets.push(...ids.map((id): Ticket => ({ id, state: 'open' })));
  }
  return tickets;
}

async function openTicket(system: BenchSystem, project: string): Promise<string> {
  const created = await system.api('/api/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ project, title: 'Benchmark ticket' }),
  });
  if (created.status !== 201) throw new Error(`ticket not opened: ${created.status}`);
  return ((await created.json()) as { id: string }).id;
}

/** Transitions at `rate` per second for `seconds`, then waits for every POST to arrive. */
async function paced(
  system: BenchSystem,
  clock: ArrivalClock,
  agent: http.Agent,
  tickets: Ticket[],
  scenario: Scenario,
  rate: number,
  seconds: number,
): Promise<PacedOutcome> {
  const due = new Map<string, number>();
  const answerMs: number[] = [];
  let failed = 0;
  const before = clock.received();

  await paceOpenLoop({
    rate,
    durationMs: seconds * 1000,
    fire: async (index, dueAt) => {
      const ticket = tickets[index % tickets.length] as Ticket;
      const actor = `${scenario.project.toLowerCase()}-${index}-${Math.round(dueAt)}@bench.example`;
      due.set(actor, dueAt);
      if (await transition(system, agent, ticket, actor)) answerMs.push(performance.now() - dueAt);
      else failed += 1;
    },
  });

  const expected = answerMs.length * scenario.actions;
  await clock.waitFor(before + expected, DRAIN_TIMEOUT_MS);
  const deliveryMs: number[] = [];
  for (const [actor, dueAt] of due) {
    for (const at of clock.arrivals.get(actor) ?? []) deliveryMs.push(at - dueAt);
    clock.arrivals.delete(actor);
  }
  return {
    deliveryMs,
    answerMs,
    transitions: due.size,
    failedTransitions: failed,
    missingDeliveries: Math.max(0, expected - deliveryMs.length),
  };
}

/**
 * As many transitions as CALLERS concurrent callers get answered in THROUGHPUT_SECONDS, each
 * caller moving tickets of its own; then the time until the last of their POSTs arrived.
 */
async function maxThroughput(
  system: BenchSystem,
  clock: ArrivalClock,
  agent: http.Agent,
  tickets: Ticket[],
  scenario: Scenario,
): Promise<ThroughputOutcome> {
  const before = clock.received();
  const next = Array.from({ length: CALLERS }, (_, caller) => caller);
  const started = performance.now();
  const result = await closedLoop({
    concurrency: CALLERS,
    durationMs: THROUGHPUT_SECONDS * 1000,
    task: async (caller) => {
      const index = next[caller] as number;
      next[caller] = index + CALLERS;
      const ticket = tickets[index % tickets.length] as Ticket;
      const actor = `${scenario.project.toLowerCase()}-max-${caller}-${index}@bench.example`;
      if (!(await transition(system, agent, ticket, actor))) throw new Error('not answered 200');
    },
  });

  const expected = result.done * scenario.actions;
  await clock.waitFor(before + expected, DRAIN_TIMEOUT_MS);
  const lastArrival = Math.max(
    started,
    ...[...clock.arrivals.values()].map((times) => times[times.length - 1] ?? started),
  );
  const delivered = clock.received() - before;
  clock.arrivals.clear();
  return {
    transitionsPerSecond: (result.done * 1000) / result.durationMs,
    deliveriesPerSecond: (delivered * 1000) / Math.max(1, lastArrival - started),
    failedTransitions: result.failed,
    missingDeliveries: Math.max(0, expected - delivered),
  };
}

/** Moves the ticket to its other state; true when the API answered 200. */
async function transition(
  system: BenchSystem,
  agent: http.Agent,
  ticket: Ticket,
  actor: string,
): Promise<boolean> {
  const to = ticket.state === 'open' ? 'closed' : 'open';
  const shape: RequestShape = {
    url: `${system.gatewayUrl}/api/tickets/${ticket.id}/transitions`,
    method: 'POST',
    headers: {
      authorization: `Bearer ${system.environment.adminToken}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ to, actor }),
  };
  const status = await sendOnce(agent, shape).catch(() => 0);
  if (status !== 200) return false;
  ticket.state = to;
  return true;
}

function scenarioRows(
  label: string,
  outcome: PacedOutcome,
  throughput: ThroughputOutcome,
): TableRow[] {
  const delivery = summarize(outcome.deliveryMs);
  const answer = summarize(outcome.answerMs);
  return [
    {
      measure: `${label}: p50 transition → POST`,
      figure: delivery.p50,
      unit: 'ms',
      bar: BARS.endToEndP50,
    },
    {
      measure: `${label}: p99 transition → POST`,
      figure: delivery.p99,
      unit: 'ms',
      bar: BARS.endToEndP99,
    },
    { measure: `${label}: p50 API answer`, figure: answer.p50, unit: 'ms' },
    { measure: `${label}: p99 API answer`, figure: answer.p99, unit: 'ms' },
    { measure: `${label}: max transitions/s`, figure: throughput.transitionsPerSecond, unit: '/s' },
    {
      measure: `${label}: max POSTs received/s`,
      figure: throughput.deliveriesPerSecond,
      unit: '/s',
    },
  ];
}

function workflowYaml(receiverUrl: string, actions: number): string {
  const hooks = Array.from({ length: actions }, (_, n) =>
    ['      - type: send_webhook', `        url: ${receiverUrl}/hook/${n + 1}`].join('\n'),
  ).join('\n');
  return [
    'states: [open, closed]',
    'initial: open',
    'transitions:',
    '  - from: open',
    '    to: closed',
    '    actions:',
    hooks,
    '  - from: closed',
    '    to: open',
    '    actions:',
    hooks,
    '',
  ].join('\n');
}

function actorOf(body: string): string | null {
  try {
    const actor = (JSON.parse(body) as { actor?: unknown }).actor;
    return typeof actor === 'string' ? actor : null;
  } catch {
    return null;
  }
}
