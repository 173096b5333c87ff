/**
 * Event types and their data. Each is emitted by exactly one service and is
 * immutable once appended; consumers must tolerate unknown extra fields.
 */
export const EventTypes = {
  /** workflow: a project's workflow was replaced by a new version. */
  workflowUpdated: 'kera.workflow.updated',
  /** workflow: a ticket was opened in its project's initial state. */
  ticketCreated: 'kera.ticket.created',
  /** workflow: a ticket's title or fields changed (fields are merged). */
  ticketUpdated: 'kera.ticket.updated',
  /** workflow: a ticket moved from one state to another. */
  ticketTransitioned: 'kera.ticket.transitioned',
  /** workflow: a pull/merge request or commit was linked to a ticket, or its link changed. */
  ticketLinked: 'kera.ticket.linked',
  /** workflow: a link was removed (`skip KER-1` in a description). */
  ticketUnlinked: 'kera.ticket.unlinked',
  /** workflow: a pipeline result was recorded on a ticket. */
  ticketPipelineUpdated: 'kera.ticket.pipeline_updated',
  /** workflow: an automated move was not allowed by the workflow and was skipped. */
  ticketTransitionSkipped: 'kera.ticket.transition_skipped',
  /** gateway: a verified inbound webhook was stored. */
  inboundReceived: 'kera.inbound.received',
  /** gateway: an inbound request was refused; no body is kept. */
  inboundRejected: 'kera.inbound.rejected',
  /** dispatcher: an outbound POST answered 2xx in time. */
  deliverySucceeded: 'kera.delivery.succeeded',
  /** dispatcher: an outbound POST failed (status, timeout, network, guard). */
  deliveryFailed: 'kera.delivery.failed',
  /**
   * dispatcher: a POST of one send_webhook action is due (a transition fired, a retry is
   * scheduled or an operator asked for a redelivery); the dispatcher's job queue.
   */
  deliveryRequested: 'kera.delivery.requested',
  /** gateway: an integration was created. */
  integrationCreated: 'kera.integration.created',
  /** gateway: an integration's secret was replaced. */
  integrationRotated: 'kera.integration.rotated',
  /** gateway: an integration was revoked. */
  integrationRevoked: 'kera.integration.revoked',
} as const;

export type EventType = (typeof EventTypes)[keyof typeof EventTypes];

export type Fields = Record<string, unknown>;

export interface WorkflowUpdatedData {
  project: string;
  version: number;
  /** The YAML exactly as it was put. May hold action secrets: audit redacts them. */
  yaml: string;
  actor: string | null;
  /** Ticket states in use that the new version no longer has. */
  orphaned_states: string[];
}

export interface TicketCreatedData {
  ticket_id: string;
  project: string;
  number: number;
  title: string;
  state: string;
  fields: Fields;
  actor: string | null;
  workflow_version: number;
}

export interface TicketUpdatedData {
  ticket_id: string;
  title?: string;
  /** Merged into the ticket's fields; a null value removes the field. */
  fields?: Fields;
  actor: string | null;
}

export interface TicketTransitionedData {
  ticket_id: string;
  project: string;
  /** Carried so that outbound payloads need no read model. */
  title: string;
  from_state: string;
  to_state: string;
  /** A person's e-mail, or the git user for automated moves. */
  actor: string;
  /** All fields of the ticket after the transition. */
  fields: Fields;
  /** The workflow version whose transition fired; its actions are the ones to run. */
  workflow_version: number;
  /** When the transition happened (the `timestamp` of outbound payloads). */
  transitioned_at: string;
}

export interface TicketLink {
  /** Stable identity of the linked object, so later events update the same link. */
  key: string;
  provider: 'github' | 'gitlab';
  kind: 'pull_request' | 'merge_request' | 'commit';
  number: number | null;
  url: string;
  title: string;
  state: string;
}

export interface TicketLinkedData {
  ticket_id: string;
  link: TicketLink;
  actor: string | null;
}

export interface TicketUnlinkedData {
  ticket_id: string;
  key: string;
  actor: string | null;
}

export interface PipelineView {
  provider: 'github' | 'gitlab';
  status: string;
  conclusion: string | null;
  url: string;
  ref: string | null;
  sha: string | null;
  updated_at: string;
}

export interface TicketPipelineUpdatedData {
  ticket_id: string;
  pipeline: PipelineView;
}

export interface TicketTransitionSkippedData {
  ticket_id: string;
  from_state: string;
  to_state: string;
  reason: string;
  actor: string | null;
}

export interface DeliveryOutcomeData {
  delivery_id: string;
  event_id: string;
  ticket_id: string;
  action_index: number;
  url: string;
  attempt: number;
  /** True when an operator asked for this attempt. */
  redelivery: boolean;
  status_code: number | null;
  duration_ms: number;
  error: { class: string; message: string } | null;
  response_excerpt: string;
  /** TICKETS stream sequence of the transition event: where a redelivery reads the payload. */
  event_seq?: number;
  /** The `kera.delivery.requested` event this attempt ran for. */
  request_id?: string;
}

/**
 * One POST to send: action `action_index` of the transition event `event_id` (stored at
 * `event_seq` in the TICKETS stream). The event and the workflow version it names are the
 * source of the payload and of the action; secrets are never copied here.
 */
export interface DeliveryRequestedData {
  delivery_id: string;
  ticket_id: string;
  event_id: string;
  event_seq: number;
  action_index: number;
  url: string;
  /** Why: the transition fired, an opt-in retry of a failed attempt, or an operator's request. */
  reason: 'transition' | 'retry' | 'redelivery';
  /** 1 for the first try of this request's series; retries count on from there. */
  round: number;
  /** Not sent before this time (ISO 8601 UTC); null for at once. */
  not_before: string | null;
  /** Who asked for a redelivery, when they said; null otherwise. */
  actor: string | null;
}

/**
 * A verified inbound webhook, stored before the sender gets its 202. The
 * body is kept exactly as received: inline (UTF-8 text, or base64 when it
 * is not valid UTF-8) up to the inline limit, else in the JetStream object
 * store under `body_object`.
 */
export interface InboundReceivedData {
  integration_id: string;
  provider: 'github' | 'gitlab' | 'generic';
  /** Only this project's tickets may be linked through the integration; null for any. */
  project: string | null;
  /** The provider's event name (`pull_request`, `Merge Request Hook`, a generic `type`). */
  event: string;
  delivery_id: string;
  content_type: string;
  /** The headers worth keeping; never a signature or token. */
  headers: Record<string, string>;
  body: string | null;
  body_encoding: 'utf8' | 'base64' | null;
  body_object: { bucket: string; name: string; size: number } | null;
  body_sha256: string;
  source_ip: string | null;
  received_at: string;
}

/** An inbound request that was refused; the body is never kept. */
export interface InboundRejectedData {
  /** The HTTP status it was answered with. */
  status: number;
  reason: string;
  integration_id: string | null;
  provider: string | null;
  event: string | null;
  delivery_id: string | null;
  source_ip: string | null;
  received_at: string;
  /** What the sender was told, in words that never hold a secret. */
  detail?: string;
}

/** An integration as its lifecycle events describe it; never its secret or token (hash). */
export interface IntegrationCreatedData {
  integration_id: string;
  provider: 'github' | 'gitlab' | 'generic';
  name: string;
  /** The first segment of its inbound URL `/webhooks/inbound/{slug}/{token}`. */
  slug: string;
  /** Only this project's tickets are linked through it; null for any project. */
  project: string | null;
}

/** An integration got a new secret; the previous one verifies until the time given. */
export interface IntegrationRotatedData {
  integration_id: string;
  previous_secret_expires_at: string;
}

/** An integration was revoked: its URL answers 404 from then on. */
export interface IntegrationRevokedData {
  integration_id: string;
  slug: string;
}
