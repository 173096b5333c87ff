import { Naming } from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import type { ConsumerSpec } from '@kera/jetstream';

/** Reads every ticket event and turns each transition into delivery requests. */
export const DISPATCH_CONSUMER = 'dispatcher';
/** Reads delivery requests: the job queue the POSTs are sent from. */
export const JOBS_CONSUMER = 'dispatcher-jobs';
/** Reads delivery outcomes into the delivery log. */
export const LOG_CONSUMER = 'dispatcher-log';

/** A delivery request held longer than this without a heartbeat goes to another instance. */
export const JOBS_ACK_WAIT_MS = 15_000;
/**
 * Delivery requests that may wait unacknowledged at once, across instances: those running,
 * those handed back to wait for a saturated receiver, and retries not due yet. Beyond it
 * JetStream hands out no new request until some are done.
 */
export const JOBS_MAX_WAITING = 100_000;

/** The dispatcher's durable consumers. */
export function dispatcherConsumers(config: KeraConfig): ConsumerSpec[] {
  const naming = new Naming({ subjectRoot: config.subjectRoot, streamPrefix: config.streamPrefix });
  return [
    // A transition is handled until the first attempts sent straight from it are recorded.
    // Those hold delivery slots, so at most KERA_DISPATCH_CONCURRENCY handlers wait on POSTs
    // and 16 more always remain to read on (and queue requests for busy receivers).
    {
      stream: 'TICKETS',
      name: DISPATCH_CONSUMER,
      concurrency: config.dispatchConcurrency + 16,
      maxAckPending: 1000,
    },
    {
      stream: 'DELIVERIES',
      name: JOBS_CONSUMER,
      filterSubject: naming.allDeliveryRequests(),
      ackWaitMs: JOBS_ACK_WAIT_MS,
      maxAckPending: JOBS_MAX_WAITING,
    },
    {
      stream: 'DELIVERIES',
      name: LOG_CONSUMER,
      filterSubject: naming.allDeliveryOutcomes(),
      maxAckPending: 5000,
    },
  ];
}
