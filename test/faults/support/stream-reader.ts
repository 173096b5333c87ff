import { connect } from 'nats';
import { STREAMS, type Naming, type StreamKey } from '@kera/contracts';

/** One message of a stream, with the envelope fields the checks need. */
export interface StoredEvent {
  stream: StreamKey;
  seq: number;
  id: string;
  type: string;
  time: string;
  data: Record<string, unknown>;
}

/** Every message of every stream of an installation, read with ordered consumers. */
export async function readAllEvents(natsUrl: string, naming: Naming): Promise<StoredEvent[]> {
  const nc = await connect({ servers: natsUrl.split(','), noAsyncTraces: true });
  try {
    const events: StoredEvent[] = [];
    for (const key of STREAMS) events.push(...(await readStream(nc, naming, key)));
    return events;
  } finally {
    await nc.close();
  }
}

async function readStream(
  nc: Awaited<ReturnType<typeof connect>>,
  naming: Naming,
  key: StreamKey,
): Promise<StoredEvent[]> {
  const name = naming.stream(key);
  const jsm = await nc.jetstreamManager();
  const info = await jsm.streams.info(name).catch(() => null);
  if (!info || info.state.messages === 0) return [];

  const consumer = await nc.jetstream().consumers.get(name);
  const messages = await consumer.consume({ max_messages: 1000 });
  const events: StoredEvent[] = [];
  for await (const msg of messages) {
    const envelope = msg.json<{ id: string; type: string; time: string; data: unknown }>();
    events.push({
      stream: key,
      seq: msg.seq,
      id: envelope.id,
      type: envelope.type,
      time: envelope.time,
      data: (envelope.data ?? {}) as Record<string, unknown>,
    });
    if (msg.info.pending === 0) break;
  }
  // Stopping, not closing: close() can wait for a pull that never completes.
  messages.stop();
  return events;
}
