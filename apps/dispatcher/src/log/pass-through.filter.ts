import { Catch, type RpcExceptionFilter } from '@nestjs/common';
import { throwError, type Observable } from 'rxjs';

/**
 * Hands a command's error to the JetStream transport as it was thrown, so that a KeraError
 * reaches the caller as its problem (404, 400, …). Nest's default filter would turn every
 * error into a generic one first.
 */
@Catch()
export class PassThroughFilter implements RpcExceptionFilter {
  catch(exception: unknown): Observable<never> {
    return throwError(() => exception);
  }
}
