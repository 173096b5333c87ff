import { parseWorkflow } from './parse-workflow';
import { type WorkflowDefinition, type WorkflowError } from './types';

/** A YAML document from its lines, so that a line's number is its position in the call. */
export function yamlLines(...lines: string[]): string {
  return `${lines.join('\n')}\n`;
}

export function definitionOf(yaml: string): WorkflowDefinition {
  const result = parseWorkflow(yaml);
  if (!result.ok)
    throw new Error(`expected a valid workflow, got ${JSON.stringify(result.errors)}`);
  return result.definition;
}

export function errorsOf(yaml: string): WorkflowError[] {
  const result = parseWorkflow(yaml);
  if (result.ok) throw new Error('expected problems, got a valid workflow');
  return result.errors;
}

/** An expected problem: its position and a part of its message. */
export function problem(line: number, column: number, message: string): unknown {
  return { line, column, message: expect.stringContaining(message) };
}
