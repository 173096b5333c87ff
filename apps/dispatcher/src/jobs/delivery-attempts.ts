import { Inject, Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  EventTypes,
  Naming,
  createEvent,
  type DeliveryOutcomeData,
  type DeliveryRequestedData,
} from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import type { SendWebhookAction } from '@kera/domain';
import { EventPublisher } from '@kera/jetstream';
import { KERA_CONFIG, LOGGER, type Logger } from '@kera/service';
import { OutboundSender, buildHeaders, type DeliveryResult } from '../delivery';
import { DispatchMetrics } from '../dispatch-metrics';
import { transitionPayload, transitionRoute } from '../transition-event';
import { WorkflowActions } from '../workflow-actions';
import { appendPersistently } from './append';
import { AttemptCounter } from './attempt-counter';
import { derivedId, requestEvent, retryDelayMs, type DeliveryRequest } from './delivery-request';
import { hostKey } from './host-scheduler';
import { TransitionSource } from './transition-source';

/** Kera's version, sent in `User-Agent: Kera-Webhooks/<version>`. */
export const KERA_VERSION = '0.1.0';
const SOURCE = 'kera/dispatcher';

/** A request with everything its POST needs, or the reason no POST can be made of it. */
export type PreparedDelivery =
  | { request: DeliveryRequest; action: SendWebhookAction; body: string }
  | { request: DeliveryRequest; problem: string };

/** The workflow version a transition names is not in the read model yet; try again later. */
export class WorkflowNotStoredError extends Error {
  constructor(project: string, version: number) {
    super(`workflow ${project} v${version} is not stored yet`);
    this.name = 'WorkflowNotStoredError';
  }
}

/**
 * One attempt of a delivery: builds the exact POST from the transition event and the action of
 * the workflow version it fired under, sends it, schedules an opt-in retry when it failed, and
 * records the outcome as a `kera.delivery.succeeded` or `kera.delivery.failed` event.
 */
@Injectable()
export class DeliveryAttempts implements OnApplicationShutdown {
  private readonly sender: OutboundSender;

  constructor(
    private readonly transitions: TransitionSource,
    private readonly actions: WorkflowActions,
    private readonly counter: AttemptCounter,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
    private readonly metrics: DispatchMetrics,
    @Inject(KERA_CONFIG) config: KeraConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.sender = new OutboundSender({
      allow: config.outboundAllow,
      maxResponseBytes: 4096,
      userAgentVersion: KERA_VERSION,
    });
  }

  /**
   * Gathers what the POST is made of. A request that can never be sent (its event or action is
   * missing or malformed) comes back with a problem, to be recorded as a failed attempt rather
   * than retried forever. Throws when JetStream or Postgres cannot be asked, or the workflow
   * version is not stored yet: the request is then tried again later.
   */
  async prepare(request: DeliveryRequest): Promise<PreparedDelivery> {
    const { data } = request;
    const event = await this.transitions.load(data);
    if (!event) {
      return { request, problem: `no transition ${data.event_id} at TICKETS #${data.event_seq}` };
    }
    const route = transitionRoute(event);
    if (!route) return { request, problem: 'the event is not a well-formed transition' };

    const { project, workflow_version: version, from_state: from, to_state: to } = route;
    const actions = await this.actions.forTransition(project, version, from, to);
    if (actions === null) throw new WorkflowNotStoredError(project, version);
    const action = actions[data.action_index];
    if (!action) {
      return {
        request,
        problem: `${project} v${version} ${from} -> ${to} has no action #${data.action_index}`,
      };
    }

    const payload = transitionPayload(event);
    return payload.ok
      ? { request, action, body: payload.body }
      : { request, problem: payload.reason };
  }

  /**
   * Numbers the attempt, sends the POST and records the outcome (after scheduling a retry, so
   * that a recorded failure always has its retry in the queue). Returns false, recording
   * nothing, when `abandoned` says the dispatcher gave the request back while it ran.
   * `receiverDone` is called once the receiver has answered (or the POST failed), before the
   * recording.
   *
   * The number is asked for as the attempt starts and, while Postgres answers, the POST goes
   * out meanwhile (see `AttemptCounter.take`). Should the number then fail, the POST was sent
   * but nothing is recorded: the error makes the caller hand the work back, and the attempt
   * is made again, with the same delivery id, as after a crash.
   */
  async perform(
    delivery: PreparedDelivery,
    abandoned: () => boolean,
    receiverDone: () => void = () => undefined,
  ): Promise<boolean> {
    const taken = this.counter.take(delivery.request.data.delivery_id);
    await taken.beforeSending;

    const result = 'problem' in delivery ? notSent(delivery.problem) : await this.send(delivery);
    receiverDone();
    const attempt = await taken.number;
    if (abandoned()) return false;

    if (wantsRetry(delivery, result)) await this.scheduleRetry(delivery.request);
    await this.record(delivery.request, attempt, result);
    return true;
  }

  onApplicationShutdown(): void {
    this.sender.close();
  }

  private send(delivery: { request: DeliveryRequest; action: SendWebhookAction; body: string }) {
    const { request, action, body } = delivery;
    const headers = buildHeaders({
      deliveryId: request.data.delivery_id,
      body,
      secret: action.secret,
      extraHeaders: action.headers,
      version: KERA_VERSION,
      nowSeconds: Math.floor(Date.now() / 1000),
    });
    return this.sender.send({ url: action.url, body, headers, timeoutMs: action.timeout_ms });
  }

  private async scheduleRetry(request: DeliveryRequest): Promise<void> {
    const { data } = request;
    const next: DeliveryRequestedData = {
      ...data,
      reason: 'retry',
      round: data.round + 1,
      not_before: new Date(Date.now() + retryDelayMs(data.round)).toISOString(),
      actor: null,
    };
    const event = requestEvent(derivedId(`${request.id}:retry`), next, {
      correlationId: request.correlationId,
      causationId: request.fromTransition ?? request.id,
    });

    await appendPersistently(this.publisher, this.naming.deliveryRequests(data.ticket_id), event);
    this.metrics.retryScheduled();
  }

  private async record(
    request: DeliveryRequest,
    attempt: number,
    result: DeliveryResult,
  ): Promise<void> {
    const { data } = request;
    const outcome: DeliveryOutcomeData = {
      delivery_id: data.delivery_id,
      event_id: data.event_id,
      ticket_id: data.ticket_id,
      action_index: data.action_index,
      url: data.url,
      attempt,
      redelivery: data.reason === 'redelivery',
      status_code: result.status_code,
      duration_ms: result.duration_ms,
      error: result.error,
      response_excerpt: result.response_excerpt,
      event_seq: data.event_seq,
    };
    if (!request.fromTransition) outcome.request_id = request.id;
    const event = createEvent({
      id: randomUUID(),
      type: result.ok ? EventTypes.deliverySucceeded : EventTypes.deliveryFailed,
      source: SOURCE,
      subject: data.ticket_id,
      data: outcome,
      correlationId: request.correlationId,
      causationId: request.fromTransition ?? request.id,
    });

    await appendPersistently(this.publisher, this.naming.deliveryEvents(data.ticket_id), event);
    this.metrics.attempted(result);
    this.log(outcome, result);
  }

  private log(outcome: DeliveryOutcomeData, result: DeliveryResult): void {
    const fields = {
      delivery_id: outcome.delivery_id,
      event_id: outcome.event_id,
      ticket: outcome.ticket_id,
      receiver: hostKey(outcome.url),
      attempt: outcome.attempt,
      status: result.status_code,
      duration_ms: result.duration_ms,
    };
    if (result.ok) this.logger.debug(fields, 'delivered');
    else this.logger.warn({ ...fields, error: result.error }, 'delivery failed');
  }
}

function wantsRetry(delivery: PreparedDelivery, result: DeliveryResult): boolean {
  if (result.ok || 'problem' in delivery) return false;
  const { reason, round } = delivery.request.data;
  const allowed = delivery.action.retry?.attempts ?? 0;
  return reason !== 'redelivery' && round <= allowed;
}

function notSent(problem: string): DeliveryResult {
  return {
    ok: false,
    status_code: null,
    duration_ms: 0,
    error: { class: 'invalid_event', message: problem },
    response_excerpt: '',
  };
}
