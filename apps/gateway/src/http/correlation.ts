import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';

const ACCEPTED = /^[A-Za-z0-9._:-]{1,128}$/;

/** The caller's X-Correlation-Id when it is sane, else a new one. */
export function correlationId(request: FastifyRequest): string {
  const given = request.headers['x-correlation-id'];
  return typeof given === 'string' && ACCEPTED.test(given) ? given : randomUUID();
}
