import {
  EventTypes,
  createEvent,
  type KeraEvent,
  type PipelineView,
  type TicketCreatedData,
  type TicketLink,
  type TicketTransitionedData,
  type TicketUpdatedData,
} from '@kera/contracts';
import { parseWorkflow, type WorkflowDefinition } from '../workflow';
import { evolve, type CurrentWorkflow, type TicketState } from './ticket';

/**
 * Given-events helpers for the ticket's decide/evolve tests: events as the
 * stream holds them, folded with `evolve` at chosen stream sequences.
 */

export const ID = 'KER-7';
export const CREATED_AT = '2026-03-02T09:00:00.000Z';

/** An event of ticket KER-7 at `minute` minutes past CREATED_AT. */
function ticketEvent<T>(type: string, data: T, minute: number): KeraEvent<T> {
  const time = new Date(Date.parse(CREATED_AT) + minute * 60_000);
  return createEvent({ type, source: 'kera/workflow', subject: ID, data, time });
}

export function created(overrides: Partial<TicketCreatedData> = {}): KeraEvent {
  return ticketEvent(
    EventTypes.ticketCreated,
    {
      ticket_id: ID,
      project: 'KER',
      number: 7,
      title: 'Fix login timeout',
      state: 'backlog',
      fields: { priority: 'high' },
      actor: 'max@example.com',
      workflow_version: 1,
      ...overrides,
    },
    0,
  );
}

export function updated(patch: Omit<TicketUpdatedData, 'ticket_id' | 'actor'>, minute = 1) {
  return ticketEvent(EventTypes.ticketUpdated, { ticket_id: ID, actor: null, ...patch }, minute);
}

export function transitioned(from: string, to: string, minute = 2): KeraEvent {
  const data: TicketTransitionedData = {
    ticket_id: ID,
    project: 'KER',
    title: 'Fix login timeout',
    from_state: from,
    to_state: to,
    actor: 'max@example.com',
    fields: {},
    workflow_version: 1,
    transitioned_at: new Date(Date.parse(CREATED_AT) + minute * 60_000).toISOString(),
  };
  return ticketEvent(EventTypes.ticketTransitioned, data, minute);
}

export const PR_LINK: TicketLink = {
  key: 'github:acme/web:pr:12',
  provider: 'github',
  kind: 'pull_request',
  number: 12,
  url: 'https://github.com/acme/web/pull/12',
  title: 'KER-7 shorter session timeout',
  state: 'open',
};

export function linked(link: TicketLink, minute = 3): KeraEvent {
  return ticketEvent(EventTypes.ticketLinked, { ticket_id: ID, link, actor: null }, minute);
}

export function unlinked(key: string, minute = 4): KeraEvent {
  return ticketEvent(EventTypes.ticketUnlinked, { ticket_id: ID, key, actor: null }, minute);
}

export function pipelineUpdated(pipeline: PipelineView, minute = 5): KeraEvent {
  return ticketEvent(EventTypes.ticketPipelineUpdated, { ticket_id: ID, pipeline }, minute);
}

export function skipped(minute = 6): KeraEvent {
  const data = { ticket_id: ID, from_state: 'done', to_state: 'in_review', reason: 'backwards' };
  return ticketEvent(EventTypes.ticketTransitionSkipped, { ...data, actor: null }, minute);
}

/**
 * The ticket its events make. Sequences default to 1, 2, 3…; give them to
 * place the ticket's events among other tickets' events in the stream.
 */
export function given(events: KeraEvent[], sequences = events.map((_, i) => i + 1)): TicketState {
  let state: TicketState | null = null;
  events.forEach((event, i) => {
    state = evolve(state, event, sequences[i] ?? i + 1);
  });
  if (!state) throw new Error('the given events make no ticket');
  return state;
}

/** The workflow the tests decide against: the spec's states, with a "*" way back to backlog. */
export const WORKFLOW_YAML = `states: [backlog, todo, in_progress, in_review, done]
transitions:
  - from: backlog
    to: todo
  - from: [todo, in_progress]
    to: in_review
  - from: in_review
    to: done
  - from: "*"
    to: backlog
`;

export function workflowOf(yaml: string, version = 3): CurrentWorkflow {
  const parsed = parseWorkflow(yaml);
  if (!parsed.ok) throw new Error(`test workflow is invalid: ${JSON.stringify(parsed.errors)}`);
  return { version, definition: parsed.definition };
}

export const WORKFLOW = workflowOf(WORKFLOW_YAML);
export const DEFINITION: WorkflowDefinition = WORKFLOW.definition;
