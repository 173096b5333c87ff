import type { Fields, PipelineView, TicketLink } from './events';
import type { ProblemDetails } from './problems';

/**
 * Commands are requests over core NATS (request/reply, one queue group per
 * service) on `<root>.cmd.<name>`, JSON in and out. Any internal service may
 * send them, e.g. `nats req kera.cmd.ticket.transition '{"ticket_id":"KER-1",
 * "to":"in_review","actor":"bot@example.com"}'`. The reply is a CommandReply.
 */
export interface CreateTicketCommand {
  project: string;
  title: string;
  fields?: Fields;
  actor?: string | null;
}

export interface GetTicketCommand {
  ticket_id: string;
}

export interface UpdateTicketCommand {
  ticket_id: string;
  title?: string;
  fields?: Fields;
  actor?: string | null;
}

export interface TransitionTicketCommand {
  ticket_id: string;
  to: string;
  actor?: string | null;
}

export interface PutWorkflowCommand {
  project: string;
  yaml: string;
  actor?: string | null;
}

export interface GetWorkflowCommand {
  project: string;
}

export type CommandReply<T> = { ok: true; result: T } | { ok: false; problem: ProblemDetails };

/** The ticket as the API shows it. */
export interface TicketView {
  id: string;
  project: string;
  title: string;
  state: string;
  /** True when the project's current workflow no longer has `state` (a workflow change removed it). */
  state_orphaned: boolean;
  fields: Fields;
  links: TicketLink[];
  pipeline: PipelineView | null;
  /** Stream sequence of the ticket's last event. */
  version: number;
  updated_at: string;
}

export interface TransitionResult {
  ticket: TicketView;
  event: { id: string; type: string; from_state: string; to_state: string; time: string };
}

export interface WorkflowPutResult {
  project: string;
  version: number;
  orphaned_states: string[];
}

export interface WorkflowView {
  project: string;
  version: number;
  yaml: string;
  updated_at: string;
}

/** `deliveries.list`: the outbound delivery log, newest first. Every filter is optional. */
export interface ListDeliveriesCommand {
  ticket?: string;
  status?: 'succeeded' | 'failed';
  /** One delivery's attempts only. */
  delivery?: string;
  /** 1 to 200, default 50. */
  limit?: number | string;
  /** The `next` cursor of the previous page. */
  after?: string;
}

/** One recorded attempt of an outbound delivery, as the delivery log shows it. */
export interface DeliveryAttemptView {
  delivery_id: string;
  /** 1, 2, … per delivery id in the order attempts started; a gap is an attempt cut short. */
  attempt: number;
  ticket_id: string;
  event_id: string;
  action_index: number;
  url: string;
  status: 'succeeded' | 'failed';
  status_code: number | null;
  duration_ms: number;
  error: { class: string; message: string } | null;
  /** The first 4 KB of the response body. */
  response_excerpt: string;
  redelivery: boolean;
  attempted_at: string;
}

export interface DeliveryPage {
  items: DeliveryAttemptView[];
  next: string | null;
}

/** `deliveries.redeliver`: send a delivery's POST again, with the same delivery id. */
export interface RedeliverCommand {
  delivery_id: string;
  actor?: string | null;
}

export interface RedeliveryAccepted {
  delivery_id: string;
  /** The id of the `kera.delivery.requested` event that queued it. */
  request_id: string;
}

export const PROJECT_KEY = /^[A-Z][A-Z0-9]{1,9}$/;
export const TICKET_ID = /^([A-Z][A-Z0-9]{1,9})-([1-9][0-9]{0,9})$/;

/** An integration as `GET /api/integrations` lists it: never its secret or token. */
export interface IntegrationView {
  id: string;
  provider: 'github' | 'gitlab' | 'generic';
  name: string;
  slug: string;
  project: string | null;
  created_at: string;
  rotated_at: string | null;
  /** Until when the secret replaced by the last rotation still verifies; null when none does. */
  previous_secret_expires_at: string | null;
  /** When a request last reached its URL with the right token, accepted or not. */
  last_delivery_at: string | null;
  accepted_count: number;
  rejected_count: number;
}

/** The answer to creating an integration: the only time its secret and URL token are shown. */
export interface CreatedIntegration {
  id: string;
  provider: 'github' | 'gitlab' | 'generic';
  name: string;
  slug: string;
  project: string | null;
  /** `/webhooks/inbound/{slug}/{token}`, prefixed with KERA_PUBLIC_URL when that is set. */
  url: string;
  secret: string;
  created_at: string;
}
