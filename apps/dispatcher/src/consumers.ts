import type { KeraConfig } from '@kera/config';
import type { ConsumerSpec } from '@kera/jetstream';

export const DISPATCH_CONSUMER = 'dispatcher';

/** The dispatcher reads every ticket event and acts on transitions. */
export function dispatcherConsumers(config: KeraConfig): ConsumerSpec[] {
  return [
    {
      stream: 'TICKETS',
      name: DISPATCH_CONSUMER,
      // Longer than the longest action timeout, so a slow delivery is not
      // handed to another instance while it is still running.
      ackWaitMs: 120_000,
      maxAckPending: Math.max(1000, config.dispatchConcurrency * 4),
      concurrency: config.dispatchConcurrency,
    },
  ];
}
