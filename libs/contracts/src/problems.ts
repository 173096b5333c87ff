/** RFC 9457 problem details, the error shape of the HTTP API and of NATS command replies. */
export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  /** Every validation problem at once; `line`/`column` for YAML, `field` for JSON input. */
  errors?: ProblemItem[];
  [extension: string]: unknown;
}

export interface ProblemItem {
  message: string;
  field?: string;
  line?: number;
  column?: number;
}

/**
 * An error the caller caused or can act on, with the HTTP status it maps to.
 * Anything else that is thrown is a fault of ours: logged with its stack and
 * answered with a generic 500.
 */
export class KeraError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    detail: string,
    readonly errors?: ProblemItem[],
  ) {
    super(detail);
    this.name = new.target.name;
  }

  toProblem(): ProblemDetails {
    const problem: ProblemDetails = {
      type: 'about:blank',
      title: this.title,
      status: this.status,
      detail: this.message,
    };
    if (this.errors) problem.errors = this.errors;
    return problem;
  }
}

export class NotFoundError extends KeraError {
  constructor(detail: string) {
    super(404, 'Not Found', detail);
  }
}

/** A concurrent change won, or the workflow forbids the move from the current state. */
export class ConflictError extends KeraError {
  constructor(detail: string) {
    super(409, 'Conflict', detail);
  }
}

export class ValidationError extends KeraError {
  constructor(detail: string, errors: ProblemItem[]) {
    super(422, 'Unprocessable Content', detail, errors);
  }
}

export class BadRequestError extends KeraError {
  constructor(detail: string, errors?: ProblemItem[]) {
    super(400, 'Bad Request', detail, errors);
  }
}

export class UnavailableError extends KeraError {
  constructor(detail: string) {
    super(503, 'Service Unavailable', detail);
  }
}

/** Rebuilds a typed error from a problem received over NATS. */
export function errorFromProblem(problem: ProblemDetails): KeraError {
  return new KeraError(problem.status, problem.title, problem.detail, problem.errors);
}
