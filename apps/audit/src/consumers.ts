import type { JetStreamManager } from 'nats';
import { STREAMS, type Naming } from '@kera/contracts';
import type { ConsumerSpec } from '@kera/jetstream';

/**
 * The audit service reads no durable consumer: each stream is read in order
 * by the one instance that holds its lease, from the checkpoint stored with
 * the trail in Postgres (see projection/). A durable would keep a second,
 * disagreeing position.
 */
export const AUDIT_CONSUMERS: ConsumerSpec[] = [];

/** The durables earlier versions read, one per stream. */
const LEGACY_DURABLES = STREAMS.map((stream) => ({
  stream,
  name: `audit-${stream.toLowerCase()}`,
}));

/** Deletes the durables of earlier versions, which nobody reads any more. */
export async function removeLegacyDurables(jsm: JetStreamManager, naming: Naming): Promise<void> {
  for (const { stream, name } of LEGACY_DURABLES) {
    await jsm.consumers.delete(naming.stream(stream), naming.durable(name)).catch((error) => {
      if (!isNotFound(error)) throw error;
    });
  }
}

function isNotFound(error: unknown): boolean {
  const code = (error as { api_error?: { err_code?: number } }).api_error?.err_code;
  // 10014: consumer not found; 10059: stream not found.
  return code === 10014 || code === 10059;
}
