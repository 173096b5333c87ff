import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from '@kera/config';

/** Header that carries one correlation id from a caller through every event it causes. */
export const CORRELATION_HEADER = 'x-correlation-id';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const NOT_LOGGED = /^\/(?:healthz|readyz|metrics)(?:[/?#]|$)/;
const INBOUND_TOKEN = /^(\/webhooks\/inbound\/[^/?#]+\/)[^/?#]+/;

/** The caller's correlation id when it is sane, else a new one. */
export function requestCorrelationId(headers: IncomingMessage['headers']): string {
  const given = headers[CORRELATION_HEADER];
  return typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
}

/** A request URL fit for logs: the secret token of an inbound webhook URL is replaced. */
export function loggableUrl(url: string): string {
  return url.replace(INBOUND_TOKEN, '$1[redacted]');
}

/** Liveness, readiness and metrics scrapes: frequent, and of no interest in logs. */
export function isProbe(url: string): boolean {
  return NOT_LOGGED.test(url);
}

/**
 * The level of a request's log line: a 5xx is an error a person must look at; any other answer
 * is one message among many (debug), as the audit trail and the metrics already count every
 * inbound webhook and refusal. Logging each request at info would cost every request a log
 * write and would let a flood of requests flood the log.
 */
export function requestLogLevel(statusCode: number): 'error' | 'debug' {
  return statusCode >= 500 ? 'error' : 'debug';
}

/**
 * Request handling every service shares: each request gets a correlation id (the caller's when
 * sane, else a new one), written back to the request headers so that the events it causes carry
 * it, and echoed in the response for the caller to quote. Once answered, a request is logged at
 * `requestLogLevel` with its correlation id, method, URL (inbound tokens masked), status and
 * time; probes are never logged. Nothing is built for a line whose level is off.
 */
export function installRequestLogging(fastify: FastifyInstance, logger: Logger): void {
  fastify.addHook('onRequest', (request, reply, done) => {
    const id = requestCorrelationId(request.headers);
    request.headers[CORRELATION_HEADER] = id;
    void reply.header(CORRELATION_HEADER, id);
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    logRequest(logger, request, reply);
    done();
  });
}

function logRequest(logger: Logger, request: FastifyRequest, reply: FastifyReply): void {
  const level = requestLogLevel(reply.statusCode);
  if (!logger.isLevelEnabled(level) || isProbe(request.url)) return;
  logger[level](
    {
      correlation_id: request.headers[CORRELATION_HEADER],
      req: { method: request.method, url: loggableUrl(request.url) },
      res: { status_code: reply.statusCode },
      response_time_ms: Math.round(reply.elapsedTime * 10) / 10,
    },
    'request completed',
  );
}
