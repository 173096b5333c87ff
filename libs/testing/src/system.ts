import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import path from 'node:path';
import { connect } from 'nats';
import { Client } from 'pg';
import { serviceEnvironment, serviceNodeOptions } from '@kera/config';
import { Naming } from '@kera/contracts';

/** The workspace root, whether this file runs from source (jest) or compiled to dist/ (bench). */
export const ROOT = workspaceRoot(path.resolve(__dirname, '..', '..', '..'));
/** The JetStream byte budget of one test installation (1 GiB). */
export const TEST_JETSTREAM_MAX_BYTES = 1024 ** 3;
export const SERVICE_NAMES = ['gateway', 'workflow', 'dispatcher', 'audit'] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

export interface IsolatedEnvironment {
  /** Unique per run, so that runs never see each other's data. */
  id: string;
  natsUrl: string;
  databaseUrl: string;
  naming: Naming;
  adminToken: string;
  env: Record<string, string>;
}

export interface IsolationOptions {
  natsUrl?: string;
  /** A Postgres server URL without database name. */
  postgresUrl?: string;
  extraEnv?: Record<string, string>;
}

/** A database, subject root and stream prefix of their own for one test run. */
export function isolatedEnvironment(options: IsolationOptions = {}): IsolatedEnvironment {
  const id = `t${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const natsUrl = options.natsUrl ?? 'nats://127.0.0.1:4222';
  const databaseUrl = `${options.postgresUrl ?? 'postgres://postgres@127.0.0.1:5432'}/kera_${id}`;
  const naming = new Naming({
    subjectRoot: `kera_${id}`,
    streamPrefix: `KERA_${id.toUpperCase()}`,
  });
  const adminToken = `test-admin-${randomBytes(12).toString('hex')}`;
  return {
    id,
    natsUrl,
    databaseUrl,
    naming,
    adminToken,
    env: {
      NATS_URL: natsUrl,
      DATABASE_URL: databaseUrl,
      KERA_SUBJECT_ROOT: naming.root,
      KERA_STREAM_PREFIX: naming.prefix,
      KERA_ADMIN_TOKEN: adminToken,
      KERA_OUTBOUND_ALLOW: '127.0.0.0/8',
      // The server reserves every stream's byte limit: test runs share one
      // nats-server, so each gets a small budget.
      KERA_JETSTREAM_MAX_BYTES: String(TEST_JETSTREAM_MAX_BYTES),
      LOG_LEVEL: process.env.KERA_TEST_LOG_LEVEL ?? 'warn',
      ...options.extraEnv,
    },
  };
}

/** Deletes the run's streams (object stores included) and drops its database. */
export async function destroyEnvironment(environment: IsolatedEnvironment): Promise<void> {
  const nc = await connect({ servers: environment.natsUrl.split(',') });
  try {
    const jsm = await nc.jetstreamManager();
    const prefix = `${environment.naming.prefix}_`;
    const names: string[] = [];
    for await (const name of jsm.streams.names()) names.push(name);
    for (const name of names.filter((n) => n.startsWith(prefix) || n.startsWith(`OBJ_${prefix}`))) {
      await jsm.streams.delete(name).catch(() => undefined);
    }
  } finally {
    await nc.close();
  }
  await dropDatabase(environment.databaseUrl);
}

/** Drops the database the URL names (its sessions ended first), through the server's `postgres`. */
export async function dropDatabase(databaseUrl: string): Promise<void> {
  const db = new URL(databaseUrl);
  const name = db.pathname.slice(1);
  db.pathname = '/postgres';
  const client = new Client({ connectionString: db.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface ServiceProcess {
  name: ServiceName;
  child: ChildProcess;
  /** Everything it wrote to stderr/stdout, for failure messages. */
  output: string[];
  healthUrl: string;
  /** Its HTTP port, kept by restartService. */
  port: number;
  /** The environment it was started with on top of the isolated environment's. */
  extraEnv: Record<string, string>;
}

/** Starts one built service (from dist/) as its own process, on a free port unless given one. */
export async function startService(
  name: ServiceName,
  environment: IsolatedEnvironment,
  extraEnv: Record<string, string> = {},
  port?: number,
): Promise<ServiceProcess> {
  port ??= await freePort();
  const env = serviceEnvironment({
    ...process.env,
    ...environment.env,
    ...extraEnv,
    [name === 'gateway' ? 'PORT' : 'KERA_HEALTH_PORT']: String(port),
  });
  const main = path.join(ROOT, 'dist', 'apps', name, 'src', 'main.js');
  const args = [...serviceNodeOptions(name), '-r', path.join(ROOT, 'tools', 'register.js'), main];
  const child = spawn(process.execPath, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    output.push(chunk.toString());
    if (output.length > 200) output.shift();
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const service = { name, child, output, healthUrl: `http://127.0.0.1:${port}`, port, extraEnv };
  await waitForReady(service, 60_000);
  return service;
}

/** Starts a service again with the same name, port and environment (after it died or stopped). */
export function restartService(
  service: ServiceProcess,
  environment: IsolatedEnvironment,
): Promise<ServiceProcess> {
  return startService(service.name, environment, service.extraEnv, service.port);
}

async function waitForReady(service: ServiceProcess, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (service.child.exitCode !== null) break;
    try {
      if ((await fetch(`${service.healthUrl}/readyz`)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${service.name} did not become ready:\n${service.output.join('').slice(-4000)}`);
}

/** Sends SIGTERM (or the given signal) and waits for the process to exit. */
export function stopService(
  service: ServiceProcess,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<number | null> {
  const { child } = service;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.once('exit', (code) => {
      clearTimeout(force);
      resolve(code);
    });
    child.kill(signal);
  });
}

export interface SystemOptions extends IsolationOptions {
  /** Processes per service, all sharing one environment (default: one of each). */
  instances?: Partial<Record<ServiceName, number>>;
}

export interface RunningSystem {
  environment: IsolatedEnvironment;
  /** The first process of each service. */
  services: Map<ServiceName, ServiceProcess>;
  /** Every running process, in start order; restart() replaces entries in place. */
  instances: ServiceProcess[];
  gatewayUrl: string;
  /** fetch against the gateway with the admin token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** Starts a dead (or stopped) process again on its port and puts it in its place. */
  restart(service: ServiceProcess): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** The four services, each a real process (or several), on an isolated environment. */
export async function startSystem(options: SystemOptions = {}): Promise<RunningSystem> {
  const environment = isolatedEnvironment(options);
  const instances: ServiceProcess[] = [];
  const count = (name: ServiceName) => Math.max(1, options.instances?.[name] ?? 1);
  const startMany = async (name: ServiceName) => {
    const started = await Promise.all(
      Array.from({ length: count(name) }, () => startService(name, environment)),
    );
    instances.push(...started);
  };
  const stopAll = async () => {
    await Promise.all(instances.map((service) => stopService(service)));
  };
  try {
    // The workflow service first: it seeds and owns the schema's first users.
    await startMany('workflow');
    await Promise.all((['gateway', 'dispatcher', 'audit'] as const).map(startMany));
  } catch (error) {
    await stopAll();
    await destroyEnvironment(environment).catch(() => undefined);
    throw error;
  }

  const services = new Map<ServiceName, ServiceProcess>();
  for (const service of [...instances].reverse()) services.set(service.name, service);
  const gatewayUrl = (services.get('gateway') as ServiceProcess).healthUrl;
  return {
    environment,
    services,
    instances,
    gatewayUrl,
    api: (p, init = {}) =>
      fetch(`${gatewayUrl}${p}`, {
        ...init,
        headers: { authorization: `Bearer ${environment.adminToken}`, ...(init.headers ?? {}) },
      }),
    restart: async (service) => {
      const fresh = await restartService(service, environment);
      const index = instances.indexOf(service);
      if (index >= 0) instances[index] = fresh;
      if (services.get(service.name) === service) services.set(service.name, fresh);
      return fresh;
    },
    stop: async () => {
      await stopAll();
      await destroyEnvironment(environment);
    },
  };
}

/** Polls until the check returns a value (not undefined) or the timeout passes. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 15_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

function workspaceRoot(threeUp: string): string {
  return path.basename(threeUp) === 'dist' ? path.dirname(threeUp) : threeUp;
}
