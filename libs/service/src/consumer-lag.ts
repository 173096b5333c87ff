import type { JetStreamManager } from 'nats';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { Naming } from '@kera/contracts';
import type { ConsumerSpec } from '@kera/jetstream';

/** Scrapes that come close together share one round of questions to JetStream. */
const SNAPSHOT_TTL_MS = 1000;

interface ConsumerState {
  stream: string;
  consumer: string;
  pending: number;
  ackPending: number;
  redelivered: number;
}

export interface ConsumerLagOptions {
  jsm: JetStreamManager;
  naming: Naming;
  /** The durable consumers this service reads. */
  consumers: readonly ConsumerSpec[];
  /** How long one round of answers serves later scrapes (default 1 s). */
  snapshotTtlMs?: number;
}

/**
 * Registers the consumer-lag gauges of a service's durable consumers. They
 * are read from JetStream when Prometheus scrapes, so they are as fresh as
 * the server's own view and cost nothing between scrapes. A consumer whose
 * state cannot be read (NATS down, consumer deleted) is left out of that
 * scrape and counted in `kera_jetstream_consumer_info_errors_total`.
 */
export function registerConsumerLag(registry: Registry, options: ConsumerLagOptions): void {
  if (options.consumers.length === 0) return;
  const snapshot = memoize(
    () => readStates(options, errors),
    options.snapshotTtlMs ?? SNAPSHOT_TTL_MS,
  );
  const errors = new Counter({
    name: 'kera_jetstream_consumer_info_errors_total',
    help: 'Scrapes that could not read a durable consumer state from JetStream',
    labelNames: ['stream', 'consumer'],
    registers: [registry],
    // Metrics are collected concurrently: wait for the round that counts.
    async collect() {
      await snapshot();
    },
  });

  const gauge = (name: string, help: string, pick: (state: ConsumerState) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['stream', 'consumer'],
      registers: [registry],
      async collect() {
        const states = await snapshot();
        this.reset();
        for (const state of states) {
          this.set({ stream: state.stream, consumer: state.consumer }, pick(state));
        }
      },
    });

  gauge(
    'kera_jetstream_consumer_pending_messages',
    'Messages in the stream that the durable consumer has not been handed yet (num_pending)',
    (state) => state.pending,
  );
  gauge(
    'kera_jetstream_consumer_ack_pending_messages',
    'Messages handed to the consumer and not acknowledged yet (num_ack_pending)',
    (state) => state.ackPending,
  );
  gauge(
    'kera_jetstream_consumer_lag_messages',
    'Messages the consumer has not finished: pending plus ack pending',
    (state) => state.pending + state.ackPending,
  );
  gauge(
    'kera_jetstream_consumer_redelivered_messages',
    'Messages handed out more than once and not acknowledged yet (num_redelivered)',
    (state) => state.redelivered,
  );
}

async function readStates(options: ConsumerLagOptions, errors: Counter): Promise<ConsumerState[]> {
  const { jsm, naming, consumers } = options;
  const results = await Promise.all(
    consumers.map(async (spec): Promise<ConsumerState | null> => {
      const stream = naming.stream(spec.stream);
      const consumer = naming.durable(spec.name);
      try {
        const info = await jsm.consumers.info(stream, consumer);
        return {
          stream,
          consumer,
          pending: info.num_pending,
          ackPending: info.num_ack_pending,
          redelivered: info.num_redelivered,
        };
      } catch {
        errors.inc({ stream, consumer });
        return null;
      }
    }),
  );
  return results.filter((state): state is ConsumerState => state !== null);
}

function memoize<T>(load: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (!cached || Date.now() - cached.at >= ttlMs) cached = { at: Date.now(), value: load() };
    return cached.value;
  };
}
