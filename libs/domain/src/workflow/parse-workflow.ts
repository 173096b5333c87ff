import { checkDraft } from './check-workflow';
import { WORKFLOW_LIMITS } from './limits';
import { Problems } from './problems';
import { readDraft } from './read-workflow';
import { Reader } from './reader';
import { type ParseWorkflowResult, type WorkflowDefinition } from './types';
import { readYamlSource } from './yaml-source';

/**
 * Parses and validates a workflow (SPEC section 3). Answers the definition, or every problem at
 * once, each at the line and column of the node it concerns. Never throws, whatever the input.
 *
 * Defaults: `initial` is the first state; without `states`, the states are those the
 * transitions use, in order of first use; `actions` is empty; `timeout_ms` is 10000. Bounds
 * (document size, nesting, aliases, counts, ranges) are in `WORKFLOW_LIMITS`.
 */
export function parseWorkflow(yamlText: string): ParseWorkflowResult {
  try {
    return parse(yamlText);
  } catch (error) {
    // Every known problem is reported rather than thrown; this keeps any unforeseen failure
    // an answer about the document instead of a crash of the caller.
    const reason = error instanceof Error ? error.message : 'unknown error';
    return failure(`the workflow could not be read: ${reason}`);
  }
}

function parse(text: unknown): ParseWorkflowResult {
  const max = WORKFLOW_LIMITS.maxBytes;
  if (typeof text !== 'string') return failure('the workflow must be YAML text');
  if (text.length > max || Buffer.byteLength(text, 'utf8') > max) {
    return failure(`the workflow is larger than ${max / 1024} KiB`);
  }

  const problems = new Problems(text);
  const definition = readDefinition(text, problems);
  return definition && problems.count === 0
    ? { ok: true, definition }
    : { ok: false, errors: problems.list() };
}

function readDefinition(text: string, problems: Problems): WorkflowDefinition | undefined {
  const source = readYamlSource(text, problems);
  if (!source) return undefined;
  if (!source.root) {
    problems.at(0, 'the workflow is empty; it needs a "transitions" list');
    return undefined;
  }

  const reader = new Reader(source, problems);
  const draft = readDraft(reader, source.root);
  return draft && checkDraft(reader, draft);
}

function failure(message: string): ParseWorkflowResult {
  return { ok: false, errors: [{ line: 1, column: 1, message }] };
}
