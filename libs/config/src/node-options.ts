/**
 * V8 options a service process is started with, by service. Every way of
 * running the services (the launcher, the container entrypoint, the test
 * harness and the benchmarks) passes the same ones, so that what is measured
 * is what runs.
 *
 * The audit service (catching up) and the dispatcher (sending and recording
 * deliveries) allocate fast but keep little: their work in hand is bounded
 * (read-ahead and batches; twice KERA_DISPATCH_CONCURRENCY deliveries, answers
 * read to 4 KB). Left to itself, V8 lets the old generation grow to several
 * hundred megabytes before a full collection; with these limits it collects
 * sooner and the processes stay under 200 MB, for some 20 % more CPU. The
 * gateway and the workflow service keep V8's defaults: the gateway may hold
 * many large webhook bodies at once.
 */
const NODE_OPTIONS_BY_SERVICE: Readonly<Record<string, readonly string[]>> = {
  audit: ['--max-semi-space-size=8', '--max-old-space-size=160'],
  dispatcher: ['--max-semi-space-size=8', '--max-old-space-size=160'],
};

/** The V8 options for a service (empty when it runs with V8's defaults). */
export function serviceNodeOptions(service: string): readonly string[] {
  return NODE_OPTIONS_BY_SERVICE[service] ?? [];
}
