import { Inject, Injectable } from '@nestjs/common';
import {
  StorageType,
  nanos,
  type JetStreamClient,
  type NatsConnection,
  type ObjectStore,
} from 'nats';
import { Naming, type KeraEvent } from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import {
  EventPublisher,
  STREAM_POLICIES,
  inboundBodiesMaxBytes,
  type AppendResult,
} from '@kera/jetstream';
import { KERA_CONFIG, NATS_CONNECTION } from '@kera/service';
import {
  INLINE_BODY_LIMIT,
  inlineBody,
  receivedEvent,
  storedBody,
  type ReceivedDelivery,
} from './inbound-event';
import { DELIVERY_ID_HEADER } from './inbound-ledger';

/** Room left in a message for its headers when deciding whether an event fits. */
const HEADER_ROOM = 8 * 1024;
/** How long the object store may take to answer before the request is answered 503. */
const OBJECT_STORE_TIMEOUT_MS = 5000;
/** What a NATS server allows by default, assumed until it says otherwise. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
/** More than an inbound event holds besides its body: ids, names and the kept headers. */
const EVENT_WITHOUT_BODY_MAX = 256 * 1024;
/** JSON makes a text at most six times longer: a control character becomes \u00XX. */
const WORST_ESCAPE_FACTOR = 6;

/**
 * Whether the event, with its body inline, fits in one NATS message of `maxPayload` bytes. A
 * body small enough fits whatever it holds, so the event is serialised to find out only when
 * its body is large: the publish serialises it once more.
 */
export function fitsInline(event: KeraEvent, bodyBytes: number, maxPayload: number): boolean {
  const limit = maxPayload - HEADER_ROOM;
  if (bodyBytes * WORST_ESCAPE_FACTOR + EVENT_WITHOUT_BODY_MAX <= limit) return true;
  return Buffer.byteLength(JSON.stringify(event)) <= limit;
}

/**
 * Stores accepted deliveries in JetStream: the event on the INBOUND stream, and a body too large
 * for a NATS message first in the object store, under the event's id.
 */
@Injectable()
export class InboundStore {
  private readonly js: JetStreamClient;
  private readonly publisher: EventPublisher;
  private bucket: Promise<ObjectStore> | null = null;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly naming: Naming,
    @Inject(KERA_CONFIG) private readonly config: KeraConfig,
  ) {
    this.js = nc.jetstream({ timeout: OBJECT_STORE_TIMEOUT_MS });
    this.publisher = new EventPublisher(nc);
  }

  /**
   * Stores the delivery's event, with its body inline or in the object store. Resolves once
   * JetStream has acknowledged it; `duplicate` when the event id was stored already.
   */
  async storeReceived(
    eventId: string,
    delivery: ReceivedDelivery,
    body: Buffer,
  ): Promise<AppendResult> {
    const { integration } = delivery;
    const subject = this.naming.inboundAccepted(integration.provider, integration.id);

    const inline =
      body.length <= INLINE_BODY_LIMIT ? receivedEvent(eventId, delivery, inlineBody(body)) : null;
    const event =
      inline !== null && fitsInline(inline, body.length, this.maxPayload())
        ? inline
        : await this.withStoredBody(eventId, delivery, body);

    return this.append(subject, event, delivery.verified.delivery_id);
  }

  /**
   * The event id is the message id, so a retried request is stored once. The delivery id
   * travels in a header too (percent-encoded: header values lose their outer spaces), so that
   * the ledger is written from the stream's headers alone.
   */
  private append(subject: string, event: KeraEvent, deliveryId: string): Promise<AppendResult> {
    return this.publisher.append(subject, event, {
      headers: { [DELIVERY_ID_HEADER]: encodeURIComponent(deliveryId) },
    });
  }

  private async withStoredBody(
    eventId: string,
    delivery: ReceivedDelivery,
    body: Buffer,
  ): Promise<KeraEvent> {
    const bucket = await this.objectStore();
    await bucket.putBlob({ name: eventId }, body);
    return receivedEvent(eventId, delivery, storedBody(body, this.naming.inboundBodies(), eventId));
  }

  private maxPayload(): number {
    return this.nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD;
  }

  /** The bucket, created on first use so that installations without large bodies have none. */
  private objectStore(): Promise<ObjectStore> {
    this.bucket ??= this.js.views
      .os(this.naming.inboundBodies(), {
        description: 'Kera inbound webhook bodies too large to keep in their event',
        storage: StorageType.File,
        replicas: this.config.streamReplicas,
        // Bodies are kept as long as the INBOUND stream keeps their events, within their share
        // of the installation's JetStream budget.
        ttl: nanos(STREAM_POLICIES.INBOUND.maxAgeMs),
        max_bytes: inboundBodiesMaxBytes(this.config.jetstreamMaxBytes),
      })
      .catch((error: unknown) => {
        this.bucket = null;
        throw error;
      });
    return this.bucket;
  }
}
