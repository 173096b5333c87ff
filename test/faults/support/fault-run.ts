import { connect, type NatsConnection } from 'nats';
import { STREAMS } from '@kera/contracts';
import { MemorySampler, type Receiver, type RunningSystem } from '@kera/testing';
import type { InboundTarget } from '../hostile/senders';
import { InboundLoad, type InboundDelivery } from './inbound-load';
import {
  countAuditEntries,
  readDatabase,
  receiptsOf,
  tally,
  type Evidence,
  type Figures,
  type Phase,
} from './ledger';
import { readAllEvents } from './stream-reader';
import { formatTable } from './table';
import { TransitionLoad, type TransitionAttempt } from './transition-load';

/**
 * Transitions per run: KERA_FAULT_SCALE. `npm run test:faults` sets 10,000;
 * unset (the short run inside `npm test`) it is 300.
 */
export const FAULT_SCALE = Number(process.env.KERA_FAULT_SCALE ?? 300);
/** Tickets moved at once, one client each. */
export const FAULT_TICKETS = 24;
// How long the backlog may stand still before the drain is given up. A killed
// process leaves the messages it held unacknowledged until its consumer's ack
// wait passes (15 s for delivery jobs, 30 s for the others), and a delivery the
// dispatcher handed back while its receiver (or the recording of outcomes)
// stalled may wait in JetStream up to the dispatcher's longest deferral, 2
// minutes: the drain allows for that, so that a slow tail is not taken for a
// loss. A system that is stuck fails after it.
export const FAULT_DRAIN_TIMEOUT_MS = 4 * 60_000;

export const PROJECT = 'FLT';
const STATES = ['open', 'review'] as const;
const ACTIONS_TO: Record<string, number> = { review: 2, open: 1 };
/** One inbound webhook is sent for this many transitions. */
const INBOUND_EVERY = 5;
const INBOUND_SENDERS = 4;

/** A fault injected once at a random moment of its phase; resolves when the system is back. */
export interface Fault {
  name: string;
  inject(): Promise<void>;
}

/** What a run works on: tickets to move and a GitHub integration to send webhooks to. */
export interface Prepared {
  tickets: string[];
  inbound: InboundTarget;
}

/**
 * Puts a two-state workflow whose transitions POST to the receiver (2 actions
 * one way, 1 back), opens the tickets and creates a GitHub integration.
 */
export async function prepareProject(
  system: RunningSystem,
  receiver: Receiver,
  ticketCount: number,
): Promise<Prepared> {
  const yaml = [
    `states: [${STATES.join(', ')}]`,
    `initial: ${STATES[0]}`,
    'transitions:',
    `  - from: open`,
    `    to: review`,
    '    actions:',
    '      - type: send_webhook',
    `        url: ${receiver.url}/review-a`,
    '      - type: send_webhook',
    `        url: ${receiver.url}/review-b`,
    `  - from: review`,
    `    to: open`,
    '    actions:',
    '      - type: send_webhook',
    `        url: ${receiver.url}/reopen`,
    '',
  ].join('\n');
  const put = await system.api(`/api/projects/${PROJECT}/workflow`, {
    method: 'PUT',
    headers: { 'content-type': 'application/yaml' },
    body: yaml,
  });
  if (put.status !== 200)
    throw new Error(`workflow put answered ${put.status}: ${await put.text()}`);

  const tickets: string[] = [];
  for (let index = 0; index < ticketCount; index += 1) {
    const created = await system.api('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project: PROJECT, title: `fault ticket ${index}` }),
    });
    if (created.status !== 201) throw new Error(`ticket create answered ${created.status}`);
    tickets.push(((await created.json()) as { id: string }).id);
  }
  return { tickets, inbound: await createGithubIntegration(system) };
}

async function createGithubIntegration(system: RunningSystem): Promise<InboundTarget> {
  const response = await system.api('/api/integrations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'github', name: 'acme/api', project: PROJECT }),
  });
  if (response.status !== 201) throw new Error(`integration create answered ${response.status}`);
  const created = (await response.json()) as { url: string; secret: string };
  return { provider: 'github', path: created.url, secret: created.secret };
}

/** Nothing accepted may be lost and nothing may be done twice beyond at-least-once delivery. */
export function expectNothingLost(result: FaultRunResult): void {
  const total = result.figures[result.figures.length - 1];
  expect(result.busy).toEqual([]);
  expect(total?.accepted).toBeGreaterThanOrEqual(FAULT_SCALE);
  expect(total).toMatchObject({
    acceptedWithoutOneEvent: 0,
    auditMissing: 0,
    auditDuplicated: 0,
    actionsWithoutAttempt: 0,
    lost: 0,
    inboundWithoutOneEvent: 0,
  });
  expect(total?.inboundAccepted).toBe(total?.inboundSent);
}

export interface FaultRunResult {
  phases: Phase[];
  inbound: InboundDelivery[];
  attempts: TransitionAttempt[];
  /** What was still busy when the drain deadline passed (empty when everything drained). */
  busy: string[];
  figures: Figures[];
  peakRssBytes: Map<string, number>;
  durationMs: number;
}

export interface FaultRunOptions {
  system: RunningSystem;
  receiver: Receiver;
  prepared: Prepared;
  faults: readonly Fault[];
  /** Accepted transitions over the whole run. */
  target: number;
  /** How long, after the load, the backlog may go without shrinking before the drain is given up. */
  drainTimeoutMs: number;
}

/**
 * Runs the load in as many phases as there are faults, injects each fault
 * at a random moment of its phase, waits for every durable consumer to
 * drain, then reads the streams, Postgres and the receiver and tallies.
 */
export async function runWithFaults(options: FaultRunOptions): Promise<FaultRunResult> {
  const { system, faults, target } = options;
  const startedAt = Date.now();
  const phases: Phase[] = [];
  const size = Math.ceil(target / Math.max(1, faults.length));
  let current = faults[0]?.name ?? 'no fault';
  let ceiling = size;
  const load = new TransitionLoad({
    gateways: () => gatewayUrls(system),
    adminToken: system.environment.adminToken,
    tickets: options.prepared.tickets,
    states: STATES,
    target,
    phase: () => current,
    ceiling: () => ceiling,
  });
  const memory = new MemorySampler(() => serviceUrls(system));
  memory.start();

  // Inbound webhooks keep pace with the transitions: one for every INBOUND_EVERY.
  const inbound = new InboundLoad({
    gateways: () => gatewayUrls(system),
    target: options.prepared.inbound,
    total: Math.ceil(target / INBOUND_EVERY),
    allowed: () => Math.ceil(load.accepted / INBOUND_EVERY) + INBOUND_SENDERS,
    phase: () => current,
    concurrency: INBOUND_SENDERS,
  });
  const running = Promise.all([load.run(), inbound.run()]);
  // Each phase gets its share of the transitions with its fault somewhere
  // inside; the next phase opens once the share is done and the system is back.
  const progress = () => load.accepted;
  for (const [index, fault] of faults.entries()) {
    current = fault.name;
    ceiling = Math.min(target, (index + 1) * size);
    phases.push({ name: fault.name, startedAt: Date.now() });
    const trigger = index * size + Math.floor(size * (0.2 + 0.5 * Math.random()));
    await until(() => load.accepted >= trigger, progress, `${fault.name}: its moment`);
    const injectedAt = Date.now();
    await fault.inject();
    note(`${fault.name}: at ${trigger} accepted, back after ${seconds(Date.now() - injectedAt)}`);
    await until(() => load.accepted >= ceiling, progress, `${fault.name}: the end of its phase`);
  }
  if (faults.length === 0) phases.push({ name: current, startedAt });
  ceiling = target;
  await running;

  note(`load done: ${load.accepted} accepted; waiting for every consumer to drain`);
  const busy = await waitForDrain(system, options.drainTimeoutMs);
  await memory.stop();
  note(busy.length === 0 ? 'drained; reading streams, Postgres and the receiver' : 'not drained');
  const figures = await collectFigures(system, options.receiver, phases, {
    attempts: load.attempts,
    inbound: inbound.deliveries,
  });
  return {
    phases,
    inbound: inbound.deliveries,
    attempts: load.attempts,
    busy,
    figures,
    peakRssBytes: memory.peakBytes,
    durationMs: Date.now() - startedAt,
  };
}

async function collectFigures(
  system: RunningSystem,
  receiver: Receiver,
  phases: readonly Phase[],
  sent: Pick<Evidence, 'attempts' | 'inbound'>,
): Promise<Figures[]> {
  const { natsUrl, databaseUrl, naming } = system.environment;
  const events = await readAllEvents(natsUrl, naming);
  const database = await readDatabase(databaseUrl);
  return tally(
    {
      ...sent,
      events,
      ...database,
      receipts: receiptsOf(receiver),
      actionsTo: (state) => ACTIONS_TO[state] ?? 0,
    },
    phases,
  );
}

/** Work an installation still has: a durable consumer's messages, or events not yet audited. */
interface Backlog {
  what: string;
  left: number;
}

/**
 * Waits until the installation has nothing left to do: every durable
 * consumer without pending or unacknowledged messages and the audit trail
 * holding as many entries as the streams hold messages, twice in a row.
 * It waits as long as the backlog keeps shrinking (some consumer or the
 * audit trail reaching a backlog smaller than any it had before), and gives
 * up when none has for `stallMs`: a loaded machine drains slowly, a stuck
 * one not at all. Returns what was still busy then (empty when drained).
 */
export async function waitForDrain(system: RunningSystem, stallMs: number): Promise<string[]> {
  const { natsUrl } = system.environment;
  // One connection for the whole wait, reconnecting: a cluster node may be down.
  const nc = await connect({ servers: natsUrl.split(','), maxReconnectAttempts: -1 });
  try {
    let quietRounds = 0;
    let busy: Backlog[] = [];
    const smallest = new Map<string, number>();
    let shrankAt = Date.now();
    let reportedAt = Date.now();
    while (Date.now() - shrankAt < stallMs) {
      busy = await withDeadline(stillBusy(nc, system), 20_000, [
        { what: 'no answer within 20 s', left: Number.POSITIVE_INFINITY },
      ]);
      quietRounds = busy.length === 0 ? quietRounds + 1 : 0;
      if (quietRounds >= 2) return [];
      if (shrank(smallest, busy)) shrankAt = Date.now();
      if (busy.length > 0 && Date.now() - reportedAt > 30_000) {
        note(`still busy: ${describeBacklog(busy).join(', ')}`);
        reportedAt = Date.now();
      }
      await sleep(1000);
    }
    return describeBacklog(busy);
  } finally {
    await nc.close();
  }
}

/**
 * Whether any backlog is smaller than it ever was (one that is gone counts
 * as 0). Growth is not progress: handling one message can add others (an
 * outcome event to log and audit), and each backlog can only reach a new
 * low a finite number of times, so a system that goes round in circles
 * cannot keep the wait going for ever.
 */
function shrank(smallest: Map<string, number>, busy: readonly Backlog[]): boolean {
  const now = new Map(busy.map(({ what, left }) => [what, left]));
  let progress = false;
  for (const [what, low] of smallest) {
    const left = now.get(what) ?? 0;
    if (left < low) {
      smallest.set(what, left);
      progress = true;
    }
  }
  for (const [what, left] of now) if (!smallest.has(what)) smallest.set(what, left);
  return progress;
}

function describeBacklog(busy: readonly Backlog[]): string[] {
  return busy.map(({ what, left }) => (Number.isFinite(left) ? `${what} ${left}` : what));
}

async function stillBusy(nc: NatsConnection, system: RunningSystem): Promise<Backlog[]> {
  const { databaseUrl, naming } = system.environment;
  try {
    const jsm = await nc.jetstreamManager({ timeout: 5000 });
    const busy: Backlog[] = [];
    let messages = 0;
    for (const key of STREAMS) {
      const stream = naming.stream(key);
      messages += (await jsm.streams.info(stream)).state.messages;
      const listed = await jsm.consumers.list(stream).next();
      // Ordered (ephemeral) consumers are readers' cursors, not work queues. The
      // list's own figures can be stale in a cluster: ask each consumer's leader.
      for (const { name } of listed.filter((candidate) => candidate.config.durable_name)) {
        const info = await jsm.consumers.info(stream, name);
        const left = info.num_pending + info.num_ack_pending;
        if (left > 0) busy.push({ what: info.name, left });
      }
    }
    const audited = await countAuditEntries(databaseUrl);
    if (audited < messages) busy.push({ what: 'audit', left: messages - audited });
    return busy;
  } catch (error) {
    return [{ what: `unreachable: ${String(error)}`, left: Number.POSITIVE_INFINITY }];
  }
}

/** Resolves once every process of the system answers /readyz with 200. */
export async function allReady(system: RunningSystem, timeoutMs = 120_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (const service of system.instances) {
    for (;;) {
      const ok = await fetch(`${service.healthUrl}/readyz`, { signal: AbortSignal.timeout(5000) })
        .then((response) => response.ok)
        .catch(() => false);
      if (ok) break;
      if (Date.now() > until) throw new Error(`${service.name} is not ready again`);
      await sleep(250);
    }
  }
}

export function gatewayUrls(system: RunningSystem): string[] {
  return system.instances.filter((service) => service.name === 'gateway').map((s) => s.healthUrl);
}

/** Every process of the system by a label such as `dispatcher-2`, for memory sampling. */
export function serviceUrls(system: RunningSystem): Map<string, string> {
  const counters = new Map<string, number>();
  const urls = new Map<string, string>();
  for (const service of system.instances) {
    const n = (counters.get(service.name) ?? 0) + 1;
    counters.set(service.name, n);
    urls.set(`${service.name}-${n}`, service.healthUrl);
  }
  return urls;
}

/** The promise's value, or `fallback` when it takes longer than `ms`. */
function withDeadline<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** How long the load may make no progress before the run is given up as stuck. */
const STALL_MS = 180_000;

/** Waits for the condition; fails when `progress` has not moved for STALL_MS. */
async function until(
  condition: () => boolean,
  progress: () => number,
  what: string,
): Promise<void> {
  let last = progress();
  let movedAt = Date.now();
  while (!condition()) {
    await sleep(50);
    if (progress() !== last) {
      last = progress();
      movedAt = Date.now();
    } else if (Date.now() - movedAt > STALL_MS) {
      throw new Error(`the load made no progress for ${seconds(STALL_MS)} waiting for ${what}`);
    }
  }
}

/** A progress line, written as it happens so that a long run shows where it is. */
export function note(line: string): void {
  process.stdout.write(`  ${line}\n`);
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The run's figures as printed: one row per phase and a total. */
export function figuresTable(result: FaultRunResult): string {
  const columns = [
    'phase',
    'requests',
    'accepted',
    'failed',
    '409',
    'acc≠1 event',
    'applied w/o 200',
    'events',
    'no audit',
    'audit×2',
    'actions',
    'no attempt',
    'lost',
    'duplicates',
    'inbound',
    'inb. 2xx',
    'resent',
    'inb.≠1 event',
  ];
  const rows = result.figures.map((f) => [
    f.phase,
    f.requests,
    f.accepted,
    f.failed,
    f.rejected,
    f.acceptedWithoutOneEvent,
    f.appliedWithoutAnswer,
    f.events,
    f.auditMissing,
    f.auditDuplicated,
    f.actions,
    f.actionsWithoutAttempt,
    f.lost,
    f.duplicates,
    f.inboundSent,
    f.inboundAccepted,
    f.inboundResent,
    f.inboundWithoutOneEvent,
  ]);
  const failures = countReasons(result.attempts);
  const memory = [...result.peakRssBytes]
    .map(([label, bytes]) => `${label} ${Math.round(bytes / 2 ** 20)} MB`)
    .join(', ');
  return [
    formatTable(columns, rows),
    `failed requests by reason: ${failures || 'none'}`,
    `drained: ${result.busy.length === 0 ? 'yes' : `no (${result.busy.join(', ')})`}; run took ${seconds(result.durationMs)}`,
    `peak RSS: ${memory}`,
  ].join('\n');
}

function countReasons(attempts: readonly TransitionAttempt[]): string {
  const counts = new Map<string, number>();
  for (const attempt of attempts) {
    if (attempt.outcome === 'failed') {
      const reason = attempt.reason ?? 'unknown';
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
    }
  }
  return [...counts].map(([reason, count]) => `${reason} ${count}`).join(', ');
}
