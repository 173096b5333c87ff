import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  ConfigError,
  createLogger,
  loadConfig,
  serviceEnvironment,
  serviceNodeOptions,
  type KeraConfig,
} from '@kera/config';
import { Naming } from '@kera/contracts';
import {
  NatsUnavailableError,
  connectNats,
  jetStreamManager,
  provisionStreams,
} from '@kera/jetstream';
import {
  ADMIN_TOKEN_SETTING,
  DatabaseUnavailableError,
  insertSetting,
  openDatabase,
  readSetting,
} from '@kera/persistence';
import { createHash } from 'node:crypto';
import {
  reachable,
  startLocalNats,
  startLocalPostgres,
  stopLocalPostgres,
  waitUntilReachable,
  which,
} from './local-servers';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const DATA_DIR = path.join(ROOT, '.kera');
const SERVICES = [
  { name: 'gateway', healthPort: null },
  { name: 'workflow', healthPort: 8081 },
  { name: 'dispatcher', healthPort: 8082 },
  { name: 'audit', healthPort: 8083 },
] as const;

const say = (line: string) => process.stdout.write(`kera: ${line}\n`);
const fail = (line: string): never => {
  process.stderr.write(`kera: ${line}\n`);
  process.exit(1);
};

/**
 * `npm start`: makes sure NATS and Postgres are there (running local ones
 * under .kera/ when they are installed but not running), prepares the
 * database, streams and admin token, then runs the four services and
 * restarts any that dies until Ctrl-C.
 */
async function main(): Promise<void> {
  const config = readConfig();
  const cleanups: (() => void)[] = [];
  const local = await ensureServers(config, cleanups);
  const env = { ...process.env, ...local };
  const effective = loadConfig(env);
  const token = await prepare(effective);

  const supervisor = new Supervisor(env);
  supervisor.start();
  const gateway = `http://127.0.0.1:${effective.port}`;
  if (await waitForReady(`${gateway}/readyz`, 60_000)) {
    say(`running: gateway ${effective.publicUrl ?? gateway}  (API docs /api/docs, health /readyz)`);
  } else {
    say('the gateway is not ready yet; see its log lines above');
  }
  if (token) say(`admin token (shown only now, store it): ${token}`);

  const stop = async () => {
    say('stopping: draining consumers');
    await supervisor.stop();
    for (const cleanup of cleanups.reverse()) cleanup();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

function readConfig(): KeraConfig {
  try {
    return loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
}

/** Returns environment overrides for servers it had to start itself. */
async function ensureServers(
  config: KeraConfig,
  cleanups: (() => void)[],
): Promise<Record<string, string>> {
  const overrides: Record<string, string> = {};
  const nats = new URL(config.natsUrl.split(',')[0] ?? '');
  const natsPort = Number(nats.port || 4222);
  if (!(await reachable(nats.hostname, natsPort)) && isLoopback(nats.hostname)) {
    const binary = which('nats-server');
    if (!binary)
      fail(
        `NATS is not reachable at ${config.natsUrl} and nats-server is not installed: install it (with JetStream) or set NATS_URL`,
      );
    const child = startLocalNats(binary as string, DATA_DIR, natsPort);
    cleanups.push(() => child.kill('SIGTERM'));
    if (!(await waitUntilReachable('127.0.0.1', natsPort, 10_000)))
      fail('the local nats-server did not start');
    say(
      `NATS was not running: started a local nats-server with JetStream on 127.0.0.1:${natsPort} (data in .kera/nats)`,
    );
  }

  const db = new URL(config.databaseUrl);
  const dbPort = Number(db.port || 5432);
  if (!(await reachable(db.hostname, dbPort)) && isLoopback(db.hostname)) {
    const initdb = which('initdb') ?? which('/usr/lib/postgresql/*/bin/initdb');
    if (!initdb)
      fail(
        `Postgres is not reachable at ${db.host} and PostgreSQL is not installed: install it or set DATABASE_URL`,
      );
    const binDir = path.dirname(initdb as string);
    try {
      startLocalPostgres(binDir, DATA_DIR, dbPort);
    } catch (error) {
      fail(`could not start a local PostgreSQL: ${(error as Error).message}`);
    }
    cleanups.push(() => stopLocalPostgres(binDir, DATA_DIR));
    say(
      `Postgres was not running: started a local PostgreSQL on 127.0.0.1:${dbPort} (data in .kera/postgres)`,
    );
  }
  return overrides;
}

/** Database, migrations, streams and the admin token; returns a token generated now. */
async function prepare(config: KeraConfig): Promise<string | null> {
  const logger = createLogger('launcher', 'warn');
  try {
    const nc = await connectNats({ url: config.natsUrl, name: 'kera-launcher', logger });
    const jsm = await jetStreamManager(nc, config.natsUrl);
    const naming = new Naming({
      subjectRoot: config.subjectRoot,
      streamPrefix: config.streamPrefix,
    });
    await provisionStreams(jsm, naming, config.streamReplicas);
    await nc.close();

    const db = await openDatabase({ url: config.databaseUrl, applicationName: 'kera-launcher' });
    try {
      return await adminToken(config, db);
    } finally {
      await db.destroy();
    }
  } catch (error) {
    if (error instanceof NatsUnavailableError || error instanceof DatabaseUnavailableError)
      fail(error.message);
    throw error;
  }
}

async function adminToken(config: KeraConfig, db: Awaited<ReturnType<typeof openDatabase>>) {
  if (config.adminToken) return null;
  if (await readSetting(db, ADMIN_TOKEN_SETTING)) return null;
  const token = `kera_${randomBytes(32).toString('base64url')}`;
  const hash = createHash('sha256').update(token).digest('hex');
  return (await insertSetting(db, ADMIN_TOKEN_SETTING, hash)) ? token : null;
}

/** Runs each service as its own process and restarts one that exits unexpectedly. */
class Supervisor {
  private readonly children = new Map<string, ChildProcess>();
  private stopping = false;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  start(): void {
    for (const service of SERVICES) this.spawn(service.name, service.healthPort);
  }

  private spawn(name: string, healthPort: number | null, restarts = 0): void {
    const env = serviceEnvironment(this.env);
    if (healthPort !== null && !env.KERA_HEALTH_PORT) env.KERA_HEALTH_PORT = String(healthPort);
    const child = spawn(
      process.execPath,
      [
        ...serviceNodeOptions(name),
        '-r',
        path.join(ROOT, 'tools', 'register.js'),
        path.join(ROOT, 'dist', 'apps', name, 'src', 'main.js'),
      ],
      { env, stdio: ['ignore', 'inherit', 'inherit'] },
    );
    this.children.set(name, child);
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5));
      say(`${name} exited (${signal ?? code}); restarting in ${delay / 1000}s`);
      setTimeout(() => this.spawn(name, healthPort, restarts + 1), delay).unref();
    });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    const exits = [...this.children.values()].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 20_000).unref();
        }),
    );
    await Promise.all(exits);
  }
}

async function waitForReady(url: string, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    try {
      if ((await fetch(url)).ok) return true;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  return false;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1' || host === '[::1]';
}

void main();
