import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  EventTypes,
  Naming,
  createEvent,
  type DeliveryOutcomeData,
  type KeraEvent,
  type TicketTransitionedData,
} from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import type { SendWebhookAction } from '@kera/domain';
import { EventPublisher } from '@kera/jetstream';
import { KERA_CONFIG, LOGGER, type Logger } from '@kera/service';
import {
  OutboundSender,
  buildHeaders,
  buildTransitionPayload,
  deliveryId,
  type DeliveryResult,
} from './delivery';
import { WorkflowActions } from './workflow-actions';

const SOURCE = 'kera/dispatcher';
export const KERA_VERSION = '0.1.0';

/** One outbound POST per send_webhook action of a transition; failures are recorded, not retried. */
@Injectable()
export class DispatchService {
  private readonly sender: OutboundSender;

  constructor(
    private readonly actions: WorkflowActions,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
    private readonly db: DataSource,
    @Inject(KERA_CONFIG) config: KeraConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.sender = new OutboundSender({
      allow: config.outboundAllow,
      maxResponseBytes: 4096,
      userAgentVersion: KERA_VERSION,
    });
  }

  async dispatch(event: KeraEvent): Promise<void> {
    if (event.type !== EventTypes.ticketTransitioned) return;
    const data = event.data as TicketTransitionedData;
    const actions = await this.actions.forTransition(
      data.project,
      data.workflow_version,
      data.from_state,
      data.to_state,
    );
    if (actions === null) {
      // The workflow read model is behind the ticket stream; the message is
      // redelivered until it catches up.
      throw new Error(`workflow ${data.project} v${data.workflow_version} is not stored yet`);
    }

    // Each action on its own: one slow receiver does not hold back the others.
    await Promise.all(actions.map((action, index) => this.deliver(event, data, action, index)));
  }

  private async deliver(
    event: KeraEvent,
    data: TicketTransitionedData,
    action: SendWebhookAction,
    index: number,
  ): Promise<void> {
    const id = deliveryId(event.id, index);
    const body = buildTransitionPayload({
      ticketId: data.ticket_id,
      title: data.title,
      fromState: data.from_state,
      toState: data.to_state,
      actor: data.actor,
      transitionedAt: data.transitioned_at,
      fields: data.fields,
    });
    const headers = buildHeaders({
      deliveryId: id,
      body,
      secret: action.secret,
      extraHeaders: action.headers,
      version: KERA_VERSION,
      nowSeconds: Math.floor(Date.now() / 1000),
    });

    const result = await this.sender.send({
      url: action.url,
      body,
      headers,
      timeoutMs: action.timeout_ms,
    });
    await this.record(event, data, action, index, id, result);
  }

  private async record(
    event: KeraEvent,
    data: TicketTransitionedData,
    action: SendWebhookAction,
    index: number,
    id: string,
    result: DeliveryResult,
  ): Promise<void> {
    const outcome: DeliveryOutcomeData = {
      delivery_id: id,
      event_id: event.id,
      ticket_id: data.ticket_id,
      action_index: index,
      url: action.url,
      attempt: 1,
      redelivery: false,
      status_code: result.status_code,
      duration_ms: Math.round(result.duration_ms),
      error: result.error,
      response_excerpt: result.response_excerpt,
    };
    const type = result.ok ? EventTypes.deliverySucceeded : EventTypes.deliveryFailed;
    const outcomeEvent = createEvent({
      id: randomUUID(),
      type,
      source: SOURCE,
      subject: data.ticket_id,
      data: outcome,
      correlationId: event.correlationid,
      causationId: event.id,
    });
    await this.publisher.append(this.naming.deliveryEvents(data.ticket_id), outcomeEvent);
    await this.db.query(
      `INSERT INTO deliveries
         (outcome_event_id, delivery_id, attempt, event_id, ticket_id, action_index, url, status,
          status_code, duration_ms, error_class, error_message, response_excerpt, redelivery, attempted_at)
       VALUES ($1, $2,
         (SELECT count(*) + 1 FROM deliveries WHERE delivery_id = $2),
         $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT (outcome_event_id) DO NOTHING`,
      [
        outcomeEvent.id,
        id,
        event.id,
        data.ticket_id,
        index,
        action.url,
        result.ok ? 'succeeded' : 'failed',
        result.status_code,
        outcome.duration_ms,
        result.error?.class ?? null,
        result.error?.message ?? null,
        result.response_excerpt,
        false,
        outcomeEvent.time,
      ],
    );
    const fields = { delivery_id: id, event_id: event.id, ticket: data.ticket_id, url: action.url };
    if (result.ok) this.logger.debug({ ...fields, status: result.status_code }, 'delivered');
    else
      this.logger.warn(
        { ...fields, status: result.status_code, error: result.error },
        'delivery failed',
      );
  }
}
