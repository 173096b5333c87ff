import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  ConflictError,
  Naming,
  NotFoundError,
  isRecord,
  type DeliveryRequestedData,
  type RedeliveryAccepted,
} from '@kera/contracts';
import { EventPublisher } from '@kera/jetstream';
import { appendPersistently } from '../jobs/append';
import { isDeliveryId, requestEvent } from '../jobs/delivery-request';
import { DeliveryLogRepository } from './delivery-log.repository';

const MAX_ACTOR_CHARS = 320;

/**
 * Queues one more attempt of a recorded delivery, with the same delivery id. The payload comes
 * from the transition event in the TICKETS stream, as for the first attempt; the attempt is
 * recorded with `redelivery: true` and is not retried automatically.
 */
@Injectable()
export class RedeliveryService {
  constructor(
    private readonly log: DeliveryLogRepository,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
  ) {}

  async redeliver(command: unknown, correlationId?: string): Promise<RedeliveryAccepted> {
    const { deliveryId, actor } = readCommand(command);
    const recorded = await this.log.latest(deliveryId);
    if (!recorded) throw new NotFoundError(`no delivery ${deliveryId} has been recorded`);
    if (recorded.event_seq === null) {
      throw new ConflictError(
        `delivery ${deliveryId} was recorded before redelivery was possible and cannot be sent again`,
      );
    }

    const id = randomUUID();
    const data: DeliveryRequestedData = {
      delivery_id: deliveryId,
      ticket_id: recorded.ticket_id,
      event_id: recorded.event_id,
      event_seq: recorded.event_seq,
      action_index: recorded.action_index,
      url: recorded.url,
      reason: 'redelivery',
      round: 1,
      not_before: null,
      actor,
    };
    const event = requestEvent(id, data, { correlationId: correlationId ?? id, causationId: id });
    await appendPersistently(this.publisher, this.naming.deliveryRequests(data.ticket_id), event);
    return { delivery_id: deliveryId, request_id: id };
  }
}

function readCommand(command: unknown): { deliveryId: string; actor: string | null } {
  const raw = isRecord(command) ? command : {};
  // Anything that is not a delivery id names no delivery: the same answer as an unknown one.
  if (!isDeliveryId(raw.delivery_id)) {
    throw new NotFoundError(`no delivery ${JSON.stringify(String(raw.delivery_id ?? ''))} exists`);
  }
  const actor =
    typeof raw.actor === 'string' && raw.actor.trim()
      ? raw.actor.trim().slice(0, MAX_ACTOR_CHARS)
      : null;
  return { deliveryId: raw.delivery_id, actor };
}
