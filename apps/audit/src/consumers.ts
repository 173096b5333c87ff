import { STREAMS, type StreamKey } from '@kera/contracts';
import type { ConsumerSpec } from '@kera/jetstream';

export const auditConsumerName = (stream: StreamKey) => `audit-${stream.toLowerCase()}`;

/** One durable consumer per stream: the audit trail holds every event of every stream. */
export const AUDIT_CONSUMERS: ConsumerSpec[] = STREAMS.map((stream) => ({
  stream,
  name: auditConsumerName(stream),
  maxAckPending: 5000,
}));
