/**
 * Bounds on a workflow document. A workflow arrives as an API body, so it is hostile until
 * proven otherwise: these keep parsing time and memory small for any input while leaving room
 * far beyond any real workflow.
 */
export const WORKFLOW_LIMITS = {
  /** Largest accepted document, in UTF-8 bytes. */
  maxBytes: 256 * 1024,
  /**
   * Deepest nesting of collections. A real workflow nests about 7 deep. The yaml composer
   * recurses once per level, and a stack overflow deep inside it can take the whole process
   * down, so depth is checked on the token stream before composing.
   */
  maxNesting: 64,
  /** Most nodes that aliases may add when expanded: the defence against "billion laughs". */
  maxAliasExpansion: 50_000,
  maxTransitions: 1000,
  maxActionsPerTransition: 50,
  maxStateNameLength: 100,
  /**
   * `timeout_ms` bounds. Below 100 ms no real receiver can answer, so a smaller value is almost
   * surely seconds written as milliseconds; above a minute a dead receiver holds a delivery slot
   * too long.
   */
  minTimeoutMs: 100,
  maxTimeoutMs: 60_000,
  defaultTimeoutMs: 10_000,
  /** `retry.attempts` bounds (further tries after the first). */
  minRetryAttempts: 1,
  maxRetryAttempts: 10,
  /** Problems listed at most; a document with more ends its list with a note saying so. */
  maxErrors: 200,
} as const;
