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
 * sooner and the processes stay under 200 MB, for some 20 % more CPU.
 *
 * The gateway gets a smaller young generation (two 8 MB semi-spaces instead
 * of V8's 16 MB on a machine of this size) and a heap that grows by half of
 * what survived its last full collection rather than by up to four times:
 * under a steady load of API calls or webhooks its resident memory went from
 * 145–245 MB to 130–145 MB at the same CPU per request. Its young generation
 * also keeps that size while the gateway is idle: V8 shrinks it to 1 MB then,
 * and a burst of webhooks arriving at that moment had its requests in flight
 * outlive the frequent collections, promoted into the old generation and
 * collected there, at up to a fifth of the gateway's time for seconds, with
 * the answers waiting behind it. Its old generation keeps V8's upper limit:
 * the gateway may hold many large webhook bodies at once, and a lower limit
 * would turn a burst of them into a crash rather than more frequent
 * collections.
 */
const NODE_OPTIONS_BY_SERVICE: Readonly<Record<string, readonly string[]>> = {
  audit: ['--max-semi-space-size=8', '--max-old-space-size=160'],
  dispatcher: ['--max-semi-space-size=8', '--max-old-space-size=160'],
  gateway: ['--min-semi-space-size=8', '--max-semi-space-size=8', '--heap-growing-percent=50'],
};

/** The V8 options for a service (empty when it runs with V8's defaults). */
export function serviceNodeOptions(service: string): readonly string[] {
  return NODE_OPTIONS_BY_SERVICE[service] ?? [];
}

/**
 * Environment of every service process, below whatever the operator set. glibc serves an
 * allocation of 128 KB or more with its own mapping and returns it to the kernel when freed,
 * but after such a free it raises that threshold to the freed size (up to 32 MB): later
 * buffers of that size then come from its heaps and stay resident after use. The audit
 * service's batches (statements of several megabytes, the stream's read-ahead) left it at a
 * peak of 201–212 MB in six runs catching up 100,000 events; with the threshold fixed at 128 KB,
 * 184–205 MB (five of six under 200) at about the same rate (52–61 % of the bare insert, against
 * 49–61 %). Fewer malloc arenas (MALLOC_ARENA_MAX=2) saved as much but cost a tenth of the
 * catch-up rate.
 */
const SERVICE_ENVIRONMENT: Readonly<Record<string, string>> = {
  MALLOC_MMAP_THRESHOLD_: String(128 * 1024),
};

/** `env` with the services' defaults added where it does not set them. */
export function serviceEnvironment(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return { ...SERVICE_ENVIRONMENT, ...env };
}
