import { type Node } from 'yaml';
import { quote } from './problems';
import { type Draft, type DraftTransition } from './read-workflow';
import { type Located, type Reader } from './reader';
import { ANY_STATE } from './state-names';
import { type GitAutomation, type WorkflowDefinition } from './types';

/**
 * The checks that span several parts of a workflow, then the definition itself. Answers
 * undefined when anything, here or while reading, was reported.
 */
export function checkDraft(reader: Reader, draft: Draft): WorkflowDefinition | undefined {
  reportDuplicateTransitions(reader, draft.transitions);
  const states = checkStates(reader, draft);

  if (!states || reader.problemCount > 0) return undefined;
  return build(draft, states);
}

function checkStates(reader: Reader, draft: Draft): string[] | undefined {
  if (draft.states === 'absent') return usedStates(reader, draft);
  if (draft.states === 'unreadable') return undefined;
  return listedStates(reader, draft, draft.states);
}

/** The same from-state and to-state twice, "*" included; reported at the later one. */
function reportDuplicateTransitions(reader: Reader, transitions: DraftTransition[]): void {
  const first = new Map<string, Node>();
  for (const { from, to } of transitions) {
    if (!from || !to) continue;
    for (const source of from) {
      const move = JSON.stringify([source.text, to.text]);
      const earlier = first.get(move);
      if (!earlier) {
        first.set(move, source.node);
        continue;
      }
      const line = reader.lineOf(earlier);
      const message = `duplicate transition ${quote(source.text)} → ${quote(to.text)}`;
      reader.report(source.node, `${message}; first on line ${line}`);
    }
  }
}

/**
 * Without a `states` list, the states are those the transitions use, in order of first use,
 * preceded by an explicit `initial` that no transition uses.
 */
function usedStates(reader: Reader, draft: Draft): string[] {
  const used = new Set<string>();
  for (const { from, to } of draft.transitions) {
    for (const state of from ?? []) if (state.text !== ANY_STATE) used.add(state.text);
    if (to) used.add(to.text);
  }
  const initial = draft.initial?.text;
  const states = initial !== undefined && !used.has(initial) ? [initial, ...used] : [...used];

  for (const [key, state] of draft.git) {
    if (!states.includes(state.text)) {
      reader.report(state.node, `git.${key} names ${quote(state.text)}, which no transition uses`);
    }
  }
  return states;
}

/** With a `states` list, every state named elsewhere must be in it, and each must be reachable. */
function listedStates(reader: Reader, draft: Draft, listed: Located[]): string[] {
  const names = new Set<string>();
  for (const state of listed) {
    if (names.has(state.text))
      reader.report(state.node, `state ${quote(state.text)} is listed twice`);
    names.add(state.text);
  }
  for (const reference of stateReferences(draft)) {
    if (!names.has(reference.text)) {
      reader.report(
        reference.node,
        `unknown state ${quote(reference.text)}: it is not in "states"`,
      );
    }
  }
  reportUnreachable(reader, draft, listed);
  return [...names];
}

function stateReferences(draft: Draft): Located[] {
  const fromTransitions = draft.transitions.flatMap(({ from, to }) => [
    ...(from ?? []).filter((state) => state.text !== ANY_STATE),
    ...(to ? [to] : []),
  ]);
  return [...fromTransitions, ...(draft.initial ? [draft.initial] : []), ...draft.git.values()];
}

/**
 * A listed state that nothing in the workflow leads to or leaves from: not
 * the initial state, no transition's target (a "*" transition counts), no
 * transition's source and no git automation target. A state that is only a
 * source still counts as used: tickets may sit there from an older workflow,
 * so the spec's own full example, which lists such states, stays valid.
 */
function reportUnreachable(reader: Reader, draft: Draft, listed: Located[]): void {
  const initial = draft.initial?.text ?? listed[0]?.text;
  const used = new Set<string>([
    ...draft.transitions.flatMap(({ to }) => (to ? [to.text] : [])),
    ...draft.transitions.flatMap(({ from }) => (from ?? []).map((state) => state.text)),
    ...[...draft.git.values()].map((state) => state.text),
  ]);
  const reported = new Set<string>();
  for (const state of listed) {
    if (state.text === initial || used.has(state.text) || reported.has(state.text)) continue;
    reported.add(state.text);
    reader.report(
      state.node,
      `state ${quote(state.text)} cannot be reached: no transition or automation uses it`,
    );
  }
}

function build(draft: Draft, states: string[]): WorkflowDefinition | undefined {
  const initial = draft.initial?.text ?? states[0];
  if (initial === undefined) return undefined;

  const transitions = draft.transitions.flatMap(({ from, to, actions }) =>
    from && to ? [{ from: fromStates(from), to: to.text, actions }] : [],
  );
  const git: GitAutomation = {};
  for (const [key, state] of draft.git) git[key] = state.text;
  return { states, initial, transitions, git };
}

function fromStates(from: Located[]): string[] | typeof ANY_STATE {
  return from.some((state) => state.text === ANY_STATE) ? ANY_STATE : from.map(({ text }) => text);
}
