import { stringify } from 'yaml';
import { parseWorkflow } from './parse-workflow';
import { type SendWebhookAction, type WorkflowDefinition } from './types';

/** What a secret or a header value reads as once redacted. */
export const REDACTED = '[redacted]';

/** Stands in for text that is not a valid workflow, since its secrets cannot be told apart. */
export const UNREADABLE_WORKFLOW_YAML = '# not a valid workflow; its text is withheld\n';

/**
 * A copy of the definition without secrets: every action's `secret` and every header value
 * become "[redacted]" (header values often carry credentials, such as Authorization).
 */
export function redactWorkflow(definition: WorkflowDefinition): WorkflowDefinition {
  return {
    states: [...definition.states],
    initial: definition.initial,
    transitions: definition.transitions.map((transition) => ({
      from: transition.from === '*' ? '*' : [...transition.from],
      to: transition.to,
      actions: transition.actions.map(redactAction),
    })),
    git: { ...definition.git },
  };
}

/**
 * The workflow as YAML that is safe to store where secrets must never go (the audit trail): the
 * redacted definition, written out with its defaults filled in. Comments, anchors and layout of
 * the original are not kept, as any of them could carry a secret. Text that is not a valid
 * workflow yields `UNREADABLE_WORKFLOW_YAML`.
 */
export function redactWorkflowYaml(yamlText: string): string {
  const parsed = parseWorkflow(yamlText);
  return parsed.ok ? stringify(redactWorkflow(parsed.definition)) : UNREADABLE_WORKFLOW_YAML;
}

function redactAction(action: SendWebhookAction): SendWebhookAction {
  const headers = Object.fromEntries(Object.keys(action.headers).map((name) => [name, REDACTED]));
  return {
    ...action,
    headers,
    ...(action.secret !== undefined && { secret: REDACTED }),
    ...(action.retry && { retry: { ...action.retry } }),
  };
}
