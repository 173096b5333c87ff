import { performance } from 'node:perf_hooks';

/** How delivery slots are shared among receivers; see `limitsFor` for the defaults. */
export interface SchedulerLimits {
  /** POSTs in flight at once (KERA_DISPATCH_CONCURRENCY). */
  slots: number;
  /** Most slots one receiver (scheme, host and port) may hold. */
  hostSlots: number;
  /**
   * Most slots that slow receivers, and receivers not heard back from yet, may hold together;
   * the rest stays with receivers known to answer quickly.
   */
  slowSlots: number;
  /** A receiver is slow while its recent POSTs took longer than this on average, or one runs
   * longer. */
  slowAfterMs: number;
  /** A delivery that would wait longer than this for its receiver is handed back to JetStream. */
  maxQueueWaitMs: number;
  /**
   * Bounds of the delay a handed-back delivery waits in JetStream. The upper bound is short
   * on purpose: a delay is an estimate made at one moment (perhaps during a stall), and a
   * delivery that comes back too early is simply handed back again, while one sent too far
   * away leaves its receiver idle until it returns.
   */
  minDeferMs: number;
  maxDeferMs: number;
}

/** One delivery waiting for, or holding, a slot. */
export interface SlotTask {
  /**
   * The POST and its recording. `release` frees the slot as soon as the receiver has answered
   * (or the POST failed): the slot bounds what receivers are asked to take, and recording the
   * outcome asks nothing more of them. The slot is freed when the task settles at the latest.
   */
  run(release: () => void): Promise<unknown>;
  /** Hands the delivery back to JetStream, to be offered again after `delayMs`. */
  defer(delayMs: number): void;
}

/** What became of a submitted task. */
export type Admission = 'started' | 'queued' | 'deferred';

interface HostState {
  key: string;
  running: Map<SlotTask, number>;
  queue: SlotTask[];
  /** Moving average of POST durations, null until one finished. */
  averageMs: number | null;
  /**
   * When each delivery handed back to JetStream and not due yet is due, in ascending order.
   * A new one is spaced after as many of them as are still out, at the receiver's present
   * pace: what was handed back while the receiver looked slow (or while recording outcomes
   * stalled) does not push later ones further out once it answers quickly again.
   */
  deferredUntil: number[];
  lastUsed: number;
}

const AVERAGE_WEIGHT = 0.2;
const MAX_IDLE_HOSTS = 10_000;

/**
 * The defaults for a concurrency of `slots`: a receiver may hold a quarter of the slots, slow
 * receivers half of them together, so that however many receivers hang, at least half of the
 * slots keep serving the ones that answer.
 */
export function limitsFor(slots: number): SchedulerLimits {
  return {
    slots,
    hostSlots: Math.max(1, Math.ceil(slots / 4)),
    slowSlots: Math.max(1, Math.ceil(slots / 2)),
    slowAfterMs: 1000,
    maxQueueWaitMs: 1000,
    minDeferMs: 100,
    maxDeferMs: 2 * 60_000,
  };
}

/**
 * Decides when each outbound POST runs, so that a receiver that hangs or answers slowly cannot
 * take the slots other receivers need. Per receiver it keeps a short queue of deliveries that
 * will get a slot soon; a delivery that would wait longer is handed back to JetStream with a
 * delay that estimates when its receiver will have room, spaced after the ones handed back
 * before it. Freed slots go round-robin to the receivers with waiting deliveries.
 */
export class HostScheduler {
  private readonly hosts = new Map<string, HostState>();
  /** Receivers with queued deliveries, in round-robin order. */
  private readonly waiting: HostState[] = [];
  /** Receivers with POSTs in flight. */
  private readonly active = new Set<HostState>();
  private running = 0;
  private queuedCount = 0;

  constructor(
    private readonly limits: SchedulerLimits,
    private readonly now: () => number = () => performance.now(),
    private readonly random: () => number = Math.random,
  ) {}

  get inFlight(): number {
    return this.running;
  }

  get queued(): number {
    return this.queuedCount;
  }

  /** Starts, queues or defers the task; `host` names its receiver (see `hostKey`). */
  submit(host: string, task: SlotTask): Admission {
    const state = this.host(host);

    if (state.queue.length === 0 && this.canStart(state)) {
      this.start(state, task);
      return 'started';
    }

    const wait = this.expectedWaitMs(state);
    if (wait <= this.limits.maxQueueWaitMs) {
      this.enqueue(state, task);
      return 'queued';
    }

    task.defer(this.deferralMs(state, wait));
    return 'deferred';
  }

  /**
   * Starts the task only if its receiver can take it at once (a free slot, nobody waiting
   * before it); returns false, leaving the task untouched, otherwise.
   */
  tryStart(host: string, task: SlotTask): boolean {
    const state = this.host(host);
    if (state.queue.length > 0 || !this.canStart(state)) return false;
    this.start(state, task);
    return true;
  }

  /** Removes every queued task (for shutdown) and returns them; running ones stay. */
  takeQueued(): SlotTask[] {
    const tasks = this.waiting.flatMap((state) => state.queue.splice(0));
    this.waiting.length = 0;
    this.queuedCount = 0;
    return tasks;
  }

  private host(key: string): HostState {
    let state = this.hosts.get(key);
    if (!state) {
      if (this.hosts.size >= MAX_IDLE_HOSTS) this.forgetIdleHosts();
      state = {
        key,
        running: new Map(),
        queue: [],
        averageMs: null,
        deferredUntil: [],
        lastUsed: 0,
      };
      this.hosts.set(key, state);
    }
    state.lastUsed = this.now();
    return state;
  }

  private canStart(state: HostState): boolean {
    if (this.running >= this.limits.slots) return false;
    if (state.running.size >= this.limits.hostSlots) return false;
    return !this.isSlow(state) || this.slowRunning() < this.limits.slowSlots;
  }

  private start(state: HostState, task: SlotTask): void {
    const startedAt = this.now();
    state.running.set(task, startedAt);
    this.active.add(state);
    this.running += 1;

    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      state.running.delete(task);
      if (state.running.size === 0) this.active.delete(state);
      this.running -= 1;
      this.observe(state, this.now() - startedAt);
      this.pump();
    };
    Promise.resolve()
      .then(() => task.run(release))
      .catch(() => undefined)
      .finally(release);
  }

  private enqueue(state: HostState, task: SlotTask): void {
    if (state.queue.length === 0) this.waiting.push(state);
    state.queue.push(task);
    this.queuedCount += 1;
  }

  /** Gives free slots to waiting receivers, one task per receiver per round. */
  private pump(): void {
    let idleRound = 0;
    while (this.waiting.length > 0 && this.running < this.limits.slots) {
      const state = this.waiting.shift() as HostState;
      if (this.canStart(state)) {
        this.start(state, state.queue.shift() as SlotTask);
        this.queuedCount -= 1;
        idleRound = 0;
      } else {
        idleRound += 1;
      }
      if (state.queue.length > 0) this.waiting.push(state);
      if (idleRound >= this.waiting.length) return;
    }
  }

  private observe(state: HostState, durationMs: number): void {
    state.averageMs =
      state.averageMs === null
        ? durationMs
        : state.averageMs * (1 - AVERAGE_WEIGHT) + durationMs * AVERAGE_WEIGHT;
  }

  /** How long a task submitted now would wait for this receiver, judging by its recent pace. */
  private expectedWaitMs(state: HostState): number {
    const rounds = Math.ceil((state.queue.length + 1) / this.capacity(state));
    const own = rounds * this.paceMs(state);
    const blockedBySlowShare = this.isSlow(state) && this.slowRunning() >= this.limits.slowSlots;
    return blockedBySlowShare ? Math.max(own, this.slowSharePaceMs()) : own;
  }

  /** How long slow receivers hold their slots: the quickest of them, as a lower bound. */
  private slowSharePaceMs(): number {
    let pace = Infinity;
    for (const state of this.active) {
      if (this.isSlow(state)) pace = Math.min(pace, this.paceMs(state));
    }
    return pace === Infinity ? 0 : pace;
  }

  private deferralMs(state: HostState, wait: number): number {
    const now = this.now();
    const outstanding = state.deferredUntil;
    const due = outstanding.findIndex((at) => at > now);
    outstanding.splice(0, due === -1 ? outstanding.length : due);

    // How soon the receiver works through its line is its average POST, once known. One POST
    // running long (a stall, perhaps of recording outcomes rather than of the receiver) sets
    // how long until the first has room (`wait`), not the rate of the whole line: spacing
    // a backlog at that pace sends it minutes away.
    const spacing = (state.averageMs ?? this.paceMs(state)) / this.capacity(state);
    const jitter = 0.9 + 0.2 * this.random();
    const delay = (wait + outstanding.length * spacing) * jitter;
    const bounded = Math.round(
      Math.min(this.limits.maxDeferMs, Math.max(this.limits.minDeferMs, delay)),
    );
    insertSorted(outstanding, now + bounded);
    return bounded;
  }

  private paceMs(state: HostState): number {
    return Math.max(state.averageMs ?? 0, this.oldestRunningMs(state));
  }

  private capacity(state: HostState): number {
    const { hostSlots, slowSlots } = this.limits;
    return this.isSlow(state) ? Math.min(hostSlots, slowSlots) : hostSlots;
  }

  /** Slow until proven quick: a receiver never heard back from may be one that hangs. */
  private isSlow(state: HostState): boolean {
    return state.averageMs === null || this.paceMs(state) > this.limits.slowAfterMs;
  }

  private oldestRunningMs(state: HostState): number {
    let oldest = Infinity;
    for (const startedAt of state.running.values()) oldest = Math.min(oldest, startedAt);
    return oldest === Infinity ? 0 : this.now() - oldest;
  }

  private slowRunning(): number {
    let count = 0;
    for (const state of this.active) {
      if (this.isSlow(state)) count += state.running.size;
    }
    return count;
  }

  private forgetIdleHosts(): void {
    const idle = [...this.hosts.values()]
      .filter((state) => state.running.size === 0 && state.queue.length === 0)
      .sort((a, b) => a.lastUsed - b.lastUsed);
    for (const state of idle.slice(0, Math.ceil(idle.length / 2))) this.hosts.delete(state.key);
  }
}

/** Inserts `value` into the ascending `values`, keeping them in order. */
function insertSorted(values: number[], value: number): void {
  let low = 0;
  let high = values.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((values[middle] as number) <= value) low = middle + 1;
    else high = middle;
  }
  values.splice(low, 0, value);
}

/** The receiver a URL names, for per-receiver limits: scheme, host and port. */
export function hostKey(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return 'invalid-url';
  }
}
