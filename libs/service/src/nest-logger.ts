import type { LoggerService } from '@nestjs/common';
import type { Logger } from '@kera/config';

/**
 * Nest's own messages (module start-up, route mapping, its error reports) as lines of the
 * service's logger, with Nest's context under `context`. Nest passes an optional context (and,
 * for errors, a stack) after the message.
 */
export class NestLogger implements LoggerService {
  constructor(private readonly logger: Logger) {}

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }

  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }

  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }

  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }

  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  private write(
    level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace',
    message: unknown,
    rest: unknown[],
  ): void {
    if (!this.logger.isLevelEnabled(level)) return;
    const context =
      rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? rest.pop() : null;
    const fields: Record<string, unknown> = context === null ? {} : { context };
    const stack = rest.find((item): item is string => typeof item === 'string');
    if (stack !== undefined) fields.stack = stack;

    if (message instanceof Error) this.logger[level]({ ...fields, err: message }, message.message);
    else if (typeof message === 'object' && message !== null)
      this.logger[level]({ ...fields, ...message });
    else this.logger[level](fields, String(message));
  }
}
