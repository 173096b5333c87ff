import { isNode, isScalar, isSeq, type Node } from 'yaml';
import { WORKFLOW_LIMITS } from './limits';
import { readAction } from './read-action';
import { describe, type Field, type Located, type Reader } from './reader';
import { ANY_STATE, readStateName } from './state-names';
import { type GitAutomation, type SendWebhookAction } from './types';

const ROOT_KEYS = ['states', 'initial', 'transitions', 'git'] as const;
const TRANSITION_KEYS = ['from', 'to', 'actions'] as const;
const GIT_KEYS = ['on_pull_request_opened', 'on_merge', 'on_pipeline_failed'] as const;

/** A transition as read; a part that could not be read is absent (and reported). */
export interface DraftTransition {
  /** The source states; `[{ text: '*' }]` for any state. */
  from?: Located[];
  to?: Located;
  /** The actions that could be read. */
  actions: SendWebhookAction[];
}

/**
 * Everything read from the document, with the nodes it came from, for the checks that span
 * several parts (states against transitions, duplicates, reachability).
 */
export interface Draft {
  /** The `states` entries; 'absent' when the key is not there, 'unreadable' when it is no list. */
  states: Located[] | 'absent' | 'unreadable';
  initial?: Located;
  transitions: DraftTransition[];
  git: Map<keyof GitAutomation, Located>;
}

/** Reads the shape of a workflow, reporting every problem local to one part. */
export function readDraft(reader: Reader, root: Node): Draft | undefined {
  const fields = reader.fields(root, root, 'the workflow', ROOT_KEYS);
  if (!fields) return undefined;

  const states = fields.get('states');
  const initial = fields.get('initial');
  const transitions = fields.get('transitions');
  const git = fields.get('git');
  if (!transitions) reader.report(root, 'the workflow needs a "transitions" list');
  return {
    states: states ? (readStates(reader, states) ?? 'unreadable') : 'absent',
    initial: initial && readStateName(reader, initial.value, initial.at, 'initial'),
    transitions: transitions ? readTransitions(reader, transitions) : [],
    git: git ? readGit(reader, git) : new Map(),
  };
}

function readStates(reader: Reader, field: Field): Located[] | undefined {
  const items = reader.list(field.value, field.at, 'states');
  if (!items) return undefined;

  if (items.length === 0) reader.report(field.at, 'states must list at least one state');
  return items.flatMap((item, i) => readStateName(reader, item, item, `states[${i}]`) ?? []);
}

function readTransitions(reader: Reader, field: Field): DraftTransition[] {
  const items = reader.list(field.value, field.at, 'transitions');
  if (!items) return [];

  const max = WORKFLOW_LIMITS.maxTransitions;
  if (items.length === 0) reader.report(field.at, 'transitions must list at least one transition');
  const beyond = items[max];
  if (beyond) reader.report(beyond, `a workflow has at most ${max} transitions`);
  return items
    .slice(0, max)
    .flatMap((item, i) => readTransition(reader, item, `transitions[${i}]`) ?? []);
}

function readTransition(reader: Reader, node: Node, path: string): DraftTransition | undefined {
  const fields = reader.fields(node, node, path, TRANSITION_KEYS);
  if (!fields) return undefined;

  const from = fields.get('from');
  const to = fields.get('to');
  const actions = fields.get('actions');
  if (!from) reader.report(node, `${path} needs "from"`);
  if (!to) reader.report(node, `${path} needs "to"`);
  return {
    from: from && readFrom(reader, from, `${path}.from`),
    to: to && readStateName(reader, to.value, to.at, `${path}.to`),
    actions: actions ? readActions(reader, actions, `${path}.actions`) : [],
  };
}

/** `from` is one state, a list of states, or "*". */
function readFrom(reader: Reader, field: Field, path: string): Located[] | undefined {
  const target = reader.resolve(field.value);
  if (!target) return undefined;

  if (isScalar(target) && target.value === ANY_STATE) return [{ text: ANY_STATE, node: field.at }];
  if (isScalar(target) && typeof target.value === 'string') {
    const state = readStateName(reader, field.value, field.at, path);
    return state && [state];
  }
  if (!isSeq(target)) {
    reader.report(
      field.at,
      `${path} must be a state, a list of states or "*", not ${describe(target)}`,
    );
    return undefined;
  }
  const items = target.items.filter(isNode);
  if (items.length === 0) reader.report(field.at, `${path} must name at least one state`);
  return items.flatMap((item, i) => readStateName(reader, item, item, `${path}[${i}]`) ?? []);
}

function readActions(reader: Reader, field: Field, path: string): SendWebhookAction[] {
  const items = reader.list(field.value, field.at, path);
  if (!items) return [];

  const max = WORKFLOW_LIMITS.maxActionsPerTransition;
  const beyond = items[max];
  if (beyond) reader.report(beyond, `a transition has at most ${max} actions`);
  return items.slice(0, max).flatMap((item, i) => readAction(reader, item, `${path}[${i}]`) ?? []);
}

function readGit(reader: Reader, field: Field): Map<keyof GitAutomation, Located> {
  const fields = reader.fields(field.value, field.at, 'git', GIT_KEYS);
  const moves = new Map<keyof GitAutomation, Located>();
  for (const [key, entry] of fields ?? []) {
    const state = readStateName(reader, entry.value, entry.at, `git.${key}`);
    if (state) moves.set(key, state);
  }
  return moves;
}
