import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { connect } from 'nats';
import {
  ROOT,
  eventually,
  freePort,
  startReceiver,
  startSystem,
  type Receiver,
  type RunningSystem,
} from '@kera/testing';

jest.setTimeout(300_000);

const KERA = path.join(ROOT, 'tools', 'kera.js');

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the kera CLI against a running system', () => {
  let system: RunningSystem;
  let receiver: Receiver;
  let dir: string;
  let env: Record<string, string>;

  /** Runs `node tools/kera.js …` as an operator would, with the system's token and URL. */
  const kera = (args: string[], extraEnv: Record<string, string> = {}) =>
    new Promise<Result>((resolve) => {
      execFile(
        process.execPath,
        [KERA, ...args],
        { env: { ...env, ...extraEnv }, timeout: 60_000 },
        (error, stdout, stderr) => {
          const code = error ? Number((error as { code?: number }).code ?? 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });

  beforeAll(async () => {
    receiver = await startReceiver();
    system = await startSystem();
    dir = mkdtempSync(path.join(tmpdir(), 'kera-cli-'));
    env = {
      PATH: process.env.PATH ?? '',
      ...system.environment.env,
      PORT: new URL(system.gatewayUrl).port,
    };
  });

  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    await system?.stop();
    await receiver?.close();
  });

  it('explains every command and its options', async () => {
    const overview = await kera(['--help']);
    expect(overview.code).toBe(0);
    for (const command of [
      'integrations create',
      'integrations list',
      'integrations rotate <id>',
      'integrations delete <id>',
      'workflow put <project> <file>',
      'workflow get <project>',
      'tickets create',
      'tickets get <id>',
      'tickets transition <id> <to>',
      'deliveries list',
      'deliveries redeliver <delivery-id>',
      'audit tail',
      'audit verify',
      'streams',
    ]) {
      expect(overview.stdout).toContain(command);
    }

    const one = await kera(['tickets', 'transition', '--help']);
    expect(one.code).toBe(0);
    expect(one.stdout).toContain('--actor <who>');
  });

  it('puts a workflow from a file and prints it back', async () => {
    const file = path.join(dir, 'ker.yaml');
    const yaml = [
      'transitions:',
      '  - from: in_progress',
      '    to: in_review',
      '    actions:',
      '      - type: send_webhook',
      `        url: ${receiver.url}/hook`,
      '',
    ].join('\n');
    writeFileSync(file, yaml);

    const put = await kera(['workflow', 'put', 'KER', file]);
    expect(put).toMatchObject({ code: 0 });
    expect(put.stdout).toMatch(/project:\s+KER/);
    expect(put.stdout).toMatch(/version:\s+\d+/);

    const get = await kera(['workflow', 'get', 'KER']);
    expect(get.code).toBe(0);
    expect(get.stdout).toBe(yaml);
  });

  it('prints every validation problem of a bad workflow and exits 1', async () => {
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'transitions:\n  - from: nowhere\n    to: [not, a, state]\n');

    const put = await kera(['workflow', 'put', 'KER', file]);

    expect(put.code).toBe(1);
    expect(put.stderr).toContain('422 Unprocessable Content');
    expect(put.stderr).toMatch(/ {2}- line \d+, column \d+: /);
    expect(put.stdout).toBe('');
  });

  it('creates, shows and transitions a ticket', async () => {
    const created = await kera([
      'tickets',
      'create',
      '--project',
      'KER',
      '--title',
      'CLI made this',
      '--field',
      'priority=high',
      '--field',
      'points=3',
    ]);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/id:\s+KER-1/);

    const shown = await kera(['tickets', 'get', 'KER-1', '--json']);
    expect(shown.code).toBe(0);
    expect(JSON.parse(shown.stdout)).toMatchObject({
      id: 'KER-1',
      title: 'CLI made this',
      fields: { priority: 'high', points: 3 },
    });

    const moved = await kera([
      'tickets',
      'transition',
      'KER-1',
      'in_review',
      '--actor',
      'ops@x.io',
    ]);
    expect(moved.code).toBe(0);
    expect(moved.stdout).toMatch(/^KER-1: in_progress -> in_review \(event [\w-]+\)\n$/);
    await receiver.waitFor(1);
  });

  it('answers a refused transition with the problem and exit code 1', async () => {
    const again = await kera([
      'tickets',
      'transition',
      'KER-1',
      'in_review',
      '--actor',
      'ops@x.io',
    ]);

    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/^kera: 409 Conflict: .+/);
  });

  it('tails the audit trail, as text and as NDJSON', async () => {
    await eventually(async () => {
      const { stdout } = await kera(['audit', 'tail', '-n', '50']);
      return stdout.includes('kera.delivery.succeeded') ? true : undefined;
    });

    const all = await kera(['audit', 'tail', '-n', '100', '--ticket', 'KER-1', '--json']);
    const seqs = all.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).seq as number);
    const text = await kera(['audit', 'tail', '-n', '2', '--ticket', 'KER-1']);
    expect(text.code).toBe(0);
    const lines = text.stdout.trim().split('\n');
    expect(lines.map((line) => Number(line.split(' ')[0]))).toEqual(seqs.slice(-2));
    expect(lines.every((line) => line.includes('  KER-1  '))).toBe(true);
    expect(all.stdout).toContain('"type":"kera.ticket.transitioned"');

    const json = await kera(['audit', 'tail', '-n', '3', '--json']);
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(entries).toHaveLength(3);
    expect(entries.map((entry) => entry.seq)).toEqual(
      [...entries.map((entry) => entry.seq)].sort((a, b) => a - b),
    );
  });

  it('follows the audit trail until Ctrl-C', async () => {
    const child = spawn(
      process.execPath,
      [KERA, 'audit', 'tail', '-n', '1', '-f', '--interval', '1'],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    await eventually(async () => (stdout.length > 0 ? true : undefined));

    const created = await system.api('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project: 'KER', title: 'seen by the tail' }),
    });
    expect(created.status).toBe(201);
    await eventually(async () => (stdout.includes('KER-2') ? true : undefined), 20_000);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(stdout.match(/kera\.ticket\.created {2}KER-2/g)).toHaveLength(1);
  });

  it('verifies the audit chain', async () => {
    const verified = await kera(['audit', 'verify']);

    expect(verified.code).toBe(0);
    expect(verified.stdout).toMatch(/^audit chain intact: \d+ entries\n$/);
  });

  it('shows streams and durable consumers with their lag, read from NATS', async () => {
    const shown = await kera(['streams']);

    const { prefix } = system.environment.naming;
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(`${prefix}_TICKETS`);
    expect(shown.stdout).toMatch(new RegExp(`${prefix}_TICKETS\\s+${prefix}_dispatcher\\s+\\d+`));
    expect(shown.stdout).toContain(`${prefix}_workflow-workflows`);
    expect(shown.stdout.split('\n')[0]).toMatch(/^STREAM\s+SUBJECTS\s+MESSAGES/);

    const json = JSON.parse((await kera(['streams', '--json'])).stdout);
    const dispatcher = json.consumers.find(
      (consumer: { consumer: string }) => consumer.consumer === `${prefix}_dispatcher`,
    );
    expect(dispatcher.lag).toBe(dispatcher.pending + dispatcher.ack_pending);
  });

  it('migrates the database and provisions the streams as a deploy step', async () => {
    const tickets = system.environment.naming.stream('TICKETS');
    const nc = await connect({ servers: system.environment.natsUrl });
    const jsm = await nc.jetstreamManager();
    const before = (await jsm.streams.info(tickets)).config.max_bytes;

    const migrated = await kera(['migrate']);
    const after = (await jsm.streams.info(tickets)).config.max_bytes;
    await nc.close();

    expect(migrated).toMatchObject({ code: 0, stderr: '' });
    expect(migrated.stdout).toBe(
      'database: every migration was already applied\nstreams: ready with 1 replica(s) each\n',
    );
    // Same byte budget as the services: the deploy step does not undo their limits.
    expect(after).toBe(before);

    const port = await freePort();
    const noNats = await kera(['migrate'], { NATS_URL: `nats://127.0.0.1:${port}` });
    expect(noNats.code).toBe(3);
    expect(noNats.stderr).toContain(`NATS is not reachable at nats://127.0.0.1:${port}`);
  });

  it('creates, lists, rotates and deletes an integration', async () => {
    const created = await kera([
      'integrations',
      'create',
      '--provider',
      'github',
      '--name',
      'cli-github',
      '--json',
    ]);
    expect(created).toMatchObject({ code: 0, stderr: '' });
    const integration = JSON.parse(created.stdout);
    expect(integration.secret).toEqual(expect.any(String));

    const listed = await kera(['integrations', 'list']);
    expect(listed.stdout).toContain('cli-github');
    expect(listed.stdout).not.toContain(integration.secret);

    const rotated = await kera(['integrations', 'rotate', integration.id]);
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/secret:\s+\S+/);

    const deleted = await kera(['integrations', 'delete', integration.id]);
    expect(deleted).toMatchObject({ code: 0, stdout: `integration ${integration.id} revoked\n` });
  });

  it('lists deliveries and redelivers one', async () => {
    const listed = await kera(['deliveries', 'list', '--ticket', 'KER-1', '--json']);
    expect(listed).toMatchObject({ code: 0, stderr: '' });
    const [delivery] = JSON.parse(listed.stdout).items;
    expect(delivery.ticket_id).toBe('KER-1');

    const again = await kera(['deliveries', 'redeliver', delivery.delivery_id]);
    expect(again.code).toBe(0);
    await receiver.waitFor(2);
  });

  it('says what is wrong with the command line and exits 2', async () => {
    const missing = await kera(['tickets', 'get']);
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain('kera tickets get takes <id>');

    const unknown = await kera(['tickets', 'get', 'KER-1', '--provider', 'github']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('kera tickets get has no option --provider');

    const noToken = await kera(['tickets', 'get', 'KER-1'], { KERA_ADMIN_TOKEN: '' });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('pass --token or set KERA_ADMIN_TOKEN');
  });

  it('tells a refused token from an unreachable gateway', async () => {
    const refused = await kera(['tickets', 'get', 'KER-1', '--token', 'wrong-token-0123456789']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('401 Unauthorized');

    const port = await freePort();
    const unreachable = await kera([
      'tickets',
      'get',
      'KER-1',
      '--url',
      `http://127.0.0.1:${port}`,
    ]);
    expect(unreachable.code).toBe(3);
    expect(unreachable.stderr).toContain(`cannot reach the gateway at http://127.0.0.1:${port}`);
  });
});
