import { connect } from 'nats';
import { STREAMS, type Naming, type StreamKey } from '@kera/contracts';

/** One message of a stream, with the envelope fields the checks need. */
export interface StoredEvent {
  stream: StreamKey;
  seq: number;
  id: string;
  type: string;
  time: string;
  correlationid: string | null;
  data: Record<string, unknown>;
}

/** Every message of every stream of an installation. */
export async function readAllEvents(natsUrl: string, naming: Naming): Promise<StoredEvent[]> {
  const nc = await connect({
    servers: natsUrl.split(','),
    noAsyncTraces: true,
    maxReconnectAttempts: -1,
  });
  try {
    const events: StoredEvent[] = [];
    for (const key of STREAMS) events.push(...(await readStream(nc, naming, key)));
    return events;
  } finally {
    await nc.close();
  }
}

/** Messages asked for at once. */
const IN_FLIGHT = 64;

/**
 * Reads a stream message by message from its leader. Not with a consumer:
 * in a cluster with a node down, an ephemeral consumer can be placed on that
 * node and then never deliver.
 */
async function readStream(
  nc: Awaited<ReturnType<typeof connect>>,
  naming: Naming,
  key: StreamKey,
): Promise<StoredEvent[]> {
  const name = naming.stream(key);
  const jsm = await nc.jetstreamManager({ timeout: 10_000 });
  const info = await jsm.streams.info(name).catch(() => null);
  if (!info || info.state.messages === 0) return [];

  const { first_seq: first, last_seq: last } = info.state;
  const events: StoredEvent[] = [];
  for (let start = first; start <= last; start += IN_FLIGHT) {
    const seqs = Array.from({ length: Math.min(IN_FLIGHT, last - start + 1) }, (_, i) => start + i);
    const messages = await Promise.all(seqs.map((seq) => jsm.streams.getMessage(name, { seq })));
    for (const msg of messages) events.push(toStoredEvent(key, msg.seq, msg.json()));
  }
  return events;
}

interface Envelope {
  id: string;
  type: string;
  time: string;
  correlationid?: string;
  data: unknown;
}

function toStoredEvent(stream: StreamKey, seq: number, envelope: Envelope): StoredEvent {
  return {
    stream,
    seq,
    id: envelope.id,
    type: envelope.type,
    time: envelope.time,
    correlationid: envelope.correlationid ?? null,
    data: (envelope.data ?? {}) as Record<string, unknown>,
  };
}
