import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CORRELATION_HEADER,
  loggableUrl,
  problem,
  requestCorrelationId,
  requestLogLevel,
  type Logger,
} from '@kera/service';
import type { InboundAnswer } from './inbound-answer';
import type { Arrival, InboundService, Origin } from './inbound.service';

/**
 * The common shape of a webhook, exactly: POST to `/webhooks/inbound/{slug}/{token}` with no
 * query, a slug and a token of the only characters they may hold, and a Content-Length.
 */
const PLAIN_URL = /^\/webhooks\/inbound\/([a-z0-9-]{1,100})\/([A-Za-z0-9_-]{43})$/;
const DIGITS = /^\d{1,15}$/;

/**
 * Serves the common shape of inbound webhook straight from Node's HTTP server, without the
 * framework's hooks, body parser and reply pipeline around it: on this route they cost more
 * than the rest of the request. It answers exactly as the Fastify route does (same statuses,
 * bodies, and headers: the correlation id, the content type and length, Retry-After), logs
 * the request the same way, and hands everything else to Fastify: other methods and paths, a
 * query string, a body without a Content-Length (chunked) or with one over the limit.
 */
export class InboundFastPath {
  constructor(
    private readonly inbound: InboundService,
    private readonly maxBytes: number,
    private readonly logger: Logger,
  ) {}

  /** Takes the request and answers it; false when it is not one this path serves. */
  take(request: IncomingMessage, response: ServerResponse): boolean {
    if (request.method !== 'POST' || request.headers['transfer-encoding'] !== undefined) {
      return false;
    }
    const length = request.headers['content-length'];
    if (length === undefined || !DIGITS.test(length) || Number(length) > this.maxBytes) {
      return false;
    }
    const url = PLAIN_URL.exec(request.url ?? '');
    if (url === null) return false;

    const started = process.hrtime.bigint();
    const correlationId = requestCorrelationId(request.headers);
    request.headers[CORRELATION_HEADER] = correlationId;
    response.setHeader(CORRELATION_HEADER, correlationId);
    const origin: Origin = {
      headers: request.headers,
      sourceIp: request.socket.remoteAddress ?? null,
      receivedAt: new Date(),
      correlationId,
    };

    this.serve(request, url[1] ?? '', url[2] ?? '', origin)
      .then((answer) => this.send(request, response, answer, started))
      .catch((error: unknown) => {
        this.logger.error({ err: error }, 'inbound route failed');
        this.send(request, response, internalError(), started);
      });
    return true;
  }

  private async serve(
    request: IncomingMessage,
    slug: string,
    token: string,
    origin: Origin,
  ): Promise<InboundAnswer> {
    const admission = await this.inbound.admit(slug, token, origin);
    // An unknown URL is answered before any of the body is read; Node discards the rest.
    if (!admission.admitted) return admission.answer;

    const body = await readBody(request);
    if (body === null) return this.inbound.refuseUnread(admission.arrival satisfies Arrival, 400);
    return this.inbound.receive(admission.arrival, body);
  }

  private send(
    request: IncomingMessage,
    response: ServerResponse,
    answer: InboundAnswer,
    started: bigint,
  ): void {
    if (response.headersSent || response.destroyed) return;
    const text = JSON.stringify(answer.body);
    response.statusCode = answer.status;
    for (const [name, value] of Object.entries(answer.headers ?? {})) {
      response.setHeader(name, value);
    }
    // What Fastify sends for a JSON media type given without a charset.
    response.setHeader('content-type', `${answer.contentType}; charset=utf-8`);
    response.setHeader('content-length', Buffer.byteLength(text));
    response.end(text);
    this.log(request, answer.status, started);
  }

  private log(request: IncomingMessage, status: number, started: bigint): void {
    const level = requestLogLevel(status);
    if (!this.logger.isLevelEnabled(level)) return;
    const elapsedMs = Number(process.hrtime.bigint() - started) / 1e6;
    this.logger[level](
      {
        correlation_id: request.headers[CORRELATION_HEADER],
        req: { method: request.method, url: loggableUrl(request.url ?? '') },
        res: { status_code: status },
        response_time_ms: Math.round(elapsedMs * 10) / 10,
      },
      'request completed',
    );
  }
}

/**
 * The whole body, or null when the sender stopped before sending all of it. Node's parser
 * stops at the Content-Length, which was checked against the limit before anything was read.
 */
function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    request.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
    });
    request.once('end', () => {
      ended = true;
      if (size !== Number(request.headers['content-length'])) resolve(null);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    });
    request.once('error', () => resolve(null));
    request.once('close', () => {
      if (!ended) resolve(null);
    });
  });
}

function internalError(): InboundAnswer {
  return {
    status: 500,
    contentType: 'application/problem+json',
    body: { ...problem(500, 'internal error') },
  };
}
