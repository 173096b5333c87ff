import os from 'node:os';
import { connect } from 'nats';
import { Client } from 'pg';

/** What a benchmark ran on; printed with every table because absolute figures depend on it. */
export interface MachineInfo {
  cpuModel: string;
  /** Logical CPUs this process may use. */
  cores: number;
  memoryGiB: number;
  platform: string;
  node: string;
  natsServer: string;
  postgres: string;
  /** One-minute load average when the benchmark started: other work skews every figure. */
  loadAverage: number;
}

/** Where the NATS and Postgres servers the benchmark uses are. */
export interface ServerAddresses {
  natsUrl: string;
  /** Any database URL on the Postgres server. */
  databaseUrl: string;
}

/** Describes this machine and asks the NATS and Postgres servers for their versions. */
export async function describeMachine(servers: ServerAddresses): Promise<MachineInfo> {
  const cpus = os.cpus();
  const [natsServer, postgres] = await Promise.all([
    natsVersion(servers.natsUrl),
    postgresVersion(servers.databaseUrl),
  ]);
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: os.totalmem() / 1024 ** 3,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    natsServer,
    postgres,
    loadAverage: os.loadavg()[0] ?? Number.NaN,
  };
}

/** One line per fact, for the head of a benchmark's output. */
export function machineLines(info: MachineInfo): string[] {
  return [
    `machine   ${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB.toFixed(1)} GiB, ${info.platform}`,
    `software  Node ${info.node}, nats-server ${info.natsServer}, PostgreSQL ${info.postgres}`,
    `load      ${info.loadAverage.toFixed(2)} (one-minute average at the start, on ${info.cores} cores)`,
  ];
}

async function natsVersion(url: string): Promise<string> {
  const nc = await connect({ servers: url, timeout: 3000 }).catch(() => null);
  if (!nc) return 'unreachable';
  try {
    return nc.info?.version ?? 'unknown';
  } finally {
    await nc.close();
  }
}

async function postgresVersion(url: string): Promise<string> {
  const client = new Client({ connectionString: serverUrl(url), connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    const result = await client.query<{ server_version: string }>('SHOW server_version');
    return result.rows[0]?.server_version.split(' ')[0] ?? 'unknown';
  } catch {
    return 'unreachable';
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The same server's maintenance database, which exists even before a run creates its own. */
function serverUrl(url: string): string {
  const parsed = new URL(url);
  parsed.pathname = '/postgres';
  return parsed.toString();
}
