import { Inject, Injectable } from '@nestjs/common';
import { EventTypes, Naming, type DeliveryRequestedData, type KeraEvent } from '@kera/contracts';
import type { SendWebhookAction } from '@kera/domain';
import { EventPublisher, type StreamMessage } from '@kera/jetstream';
import { LOGGER, type Logger } from '@kera/service';
import { deliveryId } from './delivery';
import { DispatchMetrics } from './dispatch-metrics';
import { appendPersistently } from './jobs/append';
import { WorkflowNotStoredError, type PreparedDelivery } from './jobs/delivery-attempts';
import { DeliveryQueue } from './jobs/delivery-queue';
import { derivedId, requestEvent, type DeliveryRequest } from './jobs/delivery-request';
import { TransitionSource } from './jobs/transition-source';
import { transitionPayload, transitionRoute, type TransitionRoute } from './transition-event';
import { WorkflowActions } from './workflow-actions';

/**
 * How often a transition is read again while its workflow version is missing from the read
 * model (with the transport's back-off, about a quarter of an hour) before it is given up.
 */
const MAX_READS_WITHOUT_WORKFLOW = 30;

/**
 * The longest `timeout_ms` of an action whose first attempt is sent straight from the
 * transition event. The transition stays unacknowledged until the attempt is recorded, so the
 * POST, a short wait for Postgres and the recording must fit well within the consumer's 30 s
 * acknowledgement wait; actions allowed longer go through the queue, which keeps its requests
 * alive with heartbeats.
 */
export const DIRECT_MAX_TIMEOUT_MS = 15_000;

/**
 * Runs the send_webhook actions of each `kera.ticket.transitioned` event. An action whose
 * receiver has a free slot is sent at once, from the event in hand, and the event is
 * acknowledged after its outcome is recorded (a crash before that makes JetStream hand the
 * event out again, and the POST is sent again with the same delivery id). Any other action
 * becomes a `kera.delivery.requested` event for the queue, so that no busy, slow or hanging
 * receiver can hold back the reading of ticket events.
 */
@Injectable()
export class TransitionFanOut {
  constructor(
    private readonly actions: WorkflowActions,
    private readonly transitions: TransitionSource,
    private readonly queue: DeliveryQueue,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
    private readonly metrics: DispatchMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async fanOut(message: StreamMessage): Promise<void> {
    const { event } = message;
    if (!event || event.type !== EventTypes.ticketTransitioned) return;
    const route = transitionRoute(event);
    if (!route) return this.skip(message, 'malformed');

    const { project, workflow_version: version } = route;
    const actions = await this.actions.forTransition(
      project,
      version,
      route.from_state,
      route.to_state,
    );
    if (actions === null) {
      // The workflow read model is behind the ticket stream: read the event again later.
      if (message.deliveryCount < MAX_READS_WITHOUT_WORKFLOW) {
        throw new WorkflowNotStoredError(project, version);
      }
      return this.skip(message, 'workflow_missing');
    }
    if (actions.length === 0) return;

    this.transitions.remember(message.seq, event);
    const payload = transitionPayload(event);
    await Promise.all(
      actions.map((action, index) => {
        const request = firstRequest(event, message.seq, route, action, index);
        const delivery: PreparedDelivery = payload.ok
          ? { request, action, body: payload.body }
          : { request, problem: payload.reason };
        // Resolves once the outcome is recorded; null when the receiver has no free slot.
        const direct =
          action.timeout_ms <= DIRECT_MAX_TIMEOUT_MS ? this.queue.startNow(delivery) : null;
        return direct ?? this.enqueue(event, request);
      }),
    );
  }

  private enqueue(event: KeraEvent, request: DeliveryRequest): Promise<void> {
    // The id is derived from the delivery id, so a fan-out repeated after a crash stores it once.
    const stored = requestEvent(request.id, request.data, {
      correlationId: event.correlationid,
      causationId: event.id,
    });
    return appendPersistently(
      this.publisher,
      this.naming.deliveryRequests(request.data.ticket_id),
      stored,
    );
  }

  private skip(message: StreamMessage, reason: 'malformed' | 'workflow_missing'): void {
    this.metrics.transitionSkipped(reason);
    this.logger.error(
      { event_id: message.event?.id, stream: message.stream, seq: message.seq, reason },
      'transition not dispatched: its send_webhook actions cannot be found',
    );
  }
}

/** The first attempt of one action of a transition, as the queue would hand it out. */
function firstRequest(
  event: KeraEvent,
  seq: number,
  route: TransitionRoute,
  action: SendWebhookAction,
  index: number,
): DeliveryRequest {
  const data: DeliveryRequestedData = {
    delivery_id: deliveryId(event.id, index),
    ticket_id: route.ticket_id,
    event_id: event.id,
    event_seq: seq,
    action_index: index,
    url: action.url,
    reason: 'transition',
    round: 1,
    not_before: null,
    actor: null,
  };
  return {
    id: derivedId(`${data.delivery_id}:transition`),
    correlationId: event.correlationid,
    data,
    fromTransition: event.id,
  };
}
