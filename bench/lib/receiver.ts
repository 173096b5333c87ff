import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** A local webhook receiver that notes when each POST arrived, keyed by something in its body. */
export interface ArrivalClock {
  url: string;
  /** `performance.now()` arrival times per key, in arrival order. */
  arrivals: Map<string, number[]>;
  /** POSTs received so far, including those without a key. */
  received(): number;
  /** Resolves true once `count` POSTs arrived, false when the timeout passed first. */
  waitFor(count: number, timeoutMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Starts a receiver on 127.0.0.1 that answers every request 200 at once and records its
 * arrival time under the key `keyOf` finds in the body (null: counted, not recorded).
 * Timestamps are taken when the whole body has arrived, as a real receiver would act on it.
 */
export async function startArrivalClock(
  keyOf: (body: string) => string | null,
): Promise<ArrivalClock> {
  const arrivals = new Map<string, number[]>();
  let received = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.once('end', () => {
      const at = performance.now();
      received += 1;
      const key = keyOf(Buffer.concat(chunks).toString('utf8'));
      if (key !== null) arrivals.set(key, [...(arrivals.get(key) ?? []), at]);
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': 2 }).end('ok');
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const waitFor = async (count: number, timeoutMs: number) => {
    const until = performance.now() + timeoutMs;
    while (received < count && performance.now() < until) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return received >= count;
  };
  return {
    url: `http://127.0.0.1:${port}`,
    arrivals,
    received: () => received,
    waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
