import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { buildHeaders } from './delivery-headers';
import { deliveryId } from './delivery-id';
import { OutboundSender } from './outbound-sender';
import { buildTransitionPayload } from './transition-payload';

interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

type Answer = (res: http.ServerResponse) => void;

/** A real HTTP(S) receiver on 127.0.0.1 that records what reached it. */
class Receiver {
  readonly requests: ReceivedRequest[] = [];
  connections = 0;

  private constructor(
    readonly server: http.Server | https.Server,
    readonly url: string,
  ) {}

  static async start(answer: Answer, tls?: https.ServerOptions): Promise<Receiver> {
    const server = tls ? https.createServer(tls) : http.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const receiver = new Receiver(server, `${tls ? 'https' : 'http'}://127.0.0.1:${port}`);

    server.on('connection', () => (receiver.connections += 1));
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const { method = '', url = '', headers } = req;
        receiver.requests.push({ method, url, headers, body: Buffer.concat(chunks) });
        answer(res);
      });
    });
    return receiver;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }
}

const version = '1.2.3';
const body = buildTransitionPayload({
  ticketId: 'KER-42',
  title: 'Fix login timeout — «é» 🚀',
  fromState: 'in_progress',
  toState: 'in_review',
  actor: 'max@example.com',
  transitionedAt: '2026-04-24T10:30:00Z',
  fields: { priority: 'high' },
});

function headersFor(id: string): Record<string, string> {
  return buildHeaders({ deliveryId: id, body, version, nowSeconds: Math.floor(Date.now() / 1000) });
}

function stringHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  return Object.fromEntries(
    Object.entries(headers).filter(
      (entry): entry is [string, string] => typeof entry[1] === 'string',
    ),
  );
}

/** A throwaway self-signed certificate for 127.0.0.1, made by openssl in `dir`. */
function selfSignedTls(dir: string): https.ServerOptions {
  const key = join(dir, 'key.pem');
  const cert = join(dir, 'cert.pem');
  const options = '-x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1';
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  const args = ['req', ...options.split(' '), '-keyout', key, '-out', cert, ...subject];
  execFileSync('openssl', args, { stdio: 'ignore' });
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

describe('OutboundSender against local receivers', () => {
  let sender: OutboundSender;
  const receivers: Receiver[] = [];

  async function receiver(answer: Answer, tls?: https.ServerOptions): Promise<Receiver> {
    const started = await Receiver.start(answer, tls);
    receivers.push(started);
    return started;
  }

  beforeEach(() => {
    sender = new OutboundSender({
      allow: ['127.0.0.0/8'],
      maxResponseBytes: 4096,
      userAgentVersion: version,
    });
  });

  afterEach(async () => {
    sender.close();
    await Promise.all(receivers.splice(0).map((started) => started.close()));
  });

  it('delivers to a 2xx receiver the exact body and headers, signed so Standard Webhooks verifies it', async () => {
    const secret = 'whsec_' + randomBytes(32).toString('base64');
    const id = deliveryId('evt_0001', 0);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const headers = buildHeaders({
      deliveryId: id,
      body,
      secret,
      version,
      nowSeconds,
      extraHeaders: { 'X-Team': 'core', 'X-Kera-Event': 'spoofed', Host: 'elsewhere.example' },
    });
    const target = await receiver((res) => res.writeHead(200).end('thanks'));

    const result = await sender.send({
      url: `${target.url}/hooks/kera?x=1`,
      body,
      headers,
      timeoutMs: 5000,
    });

    expect(result).toEqual({
      ok: true,
      status_code: 200,
      duration_ms: expect.any(Number),
      error: null,
      response_excerpt: 'thanks',
    });
    const [request] = target.requests;
    expect(target.requests).toHaveLength(1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hooks/kera?x=1');
    expect(request?.body.toString('utf8')).toBe(body);
    expect(request?.headers).toMatchObject({
      host: target.url.replace('http://', ''),
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      'user-agent': 'Kera-Webhooks/1.2.3',
      'x-kera-event': 'transition',
      'x-kera-delivery': id,
      'webhook-id': id,
      'webhook-timestamp': String(nowSeconds),
      'x-team': 'core',
    });
    const verified = new Webhook(secret).verify(
      request?.body ?? '',
      stringHeaders(request?.headers ?? {}),
    );
    expect(verified).toEqual(JSON.parse(body));
  });

  it('keeps one connection alive across consecutive sends to a receiver', async () => {
    const target = await receiver((res) => res.writeHead(204).end());

    for (const index of [0, 1, 2]) {
      const id = deliveryId('evt_keepalive', index);
      const result = await sender.send({
        url: target.url,
        body,
        headers: headersFor(id),
        timeoutMs: 5000,
      });
      expect(result.ok).toBe(true);
    }

    expect(target.requests).toHaveLength(3);
    expect(target.connections).toBe(1);
  });

  it('identifies itself as Kera when the headers carry no User-Agent', async () => {
    const target = await receiver((res) => res.writeHead(200).end());

    await sender.send({ url: target.url, body, headers: {}, timeoutMs: 5000 });

    expect(target.requests[0]?.headers['user-agent']).toBe('Kera-Webhooks/1.2.3');
  });

  it.each([
    [404, 'no such hook'],
    [410, 'gone'],
    [500, 'internal error'],
    [503, 'try later'],
  ])(
    'reports a %i answer as a failed delivery with its status and excerpt',
    async (status, text) => {
      const target = await receiver((res) => res.writeHead(status).end(text));

      const result = await sender.send({
        url: target.url,
        body,
        headers: headersFor('dlv_status'),
        timeoutMs: 5000,
      });

      expect(result).toEqual({
        ok: false,
        status_code: status,
        duration_ms: expect.any(Number),
        error: { class: 'http_status', message: `receiver answered ${status}` },
        response_excerpt: text,
      });
    },
  );

  it('fails with timeout when the receiver never answers, and drops the connection', async () => {
    const hanging = await receiver(() => undefined);
    const closed = new Promise((resolve) =>
      hanging.server.on('connection', (socket) => socket.on('close', resolve)),
    );

    const result = await sender.send({
      url: hanging.url,
      body,
      headers: headersFor('dlv_hang'),
      timeoutMs: 300,
    });

    expect(result).toMatchObject({
      ok: false,
      status_code: null,
      error: { class: 'timeout', message: 'no complete answer within 300 ms' },
    });
    expect(result.duration_ms).toBeGreaterThanOrEqual(299);
    await closed;
  });

  it('counts reading the excerpt in the deadline: a body that stalls after a 200 times out', async () => {
    const stalling = await receiver((res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('started');
    });

    const result = await sender.send({
      url: stalling.url,
      body,
      headers: headersFor('dlv_stall'),
      timeoutMs: 300,
    });

    expect(result).toMatchObject({
      ok: false,
      status_code: 200,
      error: { class: 'timeout' },
      response_excerpt: 'started',
    });
  });

  it('reports a connection error when the receiver destroys the connection instead of answering', async () => {
    const resetting = await receiver((res) => res.socket?.destroy());

    const result = await sender.send({
      url: resetting.url,
      body,
      headers: headersFor('dlv_reset'),
      timeoutMs: 5000,
    });

    expect(result).toMatchObject({ ok: false, status_code: null, error: { class: 'connection' } });
    expect(resetting.requests).toHaveLength(1);
  });

  it('reports a connection error when nothing listens on the port', async () => {
    const gone = await receiver(() => undefined);
    await gone.close();
    receivers.splice(receivers.indexOf(gone), 1);

    const result = await sender.send({
      url: gone.url,
      body,
      headers: headersFor('dlv_refused'),
      timeoutMs: 5000,
    });

    expect(result.error).toEqual({
      class: 'connection',
      message: expect.stringContaining('ECONNREFUSED'),
    });
  });

  it('does not follow a redirect, even to an allowed address', async () => {
    const elsewhere = await receiver((res) => res.writeHead(200).end());
    const redirecting = await receiver((res) =>
      res.writeHead(302, { location: `${elsewhere.url}/internal` }).end('moved'),
    );

    const result = await sender.send({
      url: redirecting.url,
      body,
      headers: headersFor('dlv_302'),
      timeoutMs: 5000,
    });

    expect(result).toMatchObject({
      ok: false,
      status_code: 302,
      error: {
        class: 'redirect',
        message: `receiver redirected (302) to ${elsewhere.url}/internal; not followed`,
      },
      response_excerpt: 'moved',
    });
    expect(elsewhere.requests).toHaveLength(0);
    expect(elsewhere.connections).toBe(0);
  });

  it('reads only the first 4 KB of a 50 MB response and closes it early', async () => {
    const total = 50 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'a');
    let written = 0;
    let endedEarly: Promise<boolean> = Promise.resolve(false);
    const huge = await receiver((res) => {
      res.writeHead(200, { 'content-length': String(total) });
      endedEarly = once(res, 'close').then(() => !res.writableFinished);
      const pump = (): void => {
        while (written < total && !res.destroyed) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    });

    const result = await sender.send({
      url: huge.url,
      body,
      headers: headersFor('dlv_huge'),
      timeoutMs: 10_000,
    });

    expect(result).toMatchObject({
      ok: true,
      status_code: 200,
      response_excerpt: 'a'.repeat(4096),
    });
    expect(await endedEarly).toBe(true);
    expect(written).toBeLessThan(total / 4);
  });

  it('fails with tls for a self-signed certificate, before any request reaches the receiver', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kera-tls-'));
    try {
      const selfSigned = await receiver((res) => res.writeHead(200).end(), selfSignedTls(dir));

      const result = await sender.send({
        url: selfSigned.url,
        body,
        headers: headersFor('dlv_tls'),
        timeoutMs: 5000,
      });

      expect(result).toMatchObject({ ok: false, status_code: null, error: { class: 'tls' } });
      expect(result.error?.message).toMatch(/self[- ]signed/);
      expect(selfSigned.requests).toHaveLength(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends 20 deliveries to one receiver concurrently', async () => {
    const waiting: http.ServerResponse[] = [];
    // Answers nobody until all 20 are in flight at once: serialised sends would all time out.
    const target = await receiver((res) => {
      waiting.push(res);
      if (waiting.length === 20) waiting.forEach((held) => held.writeHead(200).end('ok'));
    });
    const ids = Array.from({ length: 20 }, (_, index) => deliveryId('evt_burst', index));

    const results = await Promise.all(
      ids.map((id) =>
        sender.send({ url: target.url, body, headers: headersFor(id), timeoutMs: 10_000 }),
      ),
    );

    expect(results.map((result) => result.ok)).toEqual(Array(20).fill(true));
    const delivered = target.requests.map((request) => request.headers['x-kera-delivery']);
    expect(new Set(delivered)).toEqual(new Set(ids));
  });

  it('reports dns when the name does not resolve', async () => {
    const result = await sender.send({
      url: 'http://kera-receiver.invalid/hook',
      body,
      headers: headersFor('dlv_dns'),
      timeoutMs: 5000,
    });

    expect(result).toMatchObject({ ok: false, status_code: null, error: { class: 'dns' } });
  });
});

describe('OutboundSender with a receiver process that is killed', () => {
  const receiverScript = `
    const http = require('node:http');
    const answerFirst = process.argv[1] === 'after-status';
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (!answerFirst) return void process.stdout.write('request\\n');
        res.writeHead(200, { 'content-length': '1000' });
        res.write('partial answer', () => process.stdout.write('request\\n'));
      });
    });
    server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
  `;
  let child: ChildProcess | undefined;
  const sender = new OutboundSender({ allow: ['127.0.0.0/8'], userAgentVersion: version });

  afterEach(() => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  afterAll(() => sender.close());

  /** Starts the receiver and kills it as soon as a request has reached it. */
  async function killedReceiverUrl(mode: 'before-status' | 'after-status'): Promise<string> {
    child = spawn(process.execPath, ['-e', receiverScript, mode], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
    const port = (await lines.next()).value as string;
    const started = child;
    void lines.next().then(() => started.kill('SIGKILL'));
    return `http://127.0.0.1:${port}/hook`;
  }

  it('reports a connection error when the receiver dies before answering', async () => {
    const url = await killedReceiverUrl('before-status');

    const result = await sender.send({
      url,
      body,
      headers: headersFor('dlv_kill_1'),
      timeoutMs: 10_000,
    });

    expect(result).toMatchObject({ ok: false, status_code: null, error: { class: 'connection' } });
  });

  it('reports a connection error, with the status, when the receiver dies mid-answer', async () => {
    const url = await killedReceiverUrl('after-status');

    const result = await sender.send({
      url,
      body,
      headers: headersFor('dlv_kill_2'),
      timeoutMs: 10_000,
    });

    expect(result).toMatchObject({
      ok: false,
      status_code: 200,
      error: { class: 'connection' },
      response_excerpt: 'partial answer',
    });
  });
});

describe('OutboundSender guarding private addresses on real connections', () => {
  let target: Receiver;
  beforeAll(async () => {
    target = await Receiver.start((res) => res.writeHead(200).end());
  });
  afterAll(() => target.close());

  it('refuses a name that resolves to loopback when nothing is allowed, without connecting', async () => {
    const sender = new OutboundSender({ allow: [], userAgentVersion: version });
    const url = target.url.replace('127.0.0.1', 'localhost');

    const result = await sender.send({
      url,
      body,
      headers: headersFor('dlv_guard_1'),
      timeoutMs: 5000,
    });
    sender.close();

    expect(result).toMatchObject({
      ok: false,
      status_code: null,
      error: {
        class: 'refused_address',
        message: expect.stringMatching(
          /^refused to connect to localhost \(resolved to (127\.0\.0\.1|::1)\): loopback/,
        ),
      },
    });
    expect(target.connections).toBe(0);
  });

  it('refuses the 127.0.0.1 and [::1] literals by default, without connecting', async () => {
    const sender = new OutboundSender({ allow: [], userAgentVersion: version });
    const port = new URL(target.url).port;

    const v4 = await sender.send({
      url: target.url,
      body,
      headers: headersFor('dlv_guard_2'),
      timeoutMs: 5000,
    });
    const v6 = await sender.send({
      url: `http://[::1]:${port}/`,
      body,
      headers: headersFor('dlv_guard_3'),
      timeoutMs: 5000,
    });
    sender.close();

    expect(v4.error).toEqual({
      class: 'refused_address',
      message: expect.stringContaining('127.0.0.1: loopback'),
    });
    expect(v6.error).toEqual({
      class: 'refused_address',
      message: expect.stringContaining('::1: loopback'),
    });
    expect(target.connections).toBe(0);
  });

  it('guards https targets through the same lookup', async () => {
    const sender = new OutboundSender({ allow: [], userAgentVersion: version });
    const url = target.url.replace('http://127.0.0.1', 'https://localhost');

    const result = await sender.send({
      url,
      body,
      headers: headersFor('dlv_guard_5'),
      timeoutMs: 5000,
    });
    sender.close();

    expect(result.error?.class).toBe('refused_address');
    expect(target.connections).toBe(0);
  });

  it('reaches the same name once an allow range covers its address', async () => {
    const sender = new OutboundSender({ allow: ['127.0.0.1'], userAgentVersion: version });
    const url = target.url.replace('127.0.0.1', 'localhost');

    const result = await sender.send({
      url,
      body,
      headers: headersFor('dlv_guard_4'),
      timeoutMs: 5000,
    });
    sender.close();

    expect(result).toMatchObject({ ok: true, status_code: 200 });
    expect(target.connections).toBe(1);
  });
});
