import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { freePort } from './system';

/** Where Debian and Ubuntu put each installed major version's server binaries. */
const DEBIAN_VERSIONS = '/usr/lib/postgresql';

/** The directory of initdb/pg_ctl: `PG_BIN`, the newest Debian version directory, or the PATH. */
function postgresBinDir(): string {
  const configured = process.env.PG_BIN;
  if (configured) return configured;
  const versions = existsSync(DEBIAN_VERSIONS) ? readdirSync(DEBIAN_VERSIONS) : [];
  const known = versions
    .sort((a, b) => Number(b) - Number(a))
    .map((version) => path.join(DEBIAN_VERSIONS, version, 'bin'))
    .find((dir) => existsSync(path.join(dir, 'pg_ctl')));
  if (known) return known;
  const found = spawnSync('sh', ['-c', 'command -v pg_ctl'], { encoding: 'utf8' });
  if (found.status !== 0 || !found.stdout.trim()) {
    throw new Error('PostgreSQL server binaries (initdb, pg_ctl) are not installed; set PG_BIN');
  }
  return path.dirname(found.stdout.trim());
}

/**
 * A PostgreSQL cluster of a test's own: initdb into a temporary directory,
 * trust authentication, listening on 127.0.0.1 on a free port. PostgreSQL
 * refuses to run as root, so as root every command runs as the `postgres`
 * system user, which then owns the directory.
 */
export class PostgresServer {
  readonly url: string;
  private readonly dataDir: string;

  private constructor(
    private readonly root: string,
    readonly port: number,
    private readonly binDir: string,
  ) {
    this.dataDir = path.join(root, 'data');
    this.url = `postgres://postgres@127.0.0.1:${port}`;
  }

  static async start(): Promise<PostgresServer> {
    const root = mkdtempSync(path.join(tmpdir(), 'kera-pg-'));
    const server = new PostgresServer(root, await freePort(), postgresBinDir());
    if (asRoot()) run('chown', ['-R', 'postgres:', root]);
    server.pg('initdb', ['-D', server.dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8']);
    await server.start();
    return server;
  }

  /** The postmaster's process id, from its pid file, while it runs. */
  get pid(): number | null {
    const file = path.join(this.dataDir, 'postmaster.pid');
    if (!existsSync(file)) return null;
    const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  }

  async start(): Promise<void> {
    const options = `-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.root} -c max_connections=300`;
    this.pg('pg_ctl', [
      '-D',
      this.dataDir,
      '-o',
      options,
      '-l',
      path.join(this.root, 'server.log'),
      '-w',
      '-t',
      '60',
      'start',
    ]);
    await this.waitForQueries(30_000);
  }

  /**
   * Stops the server the way a crash does: `pg_ctl -m immediate` sends
   * SIGQUIT to the postmaster (by the pid in its pid file), every backend
   * quits at once without a checkpoint, and the next start replays the WAL.
   */
  crash(): Promise<void> {
    this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'immediate', '-w', 'stop']);
    return Promise.resolve();
  }

  /** A clean shutdown (pg_ctl -m fast). */
  stop(): Promise<void> {
    if (this.pid !== null) this.pg('pg_ctl', ['-D', this.dataDir, '-m', 'fast', '-w', 'stop']);
    return Promise.resolve();
  }

  /** Stops the server and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }

  private pg(command: string, args: string[]): void {
    const binary = path.join(this.binDir, command);
    if (asRoot()) run('runuser', ['-u', 'postgres', '--', binary, ...args]);
    else run(binary, args);
  }

  private async waitForQueries(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < until) {
      const client = new Client({ connectionString: `${this.url}/postgres` });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return;
      } catch (error) {
        last = error;
        await new Promise((resolve) => setTimeout(resolve, 100));
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    throw new Error(`Postgres on port ${this.port} does not answer: ${String(last)}`);
  }
}

function asRoot(): boolean {
  return process.getuid?.() === 0;
}

function run(command: string, args: string[]): void {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    const why = (result.stderr || result.stdout || String(result.error)).trim();
    throw new Error(`${path.basename(command)} ${args.join(' ')} failed: ${why}`);
  }
}
