import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { connect as tcpConnect } from 'node:net';
import path from 'node:path';

/** True when something accepts TCP connections at host:port within the timeout. */
export function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tcpConnect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export function which(command: string): string | null {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const location = found.stdout.trim();
  return found.status === 0 && location ? location : null;
}

export async function waitUntilReachable(
  host: string,
  port: number,
  timeoutMs: number,
): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await reachable(host, port, 500)) return true;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return false;
}

/** A NATS server with JetStream whose store lives under `<dataDir>/nats`. */
export function startLocalNats(binary: string, dataDir: string, port: number): ChildProcess {
  const store = path.join(dataDir, 'nats');
  mkdirSync(store, { recursive: true });
  return spawn(binary, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', store], {
    stdio: ['ignore', 'ignore', 'ignore'],
  });
}

/**
 * A PostgreSQL cluster under `<dataDir>/postgres` with trust authentication
 * for local connections. PostgreSQL refuses to run as root, so as root it
 * runs as the `postgres` system user.
 */
export function startLocalPostgres(binDir: string, dataDir: string, port: number): void {
  const cluster = path.join(dataDir, 'postgres');
  const asRoot = process.getuid?.() === 0;
  const run = (command: string, args: string[]) => {
    const [cmd, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(binDir, command), ...args]]
      : [path.join(binDir, command), args];
    const result = spawnSync(cmd, argv, { encoding: 'utf8' });
    if (result.status !== 0) {
      throw new Error(
        `${command} failed: ${(result.stderr || result.stdout).trim().split('\n').pop()}`,
      );
    }
  };

  if (!existsSync(path.join(cluster, 'PG_VERSION'))) {
    mkdirSync(cluster, { recursive: true });
    if (asRoot) spawnSync('chown', ['-R', 'postgres', dataDir]);
    run('initdb', ['-D', cluster, '-U', 'postgres', '--auth=trust', '--encoding=UTF8']);
  }
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -k ${cluster}`;
  run('pg_ctl', [
    '-D',
    cluster,
    '-o',
    options,
    '-l',
    path.join(cluster, 'server.log'),
    '-w',
    'start',
  ]);
}

export function stopLocalPostgres(binDir: string, dataDir: string): void {
  const cluster = path.join(dataDir, 'postgres');
  const args = ['-D', cluster, '-m', 'fast', 'stop'];
  const asRoot = process.getuid?.() === 0;
  if (asRoot) spawnSync('runuser', ['-u', 'postgres', '--', path.join(binDir, 'pg_ctl'), ...args]);
  else spawnSync(path.join(binDir, 'pg_ctl'), args);
}
