import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { Naming } from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import { EventPublisher } from '@kera/jetstream';
import { KERA_CONFIG, LOGGER, type Logger } from '@kera/service';
import { URL_TOKEN_FORMAT, urlTokenMatches } from '../integrations/credentials';
import { verifyingSecrets, type ActiveIntegration } from '../integrations/integration-directory';
import { IntegrationProjection } from '../integrations/integration-projection';
import { SLUG_FORMAT } from '../integrations/slug';
import { BoundedBackground } from './background';
import { claimedIdentity } from './claimed-identity';
import {
  NOT_FOUND_ANSWER,
  NOT_FOUND_DETAIL,
  acceptedAnswer,
  refusedAnswer,
  unavailableAnswer,
  type AcceptedOutcome,
  type InboundAnswer,
} from './inbound-answer';
import { DeliveryCounts } from './delivery-counts';
import { InboundDeliveries } from './inbound-deliveries';
import { InboundLedger } from './inbound-ledger';
import { inboundEventId, rejectedEvent } from './inbound-event';
import { InboundMetrics, UNKNOWN_PROVIDER } from './inbound-metrics';
import { InboundStore } from './inbound-store';
import { isPing, verifyInbound, type InboundHeaders, type VerifiedInbound } from './verification';

/** Where and when a request came from, known before anything about it is checked. */
export interface Origin {
  headers: InboundHeaders;
  sourceIp: string | null;
  receivedAt: Date;
  correlationId: string;
}

/** A request whose URL named an active integration with its right token. */
export interface Arrival extends Origin {
  integration: ActiveIntegration;
}

/** The outcome of checking a URL: the arrival to read the body for, or the answer to send. */
export type Admission =
  { admitted: true; arrival: Arrival } | { admitted: false; answer: InboundAnswer };

/** A refusal of a request that reached a URL; never carries the body. */
interface Refusal {
  origin: Origin;
  /** The integration the URL named, when it named one. */
  integration: ActiveIntegration | null;
  /** Whether the URL's token was right, so that the refusal counts on the integration. */
  admitted: boolean;
  status: number;
  reason: string;
  detail: string;
}

/** Refusal records being written at once before further ones are dropped. */
const MAX_PENDING_RECORDS = 1000;
/** Longest slug looked up; longer ones cannot exist. */
const MAX_SLUG_LENGTH = 100;
/** How long a request waits for the duplicate check to be ready while the gateway starts. */
const LEDGER_WAIT_MS = 5000;
/** Compared with when no integration has the slug, so a miss takes as long as a wrong token. */
const UNKNOWN_TOKEN_HASH = randomBytes(32);

/**
 * The inbound webhook flow: find the integration from the URL, verify the raw body with its
 * secrets, drop a delivery accepted before, store the event in JetStream, then answer. Every
 * refusal is recorded in the background. None of these methods throws: a failure of NATS or
 * Postgres becomes a 503, so a sender never gets a 202 for a delivery that was not stored.
 */
@Injectable()
export class InboundService {
  private readonly background: BoundedBackground;

  constructor(
    private readonly integrations: IntegrationProjection,
    private readonly deliveries: InboundDeliveries,
    private readonly ledger: InboundLedger,
    private readonly counts: DeliveryCounts,
    private readonly store: InboundStore,
    private readonly metrics: InboundMetrics,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
    @Inject(KERA_CONFIG) private readonly config: KeraConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.background = new BoundedBackground(MAX_PENDING_RECORDS, logger, (what) =>
      metrics.recordDropped(what),
    );
  }

  /**
   * Checks the URL before any of the body is read. An unknown slug, a wrong token and a revoked
   * integration all get the same 404.
   */
  async admit(slug: string, token: string, origin: Origin): Promise<Admission> {
    let integration: ActiveIntegration | null;
    try {
      integration = isPlausibleUrl(slug, token) ? await this.integrations.find(slug) : null;
    } catch (error) {
      return { admitted: false, answer: this.unavailable(error, UNKNOWN_PROVIDER, null, {}) };
    }

    const tokenMatches = urlTokenMatches(token, integration?.tokenHash ?? UNKNOWN_TOKEN_HASH);
    if (integration !== null && tokenMatches) {
      return {
        admitted: true,
        arrival: { ...origin, integration },
      };
    }

    const answer = this.refuse({
      origin,
      integration,
      admitted: false,
      status: 404,
      reason: integration === null ? 'unknown_url' : 'wrong_token',
      detail: NOT_FOUND_DETAIL,
    });
    return { admitted: false, answer };
  }

  /** Verifies the body as received and, once it verifies, stores the delivery. */
  async receive(arrival: Arrival, body: Buffer): Promise<InboundAnswer> {
    const { integration } = arrival;
    this.metrics.bodyRead(integration.provider, body.length);

    const verdict = verifyInbound({
      provider: integration.provider,
      headers: arrival.headers,
      body,
      secrets: verifyingSecrets(integration, arrival.receivedAt.getTime()),
      nowSeconds: Math.floor(arrival.receivedAt.getTime() / 1000),
    });
    if (!verdict.ok) {
      const { status, reason, detail } = verdict;
      return this.refuse({ origin: arrival, integration, admitted: true, status, reason, detail });
    }

    // Nothing after verification reads the parsed body: let it go now rather than keep its
    // objects alive, and promoted by the garbage collector, while the event is being stored.
    verdict.payload = null;
    try {
      return await this.accept(arrival, verdict, body);
    } catch (error) {
      const fields = { integration: integration.id, delivery_id: verdict.delivery_id };
      return this.unavailable(error, integration.provider, verdict.event, fields);
    }
  }

  /**
   * A body that could not be read: over the size limit (413), or cut short or with a wrong
   * length (400). `origin` is an arrival once the URL was admitted.
   */
  refuseUnread(origin: Origin | Arrival, statusCode: number): InboundAnswer {
    const integration = 'integration' in origin ? origin.integration : null;
    const tooLarge = statusCode === 413;
    return this.refuse({
      origin,
      integration,
      admitted: integration !== null,
      status: tooLarge ? 413 : 400,
      reason: tooLarge ? 'body_too_large' : 'unreadable_body',
      detail: tooLarge
        ? `the body is larger than the limit of ${this.config.inboundMaxBytes} bytes`
        : 'the body could not be read in full',
    });
  }

  private async accept(
    arrival: Arrival,
    verified: VerifiedInbound,
    body: Buffer,
  ): Promise<InboundAnswer> {
    const { integration } = arrival;
    const eventId = inboundEventId(integration.id, verified.delivery_id);

    if (await this.acceptedBefore(integration.id, verified.delivery_id, eventId)) {
      this.counts.count(integration.id, 'seen', arrival.receivedAt);
      return this.answer('duplicate', eventId, verified);
    }

    const stored = await this.store.storeReceived(eventId, { ...arrival, verified }, body);
    // Stored a second time only if JetStream no longer knew the event id (its duplicate window
    // is two minutes) while the ledger did not know it yet: see InboundLedger.
    if (!stored.duplicate) this.ledger.stored(stored.seq);
    this.counts.count(integration.id, stored.duplicate ? 'seen' : 'accepted', arrival.receivedAt);

    const outcome = stored.duplicate ? 'duplicate' : isPing(verified) ? 'ping' : 'accepted';
    if (this.logger.isLevelEnabled('debug')) {
      const fields = { integration: integration.id, delivery_id: verified.delivery_id };
      this.logger.debug({ ...fields, event_id: eventId, outcome }, 'inbound delivery stored');
    }
    return this.answer(outcome, eventId, verified);
  }

  /**
   * Whether the integration accepted this delivery before, as far as the ledger knows: from
   * memory for nearly every delivery, from Postgres when the gateway's filter says "maybe".
   * What the ledger does not know yet (stored within the last moments) JetStream's duplicate
   * check on the event id catches.
   */
  private async acceptedBefore(
    integrationId: string,
    deliveryId: string,
    eventId: string,
  ): Promise<boolean> {
    if (!this.ledger.started) await this.ledger.whenStarted(LEDGER_WAIT_MS);
    const verdict = this.ledger.verdict(eventId);
    if (verdict === 'new') return false;
    return verdict === 'stored' || this.deliveries.wasAccepted(integrationId, deliveryId);
  }

  private answer(
    outcome: AcceptedOutcome,
    eventId: string,
    verified: VerifiedInbound,
  ): InboundAnswer {
    this.metrics.delivered(verified.provider, verified.event, outcome);
    return acceptedAnswer(outcome, {
      delivery_id: verified.delivery_id,
      event_id: eventId,
      event: verified.event,
    });
  }

  /** Records a refusal in the background and gives the answer for it. */
  private refuse(refusal: Refusal): InboundAnswer {
    const { origin, integration, status, reason, detail } = refusal;
    const provider = integration?.provider ?? UNKNOWN_PROVIDER;
    this.metrics.refused(provider, reason);

    const event = rejectedEvent({
      integration,
      status,
      reason,
      detail,
      claimed: claimedIdentity(integration?.provider ?? null, origin.headers),
      sourceIp: origin.sourceIp,
      receivedAt: origin.receivedAt,
      correlationId: origin.correlationId,
    });
    const fields = { integration: integration?.id, event_id: event.id, status, reason };
    // With the right token, a refusal most likely means a misconfigured sender; without it,
    // it is anyone's guess and not worth more than a debug line.
    if (refusal.admitted) this.logger.warn(fields, 'inbound request refused');
    else this.logger.debug(fields, 'inbound request refused');

    this.background.run('rejection_event', fields, () =>
      this.publisher.append(this.naming.inboundRejected(provider), event),
    );
    if (refusal.admitted && integration !== null) {
      this.counts.count(integration.id, 'rejected', origin.receivedAt);
    }

    return status === 404 ? NOT_FOUND_ANSWER : refusedAnswer(status, reason, detail);
  }

  private unavailable(
    error: unknown,
    provider: string,
    event: string | null,
    fields: Record<string, unknown>,
  ): InboundAnswer {
    this.metrics.unavailable(provider, event);
    this.logger.error(
      { ...fields, err: error },
      'inbound request not stored: the event store or the database did not answer',
    );
    return unavailableAnswer();
  }
}

/** Whether the slug and token could be an integration's at all; if not, nothing is looked up. */
function isPlausibleUrl(slug: string, token: string): boolean {
  return slug.length <= MAX_SLUG_LENGTH && SLUG_FORMAT.test(slug) && URL_TOKEN_FORMAT.test(token);
}
