import { type TransitionDef, type WorkflowDefinition } from './types';

/**
 * The transition that moves a ticket from `from` to `to`, or undefined when the workflow has
 * none. One that lists `from` wins over a `"*"` one, so its own actions run. A `"*"` transition
 * applies to any state, even one the workflow no longer lists, which lets a ticket stranded in
 * a removed state be moved on.
 */
export function findTransition(
  definition: WorkflowDefinition,
  from: string,
  to: string,
): TransitionDef | undefined {
  let anyState: TransitionDef | undefined;
  for (const transition of definition.transitions) {
    if (transition.to !== to) continue;
    if (transition.from === '*') anyState ??= transition;
    else if (transition.from.includes(from)) return transition;
  }
  return anyState;
}

/** Whether the workflow lets a ticket move from `from` to `to`. */
export function canTransition(definition: WorkflowDefinition, from: string, to: string): boolean {
  return findTransition(definition, from, to) !== undefined;
}

/**
 * The given states (say, those tickets are in) that the workflow does not have, each once, in
 * the order given: a workflow change keeps tickets where they are and reports these states.
 */
export function statesMissingFrom(
  definition: WorkflowDefinition,
  states: Iterable<string>,
): string[] {
  const known = new Set(definition.states);
  return [...new Set(states)].filter((state) => !known.has(state));
}

/** The states of `previous` that `next` no longer has. */
export function removedStates(previous: WorkflowDefinition, next: WorkflowDefinition): string[] {
  return statesMissingFrom(next, previous.states);
}
