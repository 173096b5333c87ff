export { EXAMPLE_WORKFLOW_YAML } from './example';
export { WORKFLOW_LIMITS } from './limits';
export { canTransition, findTransition, removedStates, statesMissingFrom } from './lookup';
export { parseWorkflow } from './parse-workflow';
export { REDACTED, redactWorkflow, redactWorkflowYaml, UNREADABLE_WORKFLOW_YAML } from './redact';
export type {
  GitAutomation,
  ParseWorkflowResult,
  SendWebhookAction,
  TransitionDef,
  WorkflowDefinition,
  WorkflowError,
} from './types';
