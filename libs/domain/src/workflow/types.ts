/**
 * A validated workflow, as `parseWorkflow` returns it. Keys are snake_case, as in the YAML.
 */
export interface WorkflowDefinition {
  /** Every state, as listed under `states`, or (when that key is absent) in order of first use. */
  states: string[];
  /** The state new tickets start in. */
  initial: string;
  transitions: TransitionDef[];
  git: GitAutomation;
}

/** A move a ticket may make, and the actions that run each time it is made. */
export interface TransitionDef {
  /** The states the move leaves from, or `'*'` for any state. */
  from: string[] | '*';
  to: string;
  /** Empty when the YAML gives none. */
  actions: SendWebhookAction[];
}

/** One outbound POST of the ticket's context (SPEC section 5). */
export interface SendWebhookAction {
  type: 'send_webhook';
  /** An absolute http or https URL. */
  url: string;
  /** When present, requests are signed with Standard Webhooks. */
  secret?: string;
  /** Extra request headers; empty when the YAML gives none. */
  headers: Record<string, string>;
  /** How long the receiver has to answer; 10000 when the YAML gives none. */
  timeout_ms: number;
  /**
   * Opt-in retries of a failed delivery: `attempts` is how many further tries follow the first
   * one, so a delivery is tried at most `attempts + 1` times.
   */
  retry?: { attempts: number };
}

/** Where automation from inbound git events moves tickets (SPEC section 6). */
export interface GitAutomation {
  on_pull_request_opened?: string;
  on_merge?: string;
  on_pipeline_failed?: string;
}

/** One problem in a workflow document, at a 1-based line and column of the YAML text. */
export interface WorkflowError {
  line: number;
  column: number;
  message: string;
}

/** Either the definition or every problem found; never both. */
export type ParseWorkflowResult =
  { ok: true; definition: WorkflowDefinition } | { ok: false; errors: WorkflowError[] };
