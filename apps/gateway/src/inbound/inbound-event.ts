import { isUtf8 } from 'node:buffer';
import { hash } from 'node:crypto';
import {
  EventTypes,
  createEvent,
  type InboundReceivedData,
  type InboundRejectedData,
  type KeraEvent,
} from '@kera/contracts';
import type { ActiveIntegration } from '../integrations/integration-directory';
import type { VerifiedInbound } from './verification';

/** The emitter named in every inbound event. */
export const INBOUND_SOURCE = 'kera/gateway';

/** Bodies up to this size travel inside their event, if the event still fits in a message. */
export const INLINE_BODY_LIMIT = 512 * 1024;

/** Where the body of an accepted delivery is kept: inside the event, or in the object store. */
export type BodyPlacement = Pick<
  InboundReceivedData,
  'body' | 'body_encoding' | 'body_object' | 'body_sha256'
>;

/** An accepted delivery, everything known about it except where its body is kept. */
export interface ReceivedDelivery {
  integration: Pick<ActiveIntegration, 'id' | 'provider' | 'project'>;
  verified: VerifiedInbound;
  sourceIp: string | null;
  receivedAt: Date;
  /** Shared with the request's log line and every event the delivery causes. */
  correlationId: string;
}

/** A refused request; the integration when the URL named one, and never any of the body. */
export interface RefusedRequest {
  integration: Pick<ActiveIntegration, 'id' | 'provider'> | null;
  status: number;
  reason: string;
  detail: string;
  /** The event and delivery id the request claims; unverified, so only for the record. */
  claimed: { event: string | null; delivery_id: string | null };
  sourceIp: string | null;
  receivedAt: Date;
  correlationId: string;
}

/**
 * The event id of a delivery: the same integration and delivery id always give the same id,
 * which is also the JetStream message id, so a retried request is stored once. It has the
 * shape of a UUID (version 8, the layout RFC 9562 leaves to applications).
 */
export function inboundEventId(integrationId: string, deliveryId: string): string {
  const bytes = hash('sha256', `${integrationId}\n${deliveryId}`, 'buffer').subarray(0, 16);
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The body inside the event: as UTF-8 text when it is that, else as base64. */
export function inlineBody(body: Buffer): BodyPlacement {
  // Valid UTF-8 decodes to text that encodes back to the very same bytes (a byte order mark
  // included: Buffer keeps it), so one check of the bytes is all the exactness needs.
  const utf8 = isUtf8(body);
  return {
    body: utf8 ? body.toString('utf8') : body.toString('base64'),
    body_encoding: utf8 ? 'utf8' : 'base64',
    body_object: null,
    body_sha256: sha256Hex(body),
  };
}

/** The body as an object in the JetStream object store. */
export function storedBody(body: Buffer, bucket: string, name: string): BodyPlacement {
  return {
    body: null,
    body_encoding: null,
    body_object: { bucket, name, size: body.length },
    body_sha256: sha256Hex(body),
  };
}

/** `kera.inbound.received`: a verified delivery, stored before the sender gets its answer. */
export function receivedEvent(
  eventId: string,
  delivery: ReceivedDelivery,
  placement: BodyPlacement,
): KeraEvent<InboundReceivedData> {
  const { integration, verified, sourceIp, receivedAt } = delivery;
  return createEvent<InboundReceivedData>({
    id: eventId,
    type: EventTypes.inboundReceived,
    source: INBOUND_SOURCE,
    subject: integration.id,
    time: receivedAt,
    correlationId: delivery.correlationId,
    data: {
      integration_id: integration.id,
      provider: integration.provider,
      project: integration.project,
      event: verified.event,
      delivery_id: verified.delivery_id,
      content_type: verified.content_type,
      headers: verified.kept_headers,
      ...placement,
      source_ip: sourceIp,
      received_at: receivedAt.toISOString(),
    },
  });
}

/** `kera.inbound.rejected`: why a request was refused and by whom it was sent, no body. */
export function rejectedEvent(refused: RefusedRequest): KeraEvent<InboundRejectedData> {
  const { integration, claimed, receivedAt } = refused;
  return createEvent<InboundRejectedData>({
    type: EventTypes.inboundRejected,
    source: INBOUND_SOURCE,
    subject: integration?.id ?? 'unknown',
    time: receivedAt,
    correlationId: refused.correlationId,
    data: {
      status: refused.status,
      reason: refused.reason,
      integration_id: integration?.id ?? null,
      provider: integration?.provider ?? null,
      event: claimed.event,
      delivery_id: claimed.delivery_id,
      source_ip: refused.sourceIp,
      received_at: receivedAt.toISOString(),
      detail: refused.detail,
    },
  });
}

function sha256Hex(body: Buffer): string {
  return hash('sha256', body, 'hex');
}
