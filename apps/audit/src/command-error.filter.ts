import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';
import { UnavailableError } from '@kera/contracts';

/** SQLSTATEs of a Postgres that is unreachable, shutting down or out of connections. */
const DATABASE_DOWN_STATES = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
const NETWORK_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);

/**
 * Hands a command's error to the JetStream transport as it was thrown, so
 * that a KeraError reaches the caller as its problem (400 names the bad
 * filter); Nest's default filter would make every error a generic 500. A
 * database that does not answer becomes 503: try again.
 */
@Catch()
export class CommandErrorFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    const code = String((exception as { code?: unknown }).code ?? '');
    const down = DATABASE_DOWN_STATES.test(code) || NETWORK_DOWN_CODES.has(code);
    const answer = down
      ? new UnavailableError('the audit store (Postgres) is not answering; try again')
      : exception;
    return throwError(() => answer);
  }
}
