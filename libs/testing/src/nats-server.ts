import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import { freePort } from './system';

/** Where the nats-server binary is; `NATS_SERVER_BIN` overrides the PATH lookup. */
function natsServerBinary(): string {
  const configured = process.env.NATS_SERVER_BIN;
  if (configured) return configured;
  const found = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const location = found.stdout.trim();
  if (found.status !== 0 || !location) {
    throw new Error(
      'nats-server is not installed (apt-get install nats-server, or NATS_SERVER_BIN)',
    );
  }
  return location;
}

export interface NatsServerOptions {
  /** Client port on 127.0.0.1; a free one when omitted. */
  port?: number;
  /** JetStream store directory; a fresh temporary one when omitted (removed by destroy). */
  storeDir?: string;
  /** Server name, required to be unique within a cluster. */
  serverName?: string;
  cluster?: { name: string; port: number; routes: string[] };
}

/**
 * A nats-server of a test's own, with JetStream on a file store, listening on
 * 127.0.0.1 only. It can be killed (by its own process object, never by
 * name) and started again on the same port and store, as a crash would.
 */
export class NatsServer {
  readonly port: number;
  readonly url: string;
  /** The HTTP monitoring endpoint (/varz, /connz, /jsz). */
  readonly monitorUrl: string;
  readonly storeDir: string;
  readonly output: string[] = [];
  private child: ChildProcess | null = null;
  private readonly ownsStore: boolean;

  private constructor(
    private readonly options: NatsServerOptions & { port: number; monitorPort: number },
    storeDir: string | undefined,
  ) {
    this.port = options.port;
    this.url = `nats://127.0.0.1:${this.port}`;
    this.monitorUrl = `http://127.0.0.1:${options.monitorPort}`;
    this.ownsStore = storeDir === undefined;
    this.storeDir = storeDir ?? mkdtempSync(path.join(tmpdir(), 'kera-nats-'));
  }

  /** Starts a server and waits until it accepts connections. */
  static async start(options: NatsServerOptions = {}): Promise<NatsServer> {
    const port = options.port ?? (await freePort());
    const server = new NatsServer(
      { ...options, port, monitorPort: await freePort() },
      options.storeDir,
    );
    await server.start();
    return server;
  }

  /** The server's process id while it runs. */
  get pid(): number | null {
    return this.running ? (this.child?.pid ?? null) : null;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the process (again) with the same port, name and store. */
  async start(): Promise<void> {
    if (this.running) return;
    const child = spawn(natsServerBinary(), this.arguments(), {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => {
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.shift();
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    await this.waitForClients(30_000);
  }

  /** SIGKILL: the process dies at once, as in a crash; the store stays. */
  kill(): Promise<void> {
    return this.signal('SIGKILL');
  }

  /** SIGTERM and wait for the exit (lame duck is not used: it takes minutes). */
  stop(): Promise<void> {
    return this.signal('SIGTERM');
  }

  /** Stops the server and removes a store directory it created. */
  async destroy(): Promise<void> {
    await this.stop();
    if (this.ownsStore) rmSync(this.storeDir, { recursive: true, force: true });
  }

  private signal(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || !this.running) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  }

  private arguments(): string[] {
    const { serverName, cluster } = this.options;
    const args = ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir];
    args.push('-m', String(this.options.monitorPort));
    if (serverName) args.push('-n', serverName);
    if (cluster) {
      args.push('--cluster_name', cluster.name);
      args.push('--cluster', `nats://127.0.0.1:${cluster.port}`);
      args.push('--routes', cluster.routes.join(','));
    }
    return args;
  }

  private async waitForClients(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (!this.running) break;
      try {
        const nc = await connect({ servers: this.url, timeout: 500, reconnect: false });
        await nc.close();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(
      `nats-server on ${this.url} did not start:\n${this.output.join('').slice(-2000)}`,
    );
  }
}

/** Three (or more) nats-servers routed into one JetStream cluster on loopback. */
export class NatsCluster {
  private constructor(readonly servers: NatsServer[]) {}

  /** Starts the nodes and waits until JetStream has a meta leader. */
  static async start(size = 3): Promise<NatsCluster> {
    const name = `kera-test-${process.pid}-${Date.now().toString(36)}`;
    const clientPorts = await distinctFreePorts(size);
    const routePorts = await distinctFreePorts(size, clientPorts);
    const routes = routePorts.map((port) => `nats://127.0.0.1:${port}`);
    const servers = await Promise.all(
      clientPorts.map((port, index) =>
        NatsServer.start({
          port,
          serverName: `${name}-n${index + 1}`,
          cluster: { name, port: routePorts[index] as number, routes },
        }),
      ),
    );
    const cluster = new NatsCluster(servers);
    await cluster.waitForJetStream(60_000);
    return cluster;
  }

  /** Every node's client URL, comma-separated, as NATS_URL takes them. */
  get url(): string {
    return this.servers.map((server) => server.url).join(',');
  }

  async destroy(): Promise<void> {
    await Promise.all(this.servers.map((server) => server.destroy()));
  }

  /** Resolves once the JetStream API answers through every running node. */
  async waitForJetStream(timeoutMs: number): Promise<void> {
    const until = Date.now() + timeoutMs;
    for (const server of this.servers.filter((candidate) => candidate.running)) {
      for (;;) {
        if (await jetStreamAnswers(server.url)) break;
        if (Date.now() > until) throw new Error(`JetStream did not come up on ${server.url}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }
}

async function jetStreamAnswers(url: string): Promise<boolean> {
  try {
    const nc = await connect({ servers: url, timeout: 1000, reconnect: false });
    try {
      await (await nc.jetstreamManager({ timeout: 2000 })).getAccountInfo();
      return true;
    } finally {
      await nc.close();
    }
  } catch {
    return false;
  }
}

async function distinctFreePorts(count: number, taken: number[] = []): Promise<number[]> {
  const ports: number[] = [];
  while (ports.length < count) {
    const port = await freePort();
    if (!ports.includes(port) && !taken.includes(port)) ports.push(port);
  }
  return ports;
}
