import { createHash } from 'node:crypto';
import {
  EventTypes,
  TICKET_ID,
  createEvent,
  isRecord,
  type DeliveryRequestedData,
  type KeraEvent,
} from '@kera/contracts';

/** A `kera.delivery.requested` event as the job queue hands it out. */
export interface DeliveryRequest {
  id: string;
  correlationId: string;
  data: DeliveryRequestedData;
  /**
   * Set only for a first attempt sent straight from its transition event: no request event
   * was stored for it, so its outcome (and an opt-in retry) is caused by the transition.
   */
  fromTransition?: string;
}

const SOURCE = 'kera/dispatcher';
const DELIVERY_ID = /^dlv_[a-z2-7]{26}$/;
const REASONS = new Set(['transition', 'retry', 'redelivery']);
const MAX_TEXT = 8192;
const RETRY_BASE_MS = 1000;
const RETRY_CAP_MS = 10 * 60_000;

/** True for ids that `deliveryId` can produce. */
export function isDeliveryId(value: unknown): value is string {
  return typeof value === 'string' && DELIVERY_ID.test(value);
}

/** The envelope of a delivery request, caused by `causationId`. */
export function requestEvent(
  id: string,
  data: DeliveryRequestedData,
  trace: { correlationId: string; causationId: string },
): KeraEvent<DeliveryRequestedData> {
  return createEvent({
    id,
    type: EventTypes.deliveryRequested,
    source: SOURCE,
    subject: data.ticket_id,
    data,
    correlationId: trace.correlationId,
    causationId: trace.causationId,
  });
}

/**
 * Reads a job from the queue; null when it is not a well-formed delivery request, which no
 * retry can fix.
 */
export function parseDeliveryRequest(event: KeraEvent | null): DeliveryRequest | null {
  if (!event || event.type !== EventTypes.deliveryRequested || !isRecord(event.data)) return null;
  const data = event.data;
  const valid =
    isDeliveryId(data.delivery_id) &&
    typeof data.ticket_id === 'string' &&
    TICKET_ID.test(data.ticket_id) &&
    isText(data.event_id) &&
    isCount(data.event_seq, 1) &&
    isCount(data.action_index, 0) &&
    isText(data.url) &&
    typeof data.reason === 'string' &&
    REASONS.has(data.reason) &&
    isCount(data.round, 1) &&
    (data.not_before === null || isTime(data.not_before)) &&
    (data.actor === null || isText(data.actor));
  if (!valid) return null;

  return {
    id: event.id,
    correlationId: event.correlationid,
    data: data as unknown as DeliveryRequestedData,
  };
}

/**
 * A UUID (version 8, name-based) derived from `name`: the same request made twice, for
 * instance by a handler that runs again after a crash, gets the same event id, and JetStream
 * stores it once.
 */
export function derivedId(name: string): string {
  const hex = createHash('sha256').update(name).digest('hex');
  const variant = ((parseInt(hex.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    `8${hex.slice(13, 16)}`,
    `${variant}${hex.slice(17, 20)}`,
    hex.slice(20, 32),
  ].join('-');
}

/**
 * How long to wait before retry number `round` (1 for the first retry): exponential from 1 s,
 * doubling, at most 10 minutes, with "equal jitter" (half fixed, half random) so that retries
 * of deliveries that failed together do not arrive together.
 */
export function retryDelayMs(round: number, random: () => number = Math.random): number {
  const ceiling = Math.min(RETRY_CAP_MS, RETRY_BASE_MS * 2 ** Math.max(0, round - 1));
  return Math.round(ceiling / 2 + random() * (ceiling / 2));
}

/** Milliseconds until the request may be sent; 0 when it is due. */
export function msUntilDue(data: DeliveryRequestedData, now = Date.now()): number {
  return data.not_before === null ? 0 : Math.max(0, Date.parse(data.not_before) - now);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_TEXT;
}

function isCount(value: unknown, min: number): value is number {
  return Number.isSafeInteger(value) && (value as number) >= min;
}

function isTime(value: unknown): boolean {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}
