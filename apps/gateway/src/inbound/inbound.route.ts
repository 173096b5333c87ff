import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
} from 'fastify';
import type { KeraConfig } from '@kera/config';
import { KERA_CONFIG, LOGGER, problem, sendProblem, type Logger } from '@kera/service';
import { correlationId } from '../http/correlation';
import type { InboundAnswer } from './inbound-answer';
import { InboundFastPath } from './inbound-fast-path';
import { InboundService, type Arrival, type Origin } from './inbound.service';

/**
 * Every inbound URL, `/webhooks/inbound/{slug}/{token}`. The rest of the path is split here
 * rather than by the router, so that a path of any other shape or length gets the same 404 as
 * an unknown slug.
 */
export const INBOUND_ROUTE = '/webhooks/inbound/*';

interface InboundParams {
  '*': string;
}

const EMPTY_BODY = Buffer.alloc(0);

/**
 * Registers `POST /webhooks/inbound/{slug}/{token}` on the gateway's Fastify server, in a scope
 * of its own: there, every body of any content type is read as raw bytes, up to
 * KERA_INBOUND_MAX_BYTES, and nothing parses it before it is verified. The rest of the API keeps
 * its own parsers and its smaller limit.
 */
@Injectable()
export class InboundRoute implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly inbound: InboundService,
    @Inject(KERA_CONFIG) private readonly config: KeraConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    void fastify.register(inboundRoutes(this.inbound, this.config.inboundMaxBytes, this.logger));
    servePlainWebhooksFirst(
      fastify.server,
      new InboundFastPath(this.inbound, this.config.inboundMaxBytes, this.logger),
    );
  }
}

/** The inbound route as a Fastify plugin: URL check, raw body, verification, answer. */
export function inboundRoutes(
  inbound: InboundService,
  maxBytes: number,
  logger: Logger,
): FastifyPluginAsync {
  return async (scope) => {
    const arrivals = new WeakMap<FastifyRequest, Arrival>();

    scope.removeAllContentTypeParsers();
    scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) =>
      done(null, body),
    );

    scope.setErrorHandler((error: FastifyError, request, reply) => {
      const status = error.statusCode ?? 500;
      if (status === 413) {
        // A chunked body past the limit. Fastify asks for the connection to be closed, since
        // the sender may go on sending; closing under a sender still sending makes the kernel
        // reset the connection, and the sender may lose the 413 before reading it. Left open,
        // Node reads and discards the rest (within the server's request timeout), as for a
        // body announced over the limit.
        reply.removeHeader('connection');
      }
      if (status >= 400 && status < 500) {
        return send(reply, inbound.refuseUnread(arrivals.get(request) ?? origin(request), status));
      }
      logger.error({ err: error }, 'inbound route failed');
      return sendProblem(reply, problem(500, 'internal error'));
    });

    scope.post<{ Params: InboundParams }>(
      INBOUND_ROUTE,
      {
        bodyLimit: maxBytes,
        // Runs before the body is read: a request to an unknown URL is answered without it.
        onRequest: async (request, reply) => {
          const [slug = '', token = '', ...extra] = request.params['*'].split('/');
          const url = extra.length === 0 ? { slug, token } : { slug: '', token: '' };
          const admission = await inbound.admit(url.slug, url.token, origin(request));
          if (!admission.admitted) return send(reply, admission.answer);
          // A body announced over the limit is refused here rather than by the body parser,
          // which would also ask for the connection to be closed: closing while the sender is
          // still sending makes the kernel reset the connection, and the sender may lose the
          // 413 before reading it. Answered from here, the connection stays open and Node
          // discards the rest of the body (within the server's request timeout).
          if (announcedLength(request) > maxBytes) {
            return send(reply, inbound.refuseUnread(admission.arrival, 413));
          }
          arrivals.set(request, admission.arrival);
        },
      },
      async (request, reply) => {
        const arrival = arrivals.get(request);
        if (!arrival) throw new Error('inbound request reached its handler without an arrival');
        const body = Buffer.isBuffer(request.body) ? request.body : EMPTY_BODY;
        return send(reply, await inbound.receive(arrival, body));
      },
    );
  };
}

/** The Content-Length the request announced; 0 without one (a chunked body is counted as read). */
function announcedLength(request: FastifyRequest): number {
  const length = Number(request.headers['content-length'] ?? 0);
  return Number.isFinite(length) ? length : 0;
}

function origin(request: FastifyRequest): Origin {
  return {
    headers: request.headers,
    sourceIp: request.ip || null,
    receivedAt: new Date(),
    correlationId: correlationId(request),
  };
}

function send(reply: FastifyReply, answer: InboundAnswer): FastifyReply {
  return reply
    .code(answer.status)
    .headers(answer.headers ?? {})
    .type(answer.contentType)
    .send(JSON.stringify(answer.body));
}

/**
 * Puts the fast path in front of Fastify on the HTTP server: a request it does not take goes
 * on to Fastify's own handler, unchanged.
 */
function servePlainWebhooksFirst(server: Server, fastPath: InboundFastPath): void {
  const [framework, ...others] = server.listeners('request') as ((
    request: IncomingMessage,
    response: ServerResponse,
  ) => void)[];
  if (framework === undefined || others.length > 0) {
    throw new Error('expected exactly one request listener (Fastify) on the HTTP server');
  }
  server.removeListener('request', framework);
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (!fastPath.take(request, response)) framework.call(server, request, response);
  });
}
