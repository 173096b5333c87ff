import http from 'node:http';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { summarize, type Summary } from './stats';

/** What one load run measured: the rate of expected answers and their latencies in ms. */
export interface LoadResult {
  /** Answers with the expected status per second of the run. */
  rate: number;
  latencyMs: Summary;
  /** Every latency behind the summary, so that runs can be merged. */
  samplesMs: number[];
  /** Answers by status code; `error` counts requests that got no answer. */
  statuses: Record<string, number>;
  /** Requests answered with another status than the expected one, or not at all. */
  failures: number;
  durationMs: number;
}

/** One request shape a load run sends, with a hook that makes each request unique. */
export interface RequestShape {
  url: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Headers of one request, e.g. a fresh delivery id; called once per request. */
  perRequestHeaders?: () => Record<string, string>;
}

/**
 * As many requests as `connections` keep-alive connections can carry for `durationSeconds`
 * (closed loop), sent with autocannon. Latencies are recorded here with sub-millisecond
 * precision; only answers with `expectStatus` count towards the rate.
 */
export async function saturate(
  shape: RequestShape,
  options: { connections: number; durationSeconds: number; expectStatus: number },
): Promise<LoadResult> {
  const url = new URL(shape.url);
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const instance = autocannon({
    url: url.origin,
    connections: options.connections,
    duration: options.durationSeconds,
    requests: [
      {
        method: shape.method,
        path: `${url.pathname}${url.search}`,
        headers: shape.headers,
        body: shape.body,
        setupRequest: (request) => ({
          ...request,
          headers: { ...shape.headers, ...shape.perRequestHeaders?.() },
        }),
      },
    ],
  });
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (status === options.expectStatus) latencies.push(ms);
  });
  const result = await instance;
  const unanswered = result.errors + result.timeouts;
  if (unanswered > 0) statuses.error = unanswered;
  return toResult(latencies, statuses, result.duration * 1000);
}

/**
 * Sends requests at a fixed `rate` per second for `durationSeconds` whether or not earlier ones
 * were answered (open loop), over a pool of keep-alive connections. Each latency is measured
 * from the moment the request was due, so a stalled server cannot hide its stall by slowing
 * the sender down (no coordinated omission). Pass an `agent` to reuse connections another run
 * opened (the caller then destroys it); otherwise the run opens and closes a pool of its own.
 */
export async function paceRequests(
  shape: RequestShape,
  options: {
    rate: number;
    durationSeconds: number;
    expectStatus: number;
    agent?: http.Agent;
  },
): Promise<LoadResult> {
  const agent = options.agent ?? keepAlivePool();
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  try {
    const started = performance.now();
    await paceOpenLoop({
      rate: options.rate,
      durationMs: options.durationSeconds * 1000,
      fire: async (_index, dueAt) => {
        const answer = await sendOnce(agent, shape).catch(() => null);
        const status = answer === null ? 'error' : String(answer);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (answer === options.expectStatus) latencies.push(performance.now() - dueAt);
      },
    });
    return toResult(latencies, statuses, performance.now() - started);
  } finally {
    if (!options.agent) agent.destroy();
  }
}

/** The pool of keep-alive connections open-loop senders use: up to 256 at once. */
export function keepAlivePool(): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: 256 });
}

/** How an open-loop run went: calls made and how far behind schedule the sender ever was. */
export interface PacingReport {
  fired: number;
  maxLagMs: number;
}

/**
 * Calls `fire(index, dueAt)` `rate` times a second for `durationMs`, on schedule, without waiting
 * for earlier calls (open loop); `dueAt` is the `performance.now()` time the call was due.
 * Resolves once every call settled. Calls falling due within one timer tick go out together.
 */
export async function paceOpenLoop(options: {
  rate: number;
  durationMs: number;
  fire: (index: number, dueAt: number) => Promise<void>;
}): Promise<PacingReport> {
  const { rate, durationMs, fire } = options;
  const total = Math.floor((rate * durationMs) / 1000);
  const intervalMs = 1000 / rate;
  const start = performance.now();
  const pending: Promise<void>[] = [];
  let next = 0;
  let maxLagMs = 0;

  while (next < total) {
    const now = performance.now();
    for (; next < total && start + next * intervalMs <= now; next += 1) {
      const dueAt = start + next * intervalMs;
      maxLagMs = Math.max(maxLagMs, now - dueAt);
      pending.push(fire(next, dueAt));
    }
    const wait = start + next * intervalMs - performance.now();
    if (next < total) await sleep(Math.max(0, wait));
  }
  await Promise.allSettled(pending);
  return { fired: total, maxLagMs };
}

/**
 * Runs `task` in `concurrency` loops until `durationMs` passed (closed loop) and counts the
 * calls that resolved and those that threw.
 */
export async function closedLoop(options: {
  concurrency: number;
  durationMs: number;
  task: (worker: number) => Promise<void>;
}): Promise<{ done: number; failed: number; durationMs: number }> {
  const started = performance.now();
  const until = started + options.durationMs;
  let done = 0;
  let failed = 0;
  const worker = async (id: number) => {
    while (performance.now() < until) {
      try {
        await options.task(id);
        done += 1;
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, (_, id) => worker(id)));
  return { done, failed, durationMs: performance.now() - started };
}

/** Sends one request of the shape and resolves with the status once the answer was read. */
export function sendOnce(agent: http.Agent, shape: RequestShape): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      shape.url,
      {
        method: shape.method,
        agent,
        headers: { ...shape.headers, ...shape.perRequestHeaders?.() },
      },
      (response) => {
        response.resume();
        response.once('end', () => resolve(response.statusCode ?? 0));
        response.once('error', reject);
      },
    );
    request.once('error', reject);
    request.end(shape.body);
  });
}

/** Several runs of the same load as one: rates over the summed duration, latencies pooled. */
export function mergeResults(results: readonly LoadResult[]): LoadResult {
  const statuses: Record<string, number> = {};
  for (const result of results) {
    for (const [status, count] of Object.entries(result.statuses)) {
      statuses[status] = (statuses[status] ?? 0) + count;
    }
  }
  const samples = results.flatMap((result) => result.samplesMs);
  const durationMs = results.reduce((sum, result) => sum + result.durationMs, 0);
  return toResult(samples, statuses, durationMs);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function toResult(
  latencies: number[],
  statuses: Record<string, number>,
  durationMs: number,
): LoadResult {
  const answered = Object.values(statuses).reduce((sum, count) => sum + count, 0);
  return {
    rate: (latencies.length * 1000) / durationMs,
    latencyMs: summarize(latencies),
    samplesMs: latencies,
    statuses,
    failures: answered - latencies.length,
    durationMs,
  };
}
