import { createHash } from 'node:crypto';
import {
  EventTypes,
  type PipelineView,
  type TicketLink,
  type TicketLinkedData,
  type TicketPipelineUpdatedData,
  type TicketTransitionSkippedData,
  type TicketTransitionedData,
  type TicketUnlinkedData,
} from '@kera/contracts';
import {
  decideTransition,
  findTransition,
  linkKey,
  type CurrentWorkflow,
  type GitAutomation,
  type GitEvent,
  type GitPipelineEvent,
  type LinkView,
  type TicketState,
  type WorkflowDefinition,
} from '@kera/domain';

/**
 * The ticket changes that git automation decides: pure functions of the
 * ticket as its stream has it now. Each answers null when the ticket already
 * shows the change, which is what makes a replayed inbound event a no-op.
 */

/** One ticket event to append. */
export interface TicketChange<T = unknown> {
  type: string;
  data: T;
}

/** A key of the workflow's `git:` section: which automated move an event asks for. */
export type GitTrigger = keyof GitAutomation;

/**
 * Where an event that git automation appends comes from. Its id is derived
 * from the inbound delivery, the ticket and the change, so that a replay
 * within the stream's duplicate window is stored once.
 */
export interface EventOrigin {
  id: string;
  correlationId: string;
  causationId: string;
}

/** The link a ticket shows for a PR, MR or commit (SPEC section 6). */
export function toTicketLink(view: LinkView): TicketLink {
  return {
    key: linkKey(view),
    provider: view.provider,
    kind: view.kind,
    number: view.kind === 'commit' ? null : view.number,
    url: view.url,
    title: view.title,
    state: view.state,
  };
}

/** The ticket's pipeline view of a CI run; `at` is when Kera received the run's event. */
export function pipelineView(event: GitPipelineEvent, at: string): PipelineView {
  return {
    provider: event.provider,
    status: event.status,
    conclusion: event.conclusion,
    url: event.url,
    ref: event.ref,
    sha: event.sha,
    updated_at: at,
  };
}

const LINK_FIELDS = ['key', 'provider', 'kind', 'number', 'url', 'title', 'state'] as const;

/** Adds the link, or updates the one with the same key (a PR's new state or title). */
export function decideLink(
  ticket: TicketState,
  link: TicketLink,
  actor: string | null,
): TicketChange<TicketLinkedData> | null {
  const current = ticket.links.find((existing) => existing.key === link.key);
  if (current !== undefined && LINK_FIELDS.every((field) => current[field] === link[field])) {
    return null;
  }
  return { type: EventTypes.ticketLinked, data: { ticket_id: ticket.id, link, actor } };
}

export function decideUnlink(
  ticket: TicketState,
  key: string,
  actor: string | null,
): TicketChange<TicketUnlinkedData> | null {
  if (!ticket.links.some((link) => link.key === key)) return null;
  return { type: EventTypes.ticketUnlinked, data: { ticket_id: ticket.id, key, actor } };
}

const PIPELINE_FIELDS = ['provider', 'status', 'conclusion', 'url', 'ref', 'sha'] as const;

/** A run's state that the ticket shows already (whenever it was received) changes nothing. */
export function decidePipeline(
  ticket: TicketState,
  pipeline: PipelineView,
): TicketChange<TicketPipelineUpdatedData> | null {
  const current = ticket.pipeline;
  if (current !== null && PIPELINE_FIELDS.every((field) => current[field] === pipeline[field])) {
    return null;
  }
  return { type: EventTypes.ticketPipelineUpdated, data: { ticket_id: ticket.id, pipeline } };
}

/**
 * The `git:` trigger an event fires, if any. A draft PR/MR is not ready for
 * review, so opening one moves nothing; marking it ready does.
 */
export function triggerOf(event: GitEvent): GitTrigger | null {
  if (event.kind === 'pipeline') {
    return event.status === 'completed' && event.conclusion === 'failure'
      ? 'on_pipeline_failed'
      : null;
  }
  if (event.kind !== 'pull_request') return null;
  if (event.action === 'merged') return 'on_merge';
  const opening = ['opened', 'reopened', 'ready_for_review'].includes(event.action);
  return opening && !event.draft ? 'on_pull_request_opened' : null;
}

/**
 * The move a trigger asks for, as an ordinary transition, or the record of
 * why it was skipped. Null when the workflow has no target for the trigger or
 * the ticket is there already.
 */
export function decideAutomatedMove(
  ticket: TicketState,
  workflow: CurrentWorkflow,
  trigger: GitTrigger,
  actor: string,
  now: Date,
): TicketChange<TicketTransitionedData | TicketTransitionSkippedData> | null {
  const to = workflow.definition.git[trigger];
  if (to === undefined || to === ticket.state) return null;

  const refusal = refusalOf(workflow.definition, ticket.state, to, trigger);
  if (refusal !== null) {
    const data: TicketTransitionSkippedData = {
      ticket_id: ticket.id,
      from_state: ticket.state,
      to_state: to,
      reason: `${trigger}: ${refusal}`,
      actor,
    };
    return { type: EventTypes.ticketTransitionSkipped, data };
  }
  const data = decideTransition(ticket, { to, actor }, workflow, now);
  return { type: EventTypes.ticketTransitioned, data };
}

/**
 * Why an automated move must not happen, or null. Beyond the workflow's own
 * rule, automation never moves a ticket back, judged by the order of the
 * workflow's states: opening and merging only move forward, and a failed
 * pipeline (whose target is usually an earlier state) only sends back work
 * that has not yet reached the `on_merge` state.
 */
function refusalOf(
  definition: WorkflowDefinition,
  from: string,
  to: string,
  trigger: GitTrigger,
): string | null {
  if (findTransition(definition, from, to) === undefined) {
    return `the workflow has no transition from "${from}" to "${to}"`;
  }

  const order = (state: string | undefined) =>
    state === undefined ? -1 : definition.states.indexOf(state);
  if (trigger === 'on_pipeline_failed') {
    const merged = definition.git.on_merge;
    const finished = order(merged) >= 0 && order(from) >= order(merged);
    return finished ? `"${from}" is at or past the on_merge state "${merged}"` : null;
  }
  const backwards = order(to) >= 0 && order(to) < order(from);
  return backwards ? `"${to}" comes before "${from}"; automation never moves a ticket back` : null;
}

/** Names the ids of events that git automation derives (an RFC 9562 version 5 namespace). */
const CHANGE_NAMESPACE = Buffer.from('5f0c6a4e8b1d4f7a9c2e3b6d8a1f4c07', 'hex');

/**
 * A version 5 UUID of the inbound delivery, the ticket and the change: the
 * same inputs always give the same event id, so JetStream stores a replayed
 * change once (within the stream's duplicate window).
 */
export function changeEventId(delivery: string, ticketId: string, change: string): string {
  const name = JSON.stringify([delivery, ticketId, change]);
  const hash = createHash('sha1').update(CHANGE_NAMESPACE).update(name).digest();
  hash[6] = ((hash[6] ?? 0) & 0x0f) | 0x50;
  hash[8] = ((hash[8] ?? 0) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return [
    hex.slice(0, 8),
    hex.slice(8, 12),
    hex.slice(12, 16),
    hex.slice(16, 20),
    hex.slice(20),
  ].join('-');
}
