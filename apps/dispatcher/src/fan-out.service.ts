import { Inject, Injectable } from '@nestjs/common';
import { EventTypes, Naming, type DeliveryRequestedData, type KeraEvent } from '@kera/contracts';
import type { SendWebhookAction } from '@kera/domain';
import { EventPublisher, type StreamMessage } from '@kera/jetstream';
import { LOGGER, type Logger } from '@kera/service';
import { deliveryId } from './delivery';
import { DispatchMetrics } from './dispatch-metrics';
import { appendPersistently } from './jobs/append';
import { WorkflowNotStoredError } from './jobs/delivery-attempts';
import { derivedId, requestEvent } from './jobs/delivery-request';
import { TransitionSource } from './jobs/transition-source';
import { transitionRoute, type TransitionRoute } from './transition-event';
import { WorkflowActions } from './workflow-actions';

/**
 * How often a transition is read again while its workflow version is missing from the read
 * model (with the transport's back-off, about a quarter of an hour) before it is given up.
 */
const MAX_READS_WITHOUT_WORKFLOW = 30;

/**
 * Turns each `kera.ticket.transitioned` event into one `kera.delivery.requested` event per
 * send_webhook action of the transition. The POSTs then run from that queue, so the ticket
 * event is acknowledged at once and no receiver can hold back the reading of ticket events.
 */
@Injectable()
export class TransitionFanOut {
  constructor(
    private readonly actions: WorkflowActions,
    private readonly transitions: TransitionSource,
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

    this.transitions.remember(message.seq, event);
    await Promise.all(
      actions.map((action, index) => this.request(event, message.seq, route, action, index)),
    );
  }

  private request(
    event: KeraEvent,
    seq: number,
    route: TransitionRoute,
    action: SendWebhookAction,
    index: number,
  ): Promise<void> {
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
    // Derived from the delivery id, so a fan-out repeated after a crash is stored once.
    const request = requestEvent(derivedId(`${data.delivery_id}:transition`), data, {
      correlationId: event.correlationid,
      causationId: event.id,
    });
    return appendPersistently(
      this.publisher,
      this.naming.deliveryRequests(route.ticket_id),
      request,
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
