import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsRegistry } from '@kera/service';
import type { DeliveryResult } from './delivery';

/** What the scheduler reports for the gauges, read when Prometheus scrapes. */
export interface SlotUsage {
  inFlight: number;
  queued: number;
}

/**
 * The dispatcher's Prometheus metrics: attempts by outcome and error class, their latency,
 * deliveries in flight and queued, deliveries handed back to JetStream because their receiver
 * was saturated, retries scheduled, and transition events that could not be dispatched.
 */
@Injectable()
export class DispatchMetrics {
  private readonly attempts: Counter<'outcome' | 'error_class'>;
  private readonly latency: Histogram<'outcome'>;
  private readonly deferrals: Counter;
  private readonly retries: Counter;
  private readonly skipped: Counter<'reason'>;
  private usage: () => SlotUsage = () => ({ inFlight: 0, queued: 0 });

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.attempts = new Counter({
      name: 'kera_outbound_deliveries_total',
      help: 'Outbound delivery attempts by outcome and error class (none for successes)',
      labelNames: ['outcome', 'error_class'],
      registers,
    });
    this.latency = new Histogram({
      name: 'kera_outbound_delivery_duration_seconds',
      help: 'Time from the start of an outbound POST to its outcome',
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers,
    });
    this.deferrals = new Counter({
      name: 'kera_outbound_deliveries_deferred_total',
      help: 'Deliveries handed back to JetStream to wait because their receiver had no free slot',
      registers,
    });
    this.retries = new Counter({
      name: 'kera_outbound_retries_scheduled_total',
      help: 'Opt-in retries scheduled after a failed attempt',
      registers,
    });
    this.skipped = new Counter({
      name: 'kera_outbound_transitions_skipped_total',
      help: 'Transition events whose actions could not be found, so nothing was sent',
      labelNames: ['reason'],
      registers,
    });
    const usage = () => this.usage();
    new Gauge({
      name: 'kera_outbound_deliveries_in_flight',
      help: 'Outbound POSTs running now in this dispatcher',
      registers,
      collect() {
        this.set(usage().inFlight);
      },
    });
    new Gauge({
      name: 'kera_outbound_deliveries_queued',
      help: 'Deliveries waiting in this dispatcher for a slot of their receiver',
      registers,
      collect() {
        this.set(usage().queued);
      },
    });
  }

  /** Where the in-flight and queued gauges read from. */
  watch(usage: () => SlotUsage): void {
    this.usage = usage;
  }

  attempted(result: DeliveryResult): void {
    const outcome = result.ok ? 'succeeded' : 'failed';
    this.attempts.inc({ outcome, error_class: result.error?.class ?? 'none' });
    this.latency.observe({ outcome }, result.duration_ms / 1000);
  }

  deferred(): void {
    this.deferrals.inc();
  }

  retryScheduled(): void {
    this.retries.inc();
  }

  transitionSkipped(reason: 'malformed' | 'workflow_missing'): void {
    this.skipped.inc({ reason });
  }
}
