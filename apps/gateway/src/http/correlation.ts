import type { FastifyRequest } from 'fastify';
import { requestCorrelationId } from '@kera/service';

/** The request's correlation id, as the request hook settled it for the whole request. */
export function correlationId(request: FastifyRequest): string {
  return requestCorrelationId(request.headers);
}
