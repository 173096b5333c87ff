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
const MINUTE_MS = 60 * 1000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** Default of KERA_JETSTREAM_MAX_BYTES: what one installation's streams may hold together. */
export const DEFAULT_JETSTREAM_MAX_BYTES = 8 * GiB;

/** How one stream is bounded, and why. */
export interface StreamPolicy {
  /** Part of the installation's byte budget this stream gets (0..1). */
  share: number;
  /** Messages older than this are removed; 0 keeps them until the byte limit. */
  maxAgeMs: number;
  /**
   * What happens at the byte limit: `New` refuses the write (the publisher
   * answers 503 and nothing is silently lost); `Old` drops the oldest
   * messages to make room.
   */
  discard: DiscardPolicy;
  /** Publishes with an event id seen within this window are stored once. */
  duplicateWindowMs: number;
}

/**
 * Every stream is bounded by bytes (the server reserves them on its store, so
 * a full stream never fills the disk), and each has a deliberate policy:
 *
 * - TICKETS, WORKFLOWS and INTEGRATIONS are the source of truth. They never
 *   age out, and when full they refuse new writes (discard new) rather than
 *   drop history: commands then answer 503 until an operator raises
 *   KERA_JETSTREAM_MAX_BYTES.
 * - INBOUND and DELIVERIES are records whose projections (audit trail,
 *   delivery log) live in Postgres: they age out and, when full, drop their
 *   oldest messages so that webhooks keep being accepted.
 *
 * Duplicate windows protect a publish retried after a lost acknowledgement
 * (the event id is the message id); two minutes is far beyond any retry of
 * the publisher and keeps the ids the server holds in memory small. The
 * 7-day memory of inbound delivery ids lives in Postgres, not here.
 *
 * The shares leave 10 % of the budget to the object store of large inbound
 * bodies (see inboundBodiesMaxBytes).
 */
export const STREAM_POLICIES: Record<StreamKey, StreamPolicy> = {
  TICKETS: {
    share: 0.35,
    maxAgeMs: 0,
    discard: DiscardPolicy.New,
    duplicateWindowMs: 2 * MINUTE_MS,
  },
  WORKFLOWS: {
    share: 0.02,
    maxAgeMs: 0,
    discard: DiscardPolicy.New,
    duplicateWindowMs: 2 * MINUTE_MS,
  },
  INTEGRATIONS: {
    share: 0.03,
    maxAgeMs: 0,
    discard: DiscardPolicy.New,
    duplicateWindowMs: 2 * MINUTE_MS,
  },
  INBOUND: {
    share: 0.25,
    maxAgeMs: 30 * DAY_MS,
    discard: DiscardPolicy.Old,
    duplicateWindowMs: 2 * MINUTE_MS,
  },
  DELIVERIES: {
    share: 0.25,
    maxAgeMs: 90 * DAY_MS,
    discard: DiscardPolicy.Old,
    duplicateWindowMs: 2 * MINUTE_MS,
  },
};

/** The share of the budget left to the object store of inbound bodies too large for an event. */
export const INBOUND_BODIES_SHARE = 0.1;

/** Byte limit of one stream for an installation budget of `budgetBytes`. */
export function streamMaxBytes(key: StreamKey, budgetBytes = DEFAULT_JETSTREAM_MAX_BYTES): number {
  return Math.floor(budgetBytes * STREAM_POLICIES[key].share);
}

/** Byte limit of the inbound bodies object store for an installation budget. */
export function inboundBodiesMaxBytes(budgetBytes = DEFAULT_JETSTREAM_MAX_BYTES): number {
  return Math.floor(budgetBytes * INBOUND_BODIES_SHARE);
}

export function streamConfig(
  naming: Naming,
  key: StreamKey,
  replicas: number,
  budgetBytes = DEFAULT_JETSTREAM_MAX_BYTES,
): StreamConfig {
  const policy = STREAM_POLICIES[key];
  return {
    name: naming.stream(key),
    subjects: naming.streamSubjects(key),
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    num_replicas: replicas,
    max_age: nanos(policy.maxAgeMs),
    max_bytes: streamMaxBytes(key, budgetBytes),
    max_msgs: -1,
    max_msgs_per_subject: -1,
    // Bounded by the server's max_payload (1 MiB by default); larger inbound
    // bodies go to the object store.
    max_msg_size: -1,
    discard: policy.discard,
    duplicate_window: nanos(policy.duplicateWindowMs),
    allow_direct: true,
    allow_rollup_hdrs: false,
    deny_delete: true,
    deny_purge: false,
  } as StreamConfig;
}

/**
 * Creates every stream, or updates its limits in place; safe to run from
 * every process. `budgetBytes` is KERA_JETSTREAM_MAX_BYTES: every process
 * of an installation must pass the same, or they undo each other's limits.
 *
 * A smaller limit would make the server delete the oldest messages at once,
 * so a source-of-truth stream (discard new) that holds more than its new
 * limit keeps its old one; the returned notes say which, for the log.
 */
export async function provisionStreams(
  jsm: JetStreamManager,
  naming: Naming,
  replicas: number,
  budgetBytes = DEFAULT_JETSTREAM_MAX_BYTES,
): Promise<string[]> {
  const notes: string[] = [];
  for (const key of STREAMS) {
    const wanted = streamConfig(naming, key, replicas, budgetBytes);
    try {
      await jsm.streams.add(wanted);
    } catch (error) {
      if (!isAlreadyInUse(error)) throw error;
      const current = await jsm.streams.info(wanted.name);
      if (wanted.discard === DiscardPolicy.New && current.state.bytes > wanted.max_bytes) {
        wanted.max_bytes = current.config.max_bytes;
        notes.push(
          `${wanted.name} keeps its limit of ${wanted.max_bytes} bytes: it holds ` +
            `${current.state.bytes}, more than KERA_JETSTREAM_MAX_BYTES would allow it`,
        );
      }
      await jsm.streams.update(wanted.name, wanted);
    }
  }
  return notes;
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
