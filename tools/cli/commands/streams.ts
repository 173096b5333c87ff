import { connect, type JetStreamManager, type NatsConnection } from 'nats';
import { ConfigError, loadConfig } from '@kera/config';
import { Naming, STREAMS } from '@kera/contracts';
import { CliError, EXIT, UsageError } from '../errors';
import { text, type Command, type Context } from '../command';
import { table, type Row } from '../output';

const streams: Command = {
  path: ['streams'],
  args: [],
  summary: 'stream and durable consumer state (messages, pending, lag), read from NATS directly',
  options: {
    'nats-url': {
      type: 'string',
      placeholder: '<url>',
      description: 'NATS server(s) (default NATS_URL, else nats://127.0.0.1:4222)',
    },
    'stream-prefix': {
      type: 'string',
      placeholder: '<prefix>',
      description: 'the installation’s stream prefix (default KERA_STREAM_PREFIX, else KERA)',
    },
  },
  help: 'LAG is PENDING (not handed out yet) plus ACK_PENDING (handed out, not acknowledged).',
  async run(context, { values }) {
    const { url, naming } = settings(
      context,
      text(values, 'nats-url'),
      text(values, 'stream-prefix'),
    );
    const nc = await connectTo(url);
    try {
      const jsm = await managerOf(nc, url);
      const state = await readState(jsm, naming);
      if (context.json) return context.io.out(`${JSON.stringify(state, null, 2)}\n`);
      context.io.out(
        table(state.streams, [
          'stream',
          'subjects',
          'messages',
          'bytes',
          'first_seq',
          'last_seq',
          'replicas',
          'leader',
        ]),
      );
      context.io.out('\n');
      context.io.out(
        table(state.consumers, [
          'stream',
          'consumer',
          'pending',
          'ack_pending',
          'lag',
          'redelivered',
          'waiting',
          'ack_floor',
          'delivered',
        ]),
      );
    } finally {
      await nc.close();
    }
  },
};

function settings(context: Context, url?: string, prefix?: string) {
  let config;
  try {
    config = loadConfig({
      ...context.env,
      NATS_URL: url ?? context.env.NATS_URL,
      KERA_STREAM_PREFIX: prefix ?? context.env.KERA_STREAM_PREFIX,
    });
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.problems.join('; '));
    throw error;
  }
  const naming = new Naming({ subjectRoot: config.subjectRoot, streamPrefix: config.streamPrefix });
  return { url: config.natsUrl, naming };
}

async function connectTo(url: string): Promise<NatsConnection> {
  try {
    return await connect({
      servers: url.split(',').map((server) => server.trim()),
      name: 'kera-cli',
      timeout: 3000,
      maxReconnectAttempts: 0,
    });
  } catch (error) {
    throw new CliError(
      `cannot reach NATS at ${url} (${(error as Error).message}); set --nats-url`,
      EXIT.unreachable,
    );
  }
}

async function managerOf(nc: NatsConnection, url: string): Promise<JetStreamManager> {
  try {
    return await nc.jetstreamManager({ timeout: 5000 });
  } catch {
    throw new CliError(`JetStream is not enabled on ${url}`, EXIT.unreachable);
  }
}

/** Each Kera stream of the installation and every durable consumer on it. */
async function readState(jsm: JetStreamManager, naming: Naming) {
  const streams: Row[] = [];
  const consumers: Row[] = [];
  for (const key of STREAMS) {
    const name = naming.stream(key);
    const info = await jsm.streams.info(name).catch(() => null);
    if (!info) {
      streams.push({ stream: name, subjects: 'missing: no service has created it yet' });
      continue;
    }
    streams.push({
      stream: name,
      subjects: info.config.subjects.join(','),
      messages: info.state.messages,
      bytes: info.state.bytes,
      first_seq: info.state.first_seq,
      last_seq: info.state.last_seq,
      replicas: info.config.num_replicas,
      leader: info.cluster?.leader,
    });
    for await (const consumer of jsm.consumers.list(name)) {
      consumers.push({
        stream: name,
        consumer: consumer.name,
        pending: consumer.num_pending,
        ack_pending: consumer.num_ack_pending,
        lag: consumer.num_pending + consumer.num_ack_pending,
        redelivered: consumer.num_redelivered,
        waiting: consumer.num_waiting,
        ack_floor: consumer.ack_floor.stream_seq,
        delivered: consumer.delivered.stream_seq,
      });
    }
  }
  return { streams, consumers };
}

export const STREAM_COMMANDS = [streams];
