import { Injectable } from '@nestjs/common';
import { Counter, Histogram } from 'prom-client';
import { MetricsRegistry } from '@kera/service';

/** Outcomes of an inbound request, as counted. */
export type InboundOutcome = 'accepted' | 'duplicate' | 'ping' | 'rejected' | 'unavailable';

/** Distinct event names given their own label; later ones are counted as `other`. */
const MAX_EVENT_LABELS = 200;
const EVENT_LABEL = /^[A-Za-z0-9 _.:/-]{1,64}$/;

/** The provider label of a request whose URL named no integration. */
export const UNKNOWN_PROVIDER = 'unknown';

/**
 * Prometheus metrics of the inbound route. Event names come from senders, so only verified
 * names become labels, and no more than MAX_EVENT_LABELS of them, which keeps the number of
 * series bounded whatever is sent.
 */
@Injectable()
export class InboundMetrics {
  private readonly requests: Counter<'provider' | 'event' | 'outcome'>;
  private readonly failures: Counter<'provider' | 'reason'>;
  private readonly bodyBytes: Histogram<'provider'>;
  private readonly unrecorded: Counter<'what'>;
  private readonly eventLabels = new Set<string>();

  constructor(metrics: MetricsRegistry) {
    const registers = [metrics.registry];
    this.requests = new Counter({
      name: 'kera_inbound_requests_total',
      help: 'Inbound webhook requests by provider, verified event name and outcome',
      labelNames: ['provider', 'event', 'outcome'],
      registers,
    });
    this.failures = new Counter({
      name: 'kera_inbound_verification_failures_total',
      help: 'Inbound webhook requests refused, by provider and reason',
      labelNames: ['provider', 'reason'],
      registers,
    });
    this.bodyBytes = new Histogram({
      name: 'kera_inbound_body_bytes',
      help: 'Size of inbound webhook bodies read, in bytes',
      labelNames: ['provider'],
      buckets: [1024, 4096, 16_384, 65_536, 262_144, 1_048_576, 4_194_304, 16_777_216, 67_108_864],
      registers,
    });
    this.unrecorded = new Counter({
      name: 'kera_inbound_records_dropped_total',
      help: 'Records of refused inbound requests dropped because too many were still being written',
      labelNames: ['what'],
      registers,
    });
  }

  /** A verified delivery: its event name becomes a label. */
  delivered(provider: string, event: string, outcome: InboundOutcome): void {
    this.requests.inc({ provider, event: this.eventLabel(event), outcome });
  }

  /** A refused request: nothing it names is trusted, so its event is not a label. */
  refused(provider: string, reason: string): void {
    this.requests.inc({ provider, event: 'unverified', outcome: 'rejected' });
    this.failures.inc({ provider, reason });
  }

  /** A request that could not be handled because NATS or Postgres did not answer. */
  unavailable(provider: string, verifiedEvent: string | null): void {
    const event = verifiedEvent === null ? 'unverified' : this.eventLabel(verifiedEvent);
    this.requests.inc({ provider, event, outcome: 'unavailable' });
  }

  bodyRead(provider: string, bytes: number): void {
    this.bodyBytes.observe({ provider }, bytes);
  }

  /** A background record that was dropped rather than queued without bound. */
  recordDropped(what: string): void {
    this.unrecorded.inc({ what });
  }

  private eventLabel(event: string): string {
    if (this.eventLabels.has(event)) return event;
    if (!EVENT_LABEL.test(event) || this.eventLabels.size >= MAX_EVENT_LABELS) return 'other';
    this.eventLabels.add(event);
    return event;
  }
}
