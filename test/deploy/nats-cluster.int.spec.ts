import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect, RetentionPolicy, StorageType, type NatsConnection } from 'nats';
import { eventually, freePort } from '@kera/testing';

jest.setTimeout(120_000);

const CONFIG = path.resolve(__dirname, '..', '..', 'deploy', 'nats', 'nats-cluster.conf');
const NATS_SERVER = 'nats-server';

interface Node {
  name: string;
  client: number;
  cluster: number;
  monitor: number;
}

/** `nats-server -t`: parses the configuration and exits. */
function checkConfig(file: string, env: Record<string, string>) {
  return new Promise<{ code: number; output: string }>((resolve) => {
    execFile(
      NATS_SERVER,
      ['-c', file, '-t'],
      { env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

/** Replaces one setting of the real file; fails when the file no longer has it. */
function replace(text: string, pattern: RegExp, value: string): string {
  if (!pattern.test(text)) throw new Error(`deploy/nats/nats-cluster.conf lacks ${pattern}`);
  return text.replace(pattern, value);
}

/**
 * The real configuration with only its addresses and paths moved onto
 * loopback ports and a temporary directory: cluster, JetStream and route
 * settings are the ones deployed.
 */
function loopbackCopy(node: Node, nodes: Node[], dir: string): string {
  let text = readFileSync(CONFIG, 'utf8');
  text = replace(text, /^listen: 0\.0\.0\.0:4222$/m, `listen: 127.0.0.1:${node.client}`);
  text = replace(text, /^http: 0\.0\.0\.0:8222$/m, `http: 127.0.0.1:${node.monitor}`);
  text = replace(text, /^pid_file: .+$/m, `pid_file: ${path.join(dir, `${node.name}.pid`)}`);
  text = replace(text, /store_dir: .+/, `store_dir: ${path.join(dir, node.name)}`);
  text = replace(text, /listen: 0\.0\.0\.0:6222/, `listen: 127.0.0.1:${node.cluster}`);
  for (const [index, other] of nodes.entries()) {
    text = replace(
      text,
      new RegExp(`nats://nats-${index}\\.nats\\.kera\\.svc\\.cluster\\.local:6222`),
      `nats://127.0.0.1:${other.cluster}`,
    );
  }
  return text;
}

async function routesOf(node: Node): Promise<number | undefined> {
  const response = await fetch(`http://127.0.0.1:${node.monitor}/routez`);
  const body = (await response.json()) as { num_routes: number };
  return body.num_routes;
}

describe('the NATS cluster configuration in deploy/nats', () => {
  let dir: string;
  const processes: ChildProcess[] = [];
  let nc: NatsConnection | undefined;

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'kera-nats-cluster-'));
  });

  afterAll(async () => {
    await nc?.close();
    await Promise.all(
      processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once('exit', () => resolve());
            child.kill('SIGTERM');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  });

  it('is valid for nats-server once each pod names itself', async () => {
    const named = await checkConfig(CONFIG, { SERVER_NAME: 'nats-0' });
    expect(named).toMatchObject({ code: 0 });
    expect(named.output).toContain('is valid');

    const unnamed = await checkConfig(CONFIG, {});
    expect(unnamed.code).not.toBe(0);
    expect(unnamed.output).toContain('SERVER_NAME');
  });

  it('forms a 3-node JetStream cluster through its routes and keeps a stream on all three', async () => {
    const nodes: Node[] = [];
    for (const name of ['nats-0', 'nats-1', 'nats-2']) {
      nodes.push({
        name,
        client: await freePort(),
        cluster: await freePort(),
        monitor: await freePort(),
      });
    }
    for (const node of nodes) {
      const file = path.join(dir, `${node.name}.conf`);
      writeFileSync(file, loopbackCopy(node, nodes, dir));
      expect(await checkConfig(file, { SERVER_NAME: node.name })).toMatchObject({ code: 0 });
      processes.push(
        spawn(NATS_SERVER, ['-c', file], {
          env: { ...process.env, SERVER_NAME: node.name },
          stdio: 'ignore',
        }),
      );
    }

    for (const node of nodes) {
      await eventually(
        async () => ((await routesOf(node)) ?? 0) >= 2 || undefined,
        30_000,
        `${node.name} routed to both others`,
      );
    }

    nc = await connect({ servers: nodes.map((node) => `127.0.0.1:${node.client}`) });
    // Skip the API check: JetStream answers only once the meta leader is elected.
    const jsm = await nc.jetstreamManager({ checkAPI: false });
    const info = await eventually(
      () =>
        jsm.streams.add({
          name: 'R3_PROOF',
          subjects: ['proof.>'],
          num_replicas: 3,
          retention: RetentionPolicy.Limits,
          storage: StorageType.File,
        }),
      60_000,
      'a replicated stream (needs the JetStream meta leader)',
    );
    await nc.jetstream().publish('proof.one', 'stored on three nodes');

    expect(info.config.num_replicas).toBe(3);
    const state = await eventually(async () => {
      const current = await jsm.streams.info('R3_PROOF');
      const replicas = current.cluster?.replicas ?? [];
      return replicas.length === 2 && replicas.every((replica) => replica.current)
        ? current
        : undefined;
    }, 30_000);
    expect(state.state.messages).toBe(1);
    expect(state.cluster?.name).toBe('kera');
    const members = [state.cluster?.leader, ...(state.cluster?.replicas ?? []).map((r) => r.name)];
    expect(members.sort()).toEqual(['nats-0', 'nats-1', 'nats-2']);
  });
});
