import { hasControlCharacter } from './headers';
import { reject } from './rejection';
import type { RejectedInbound } from './types';

/** Longest event name or delivery id accepted; both end up in subjects, keys and audit rows. */
export const MAX_NAME_LENGTH = 256;

/** What a verified delivery is and which delivery it is. */
export interface Identity {
  ok: true;
  event: string;
  delivery_id: string;
}

/** Where the event name and the delivery id were found, named as the sender knows them. */
export interface IdentitySources {
  event: string | undefined;
  eventSource: string;
  deliveryId: string | undefined;
  deliverySource: string;
}

/** Requires a short single-line event name and delivery id. */
export function identify(sources: IdentitySources): Identity | RejectedInbound {
  const { event, eventSource, deliveryId, deliverySource } = sources;
  if (event === undefined || event.trim() === '') {
    return reject('missing_event', `${eventSource} is missing; it names the event`);
  }
  if (!isShortLine(event)) {
    return reject(
      'invalid_event',
      `${eventSource} must be at most ${MAX_NAME_LENGTH} characters of one line`,
    );
  }

  if (deliveryId === undefined || deliveryId.trim() === '') {
    return reject(
      'missing_delivery_id',
      `${deliverySource} is missing; it identifies the delivery`,
    );
  }
  if (!isShortLine(deliveryId)) {
    return reject(
      'invalid_delivery_id',
      `${deliverySource} must be at most ${MAX_NAME_LENGTH} characters of one line`,
    );
  }

  return { ok: true, event, delivery_id: deliveryId };
}

function isShortLine(text: string): boolean {
  return text.length <= MAX_NAME_LENGTH && !hasControlCharacter(text);
}
