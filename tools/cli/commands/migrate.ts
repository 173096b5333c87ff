import { ConfigError, createLogger, loadConfig } from '@kera/config';
import { Naming } from '@kera/contracts';
import {
  NatsUnavailableError,
  connectNats,
  jetStreamManager,
  provisionStreams,
} from '@kera/jetstream';
import {
  DatabaseUnavailableError,
  createDataSource,
  ensureDatabase,
  migrate,
} from '@kera/persistence';
import { CliError, EXIT, UsageError } from '../errors';
import type { Command } from '../command';

const migrateCommand: Command = {
  path: ['migrate'],
  args: [],
  summary: 'create the database if missing, apply migrations, create or update the streams',
  help: [
    'Reads DATABASE_URL, NATS_URL, KERA_STREAM_PREFIX, KERA_SUBJECT_ROOT, KERA_STREAM_REPLICAS',
    'and KERA_JETSTREAM_MAX_BYTES like the services do. Every service does the same at start-up;',
    'this runs it once, first, as a deploy step (the Kubernetes migration Job).',
  ].join('\n'),
  async run(context) {
    const config = readConfig(context.env);
    const applied = await migrateDatabase(config.databaseUrl);
    context.io.out(
      applied.length > 0
        ? `database: applied ${applied.join(', ')}\n`
        : 'database: every migration was already applied\n',
    );

    const naming = new Naming({
      subjectRoot: config.subjectRoot,
      streamPrefix: config.streamPrefix,
    });
    const nc = await connect(config.natsUrl);
    try {
      const jsm = await jetStreamManager(nc, config.natsUrl);
      const budget = config.jetstreamMaxBytes;
      const notes = await provisionStreams(jsm, naming, config.streamReplicas, budget);
      for (const note of notes) context.io.err(`streams: ${note}\n`);
    } catch (error) {
      throw unreachable(error);
    } finally {
      await nc.close();
    }
    context.io.out(`streams: ready with ${config.streamReplicas} replica(s) each\n`);
  },
};

function readConfig(env: Record<string, string | undefined>) {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(error.problems.join('; '));
    throw error;
  }
}

async function migrateDatabase(url: string): Promise<string[]> {
  try {
    await ensureDatabase(url);
    const dataSource = await createDataSource({
      url,
      applicationName: 'kera-migrate',
    }).initialize();
    try {
      return await migrate(dataSource);
    } finally {
      await dataSource.destroy();
    }
  } catch (error) {
    throw unreachable(error);
  }
}

async function connect(url: string) {
  try {
    return await connectNats({
      url,
      name: 'kera-migrate',
      logger: createLogger('kera-cli', 'silent'),
    });
  } catch (error) {
    throw unreachable(error);
  }
}

function unreachable(error: unknown): Error {
  if (error instanceof DatabaseUnavailableError || error instanceof NatsUnavailableError) {
    return new CliError(error.message, EXIT.unreachable);
  }
  return error instanceof Error ? error : new Error(String(error));
}

export const MIGRATE_COMMANDS = [migrateCommand];
