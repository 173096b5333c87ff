import {
  ConflictError,
  EventTypes,
  ValidationError,
  isRecord,
  type Fields,
  type KeraEvent,
  type PipelineView,
  type ProblemItem,
  type TicketCreatedData,
  type TicketLink,
  type TicketLinkedData,
  type TicketPipelineUpdatedData,
  type TicketTransitionedData,
  type TicketUnlinkedData,
  type TicketUpdatedData,
  type TicketView,
} from '@kera/contracts';
import { findTransition, type WorkflowDefinition } from '../workflow';

/** A ticket as its events make it. `version` is the stream sequence of its last event. */
export interface TicketState {
  id: string;
  project: string;
  number: number;
  title: string;
  state: string;
  fields: Fields;
  links: TicketLink[];
  pipeline: PipelineView | null;
  version: number;
  created_at: string;
  updated_at: string;
}

/** The project's workflow a decision is made against, with the version that the event records. */
export interface CurrentWorkflow {
  version: number;
  definition: WorkflowDefinition;
}

export const TITLE_MAX = 500;
/** Largest JSON of a ticket's fields, given or merged. */
export const FIELDS_MAX_BYTES = 64 * 1024;
const ACTOR_MAX = 320;

/** Folds one stored event into the ticket; events of other types leave it as it was. */
export function evolve(
  state: TicketState | null,
  event: KeraEvent,
  seq: number,
): TicketState | null {
  if (event.type === EventTypes.ticketCreated) {
    const data = event.data as TicketCreatedData;
    return {
      id: data.ticket_id,
      project: data.project,
      number: data.number,
      title: data.title,
      state: data.state,
      fields: { ...data.fields },
      links: [],
      pipeline: null,
      version: seq,
      created_at: event.time,
      updated_at: event.time,
    };
  }
  if (!state) return null;

  const next: TicketState = { ...state, version: seq, updated_at: event.time };
  switch (event.type) {
    case EventTypes.ticketTransitioned:
      next.state = (event.data as TicketTransitionedData).to_state;
      break;
    case EventTypes.ticketUpdated: {
      const data = event.data as TicketUpdatedData;
      if (data.title !== undefined) next.title = data.title;
      if (data.fields) next.fields = mergeFields(state.fields, data.fields);
      break;
    }
    case EventTypes.ticketLinked: {
      const { link } = event.data as TicketLinkedData;
      next.links = [...state.links.filter((l) => l.key !== link.key), link];
      break;
    }
    case EventTypes.ticketUnlinked: {
      const { key } = event.data as TicketUnlinkedData;
      next.links = state.links.filter((l) => l.key !== key);
      break;
    }
    case EventTypes.ticketPipelineUpdated:
      next.pipeline = (event.data as TicketPipelineUpdatedData).pipeline;
      break;
    default:
      return { ...state, version: seq };
  }
  return next;
}

/**
 * Merges at the level of fields: each field in the patch replaces the stored
 * value whole (objects are not merged further) and a null value removes it.
 */
export function mergeFields(current: Fields, patch: Fields): Fields {
  const merged: Fields = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else setField(merged, key, value);
  }
  return merged;
}

/** Defined, not assigned: a field named "__proto__" stays a field. */
function setField(fields: Fields, key: string, value: unknown): void {
  Object.defineProperty(fields, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

export interface CreateInput {
  project: string;
  title: unknown;
  fields: unknown;
  actor: unknown;
}

/**
 * Opens a ticket in the workflow's initial state. The caller claims `ticketId`
 * and `number`; this checks the title, fields and actor and lists every problem.
 */
export function decideCreate(
  input: CreateInput,
  ticketId: string,
  number: number,
  workflow: CurrentWorkflow,
): TicketCreatedData {
  const problems: ProblemItem[] = [];
  const title = checkTitle(input.title, problems, true) as string;
  // A null field means "no such field", as in an update.
  const fields = mergeFields({}, checkFields(input.fields, problems) ?? {});
  const actor = checkActor(input.actor, problems);
  throwIfAny(problems);

  return {
    ticket_id: ticketId,
    project: input.project,
    number,
    title,
    state: workflow.definition.initial,
    fields,
    actor,
    workflow_version: workflow.version,
  };
}

export interface UpdateInput {
  title: unknown;
  fields: unknown;
  actor: unknown;
}

/** Changes the title and merges fields (see `mergeFields`); at least one must be given. */
export function decideUpdate(ticket: TicketState, input: UpdateInput): TicketUpdatedData {
  const problems: ProblemItem[] = [];
  const title = checkTitle(input.title, problems, false);
  const fields = checkFields(input.fields, problems);
  const actor = checkActor(input.actor, problems);
  if (title === undefined && fields === undefined && problems.length === 0) {
    problems.push({ field: 'title', message: 'give a title or fields to change' });
  }
  if (fields && problems.length === 0) checkSize(mergeFields(ticket.fields, fields), problems);
  throwIfAny(problems);

  const data: TicketUpdatedData = { ticket_id: ticket.id, actor };
  if (title !== undefined) data.title = title;
  if (fields !== undefined) data.fields = fields;
  return data;
}

export interface TransitionInput {
  to: unknown;
  actor: unknown;
}

/**
 * A ticket moves from A to B only when the workflow has a transition A → B.
 * An unknown target state is a validation error (422); a known state that
 * cannot be reached from the current one is a conflict (409).
 */
export function decideTransition(
  ticket: TicketState,
  input: TransitionInput,
  workflow: CurrentWorkflow,
  now: Date,
): TicketTransitionedData {
  const problems: ProblemItem[] = [];
  const actor = checkActor(input.actor, problems);
  if (actor === null && !problems.some((p) => p.field === 'actor')) {
    problems.push({ field: 'actor', message: 'actor is required: who makes the transition' });
  }
  if (typeof input.to !== 'string' || input.to.length === 0) {
    problems.push({ field: 'to', message: 'to must be the name of a state' });
  } else if (!workflow.definition.states.includes(input.to)) {
    problems.push({
      field: 'to',
      message: `unknown state "${input.to}"; the workflow has ${workflow.definition.states.join(', ')}`,
    });
  }
  throwIfAny(problems);

  const to = input.to as string;
  if (!findTransition(workflow.definition, ticket.state, to)) {
    throw new ConflictError(
      `the workflow has no transition from "${ticket.state}" to "${to}" for ${ticket.id}`,
    );
  }
  return {
    ticket_id: ticket.id,
    project: ticket.project,
    title: ticket.title,
    from_state: ticket.state,
    to_state: to,
    actor: actor as string,
    fields: ticket.fields,
    workflow_version: workflow.version,
    transitioned_at: now.toISOString(),
  };
}

/**
 * The ticket as the API shows it. `state_orphaned` tells that the project's
 * current workflow (null when unknown) no longer has the ticket's state: the
 * ticket keeps it, and only a `"*"` transition moves it on.
 */
export function toView(ticket: TicketState, workflow: WorkflowDefinition | null): TicketView {
  return {
    id: ticket.id,
    project: ticket.project,
    title: ticket.title,
    state: ticket.state,
    state_orphaned: workflow !== null && !workflow.states.includes(ticket.state),
    fields: ticket.fields,
    links: ticket.links,
    pipeline: ticket.pipeline,
    version: ticket.version,
    updated_at: ticket.updated_at,
  };
}

function checkTitle(
  value: unknown,
  problems: ProblemItem[],
  required: boolean,
): string | undefined {
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value.trim().length === 0) {
    problems.push({ field: 'title', message: 'title must be a non-empty string' });
    return undefined;
  }
  if (value.length > TITLE_MAX) {
    problems.push({ field: 'title', message: `title must be at most ${TITLE_MAX} characters` });
  }
  return value;
}

function checkFields(value: unknown, problems: ProblemItem[]): Fields | undefined {
  if (value === undefined) return undefined;
  if (!isRecord(value)) {
    problems.push({ field: 'fields', message: 'fields must be a JSON object' });
    return undefined;
  }
  checkSize(value, problems);
  return value;
}

/** Bounds a ticket's fields as a whole: every transition event carries all of them. */
function checkSize(fields: Fields, problems: ProblemItem[]): void {
  if (Buffer.byteLength(JSON.stringify(fields)) > FIELDS_MAX_BYTES) {
    problems.push({
      field: 'fields',
      message: `a ticket's fields must be at most ${FIELDS_MAX_BYTES} bytes of JSON`,
    });
  }
}

function checkActor(value: unknown, problems: ProblemItem[]): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > ACTOR_MAX) {
    problems.push({
      field: 'actor',
      message: `actor must be a string of at most ${ACTOR_MAX} characters`,
    });
    return null;
  }
  return value;
}

function throwIfAny(problems: ProblemItem[]): void {
  if (problems.length > 0) {
    throw new ValidationError(problems.map((p) => p.message).join('; '), problems);
  }
}
