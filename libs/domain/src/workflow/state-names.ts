import { type Node } from 'yaml';
import { WORKFLOW_LIMITS } from './limits';
import { quote } from './problems';
import { type Located, type Reader } from './reader';

/** In `from`, any state. It can never be a state's own name. */
export const ANY_STATE = '*';

/**
 * A state name: any text of 1 to `maxStateNameLength` characters without control characters,
 * except `*`.
 */
export function readStateName(
  reader: Reader,
  node: Node,
  at: Node,
  path: string,
): Located | undefined {
  const text = reader.string(node, at, path);
  if (text === undefined) return undefined;

  const problem = stateNameProblem(text);
  if (problem) {
    reader.report(at, `${path} ${problem}`);
    return undefined;
  }
  return { text, node: at };
}

function stateNameProblem(name: string): string | undefined {
  const max = WORKFLOW_LIMITS.maxStateNameLength;
  if (name === ANY_STATE)
    return `cannot be "*": it means any state and stands alone, as in from: "*"`;
  if (name === '') return 'must not be empty';
  if (name.length > max) return `${quote(name)} is longer than ${max} characters`;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(name)) return `${quote(name)} contains control characters`;
  return undefined;
}
