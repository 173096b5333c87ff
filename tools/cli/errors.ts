import type { ProblemDetails } from '@kera/contracts';

/** Exit codes of the CLI, stated in `kera --help` and docs/cli.md. */
export const EXIT = {
  ok: 0,
  /** The system answered that it could not do it (a problem, a broken audit chain). */
  failed: 1,
  /** The command line was wrong or incomplete. */
  usage: 2,
  /** The gateway or NATS could not be reached. */
  unreachable: 3,
} as const;

/** An error that ends the command with a message and an exit code, and no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

/** The gateway answered with problem details. */
export class ProblemError extends CliError {
  constructor(readonly problem: ProblemDetails) {
    super(formatProblem(problem), EXIT.failed);
  }
}

/** Problem details as lines a person reads: status, title, detail, then every listed problem. */
export function formatProblem(problem: ProblemDetails): string {
  const lines = [`${problem.status} ${problem.title}: ${problem.detail}`];
  for (const item of problem.errors ?? []) {
    const where =
      item.line !== undefined
        ? `line ${item.line}${item.column !== undefined ? `, column ${item.column}` : ''}`
        : item.field;
    lines.push(`  - ${where ? `${where}: ` : ''}${item.message}`);
  }
  return lines.join('\n');
}
