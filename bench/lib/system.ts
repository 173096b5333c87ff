import { Client } from 'pg';
import { DEFAULT_JETSTREAM_MAX_BYTES } from '@kera/jetstream';
import {
  destroyEnvironment,
  isolatedEnvironment,
  startService,
  stopService,
  type IsolatedEnvironment,
  type ServiceName,
  type ServiceProcess,
} from '@kera/testing';
import { profilingEnv } from './profiling';
import type { RssTarget } from './rss';
import type { BenchmarkRun } from './run';

/** Services of one benchmark on an isolated environment (database, subjects, streams). */
export interface BenchSystem {
  environment: IsolatedEnvironment;
  services: Map<ServiceName, ServiceProcess>;
  /** The gateway's base URL; empty when the gateway is not among the services. */
  gatewayUrl: string;
  /** fetch against the gateway with the admin token. */
  api(path: string, init?: RequestInit): Promise<Response>;
  /** The services as RSS sampling targets (pid, and metrics as a fall-back). */
  rssTargets(): RssTarget[];
  /** The Postgres server processes serving this environment's database right now. */
  databaseBackends(): Promise<number[]>;
  /** Stops the services and removes the environment's streams and database. */
  stop(): Promise<void>;
}

/**
 * Starts the named services as real processes on an isolated environment (on the run's NATS
 * server and the Postgres server at 127.0.0.1:5432) with the product's stream limits, at the
 * log level operators run by default (`info`; BENCH_LOG_LEVEL overrides it), each profiled when
 * BENCH_PROFILE names it. The workflow service starts first: it seeds the example workflow.
 */
export async function startBenchSystem(
  run: Pick<BenchmarkRun, 'name' | 'natsUrl'>,
  names: readonly ServiceName[],
  extraEnv: Record<string, string> = {},
): Promise<BenchSystem> {
  const benchmark = run.name;
  const environment = isolatedEnvironment({
    natsUrl: run.natsUrl,
    extraEnv: {
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
      // The product's stream budget, not the small one of tests: a full INBOUND stream drops
      // its oldest messages, and a stored-count check can then compare only totals.
      KERA_JETSTREAM_MAX_BYTES: String(DEFAULT_JETSTREAM_MAX_BYTES),
      ...extraEnv,
    },
  });
  const services = new Map<ServiceName, ServiceProcess>();
  const start = async (name: ServiceName) => {
    services.set(name, await startService(name, environment, profilingEnv(benchmark, name)));
  };
  const stop = async () => {
    await Promise.all([...services.values()].map((service) => stopService(service)));
    await destroyEnvironment(environment);
  };

  try {
    if (names.includes('workflow')) await start('workflow');
    await Promise.all(names.filter((name) => name !== 'workflow').map(start));
  } catch (error) {
    await stop().catch(() => undefined);
    throw error;
  }

  const gatewayUrl = services.get('gateway')?.healthUrl ?? '';
  return {
    environment,
    services,
    gatewayUrl,
    api: (path, init = {}) =>
      fetch(`${gatewayUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${environment.adminToken}`, ...(init.headers ?? {}) },
      }),
    rssTargets: () =>
      [...services.values()].map((service) => ({
        name: service.name,
        pid: service.child.pid,
        metricsUrl: `${service.healthUrl}/metrics`,
      })),
    databaseBackends: () => databaseBackends(environment.databaseUrl),
    stop,
  };
}

async function databaseBackends(databaseUrl: string): Promise<number[]> {
  const database = new URL(databaseUrl).pathname.slice(1);
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const result = await client.query<{ pid: number }>(
      'SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database],
    );
    return result.rows.map((row) => row.pid);
  } finally {
    await client.end();
  }
}
