import { UnavailableError, type KeraEvent } from '@kera/contracts';
import type { EventPublisher } from '@kera/jetstream';

const TRIES = 4;
const FIRST_PAUSE_MS = 250;

/**
 * Appends an event, trying again for a few seconds while JetStream does not answer. The event
 * keeps its id across tries, so one that was stored before its acknowledgement got lost is
 * stored once. Other errors, and the last unavailability, are thrown.
 */
export async function appendPersistently(
  publisher: EventPublisher,
  subject: string,
  event: KeraEvent,
): Promise<void> {
  for (let tried = 1; ; tried += 1) {
    try {
      await publisher.append(subject, event);
      return;
    } catch (error) {
      if (tried >= TRIES || !(error instanceof UnavailableError)) throw error;
      await new Promise((resolve) => setTimeout(resolve, FIRST_PAUSE_MS * 4 ** (tried - 1)));
    }
  }
}
