import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Options } from 'pino-http';
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
 * pino-http settings of every service: one line per request (probes
 * excepted) with the correlation id, without inbound tokens. The id is
 * written back to the request headers when the caller sent none, so that
 * the events a request causes carry the id its log line shows, and it is
 * echoed in the response for the caller to quote.
 */
export function httpLogging(logger: Logger): Options<IncomingMessage, ServerResponse> {
  return {
    logger,
    quietReqLogger: true,
    autoLogging: { ignore: (req) => isProbe(req.url ?? '') },
    genReqId: (req, res) => {
      const id = requestCorrelationId(req.headers);
      req.headers[CORRELATION_HEADER] = id;
      res.setHeader(CORRELATION_HEADER, id);
      return id;
    },
    customAttributeKeys: { reqId: 'correlation_id' },
    serializers: {
      req: (req: { url?: string }) => ({ ...req, url: loggableUrl(req.url ?? '') }),
    },
  };
}
