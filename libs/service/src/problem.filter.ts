import {
  Catch,
  HttpException,
  Inject,
  type ArgumentsHost,
  type ExceptionFilter,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { STATUS_CODES } from 'node:http';
import { throwError, type Observable } from 'rxjs';
import { KeraError, type ProblemDetails } from '@kera/contracts';
import type { Logger } from '@kera/config';
import { LOGGER } from './tokens';

export const PROBLEM_JSON = 'application/problem+json';

/**
 * Every HTTP error leaves a service as RFC 9457 problem details. Errors the
 * caller can act on keep their status and message; anything else is logged
 * with its stack and answered with a generic 500. In the NATS transport the
 * error is passed on unchanged: the transport answers commands with a
 * problem and redelivers failed stream messages.
 */
@Catch()
export class KeraExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return throwError(() => exception);
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const problem = this.toProblem(exception);
    void sendProblem(reply, problem);
  }

  private toProblem(exception: unknown): ProblemDetails {
    if (exception instanceof KeraError) return exception.toProblem();
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      const body = exception.getResponse();
      if (status === 503 && typeof body === 'object' && body !== null && 'status' in body) {
        // A readiness check's report: keep its details.
        return { ...problem(status, 'a dependency is not ready'), checks: body };
      }
      return problem(status, messageOf(body) ?? exception.message);
    }
    const status = (exception as { statusCode?: number }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return problem(status, (exception as Error).message);
    }
    this.logger.error({ err: exception }, 'unhandled error');
    return problem(500, 'internal error');
  }
}

export function problem(status: number, detail: string): ProblemDetails {
  return { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail };
}

export function sendProblem(reply: FastifyReply, body: ProblemDetails): FastifyReply {
  return reply.status(body.status).header('content-type', PROBLEM_JSON).send(JSON.stringify(body));
}

function messageOf(body: unknown): string | null {
  if (typeof body === 'string') return body;
  if (typeof body === 'object' && body !== null && 'message' in body) {
    const message = (body as { message: unknown }).message;
    return Array.isArray(message) ? message.join('; ') : String(message);
  }
  return null;
}
