import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  RetentionPolicy,
  StorageType,
  nanos,
  type ConsumerConfig,
  type JetStreamManager,
  type StreamConfig,
} from 'nats';
import { STREAMS, type Naming, type StreamKey } from '@kera/contracts';

const GiB = 1024 ** 3;
const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Limits per stream. Tickets, workflows and integrations are the source of
 * truth: they are never aged out, and when full they refuse new writes
 * (discard new) rather than silently dropping history. Inbound bodies and
 * delivery outcomes are records whose projections live in Postgres: they
 * age out after a while and drop their oldest messages when full.
 */
const LIMITS: Record<StreamKey, { maxAgeMs: number; maxBytes: number; discard: DiscardPolicy }> = {
  TICKETS: { maxAgeMs: 0, maxBytes: 8 * GiB, discard: DiscardPolicy.New },
  WORKFLOWS: { maxAgeMs: 0, maxBytes: 1 * GiB, discard: DiscardPolicy.New },
  INTEGRATIONS: { maxAgeMs: 0, maxBytes: 1 * GiB, discard: DiscardPolicy.New },
  INBOUND: { maxAgeMs: 30 * DAY_MS, maxBytes: 8 * GiB, discard: DiscardPolicy.Old },
  DELIVERIES: { maxAgeMs: 90 * DAY_MS, maxBytes: 4 * GiB, discard: DiscardPolicy.Old },
};

/** Retried publishes (same event id) within this window are stored once. */
export const DUPLICATE_WINDOW_MS = 2 * 60 * 1000;

export function streamConfig(naming: Naming, key: StreamKey, replicas: number): StreamConfig {
  const limits = LIMITS[key];
  return {
    name: naming.stream(key),
    subjects: naming.streamSubjects(key),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    max_age: nanos(limits.maxAgeMs),
    max_bytes: limits.maxBytes,
    max_msgs: -1,
    max_msgs_per_subject: -1,
    max_msg_size: -1,
    discard: limits.discard,
    duplicate_window: nanos(DUPLICATE_WINDOW_MS),
    allow_direct: true,
    allow_rollup_hdrs: false,
    deny_delete: true,
    deny_purge: false,
  } as StreamConfig;
}

/** Creates every stream, or updates its limits in place; safe to run from every process. */
export async function provisionStreams(
  jsm: JetStreamManager,
  naming: Naming,
  replicas: number,
): Promise<void> {
  for (const key of STREAMS) {
    const wanted = streamConfig(naming, key, replicas);
    try {
      await jsm.streams.add(wanted);
    } catch (error) {
      if (!isAlreadyInUse(error)) throw error;
      await jsm.streams.update(wanted.name, wanted);
    }
  }
}

/** A durable pull consumer: who reads which stream, and how. */
export interface ConsumerSpec {
  stream: StreamKey;
  /** Logical name; the durable is `<prefix>_<name>`. */
  name: string;
  filterSubject?: string;
  /** How long a message may be processed before it is redelivered. */
  ackWaitMs?: number;
  /** Unacknowledged messages the server hands out at once (across all instances). */
  maxAckPending?: number;
  /** Messages one instance handles at once; overrides the handler's own option. */
  concurrency?: number;
}

export function consumerConfig(naming: Naming, spec: ConsumerSpec): Partial<ConsumerConfig> {
  const config: Partial<ConsumerConfig> = {
    durable_name: naming.durable(spec.name),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    ack_wait: nanos(spec.ackWaitMs ?? 30_000),
    max_ack_pending: spec.maxAckPending ?? 1000,
    // Never give up on a message: an effect that keeps failing is an outage
    // to fix, not an event to drop.
    max_deliver: -1,
  };
  if (spec.filterSubject) config.filter_subject = spec.filterSubject;
  return config;
}

export async function provisionConsumers(
  jsm: JetStreamManager,
  naming: Naming,
  specs: readonly ConsumerSpec[],
): Promise<void> {
  for (const spec of specs) {
    const stream = naming.stream(spec.stream);
    const config = consumerConfig(naming, spec);
    try {
      await jsm.consumers.add(stream, config);
    } catch (error) {
      if (!isAlreadyInUse(error)) throw error;
      await jsm.consumers.update(stream, config.durable_name as string, config);
    }
  }
}

function isAlreadyInUse(error: unknown): boolean {
  const code = (error as { api_error?: { err_code?: number } }).api_error?.err_code;
  // 10058: stream name in use with another configuration; 10148: consumer exists.
  return code === 10058 || code === 10148 || code === 10013;
}
