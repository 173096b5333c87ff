import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { EventTypes, type CreatedIntegration, type InboundRejectedData } from '@kera/contracts';
import { NatsServer, eventually, startSystem, type RunningSystem } from '@kera/testing';
import { createIntegration, deliver, githubHeaders, pathOf } from './test-senders.spec';

jest.setTimeout(180_000);

const MAX_BYTES = 4096;

/** A JSON body of exactly `size` bytes. */
function bodyOf(size: number): string {
  const frame = JSON.stringify({ filler: '' });
  return JSON.stringify({ filler: 'x'.repeat(size - frame.length) });
}

/** POSTs a body in chunks without Content-Length, as a streaming sender would. */
function deliverChunked(
  system: RunningSystem,
  url: string,
  chunks: Buffer[],
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const outgoing = request(
      `${system.gatewayUrl}${pathOf(url)}`,
      { method: 'POST', headers },
      (response) => {
        const parts: Buffer[] = [];
        response.on('data', (part: Buffer) => parts.push(part));
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(parts).toString() }),
        );
      },
    );
    // The gateway may answer and close before the whole body is written.
    outgoing.on('error', reject);
    for (const chunk of chunks) outgoing.write(chunk);
    outgoing.end();
  });
}

describe('inbound body limit', () => {
  let system: RunningSystem;
  let github: CreatedIntegration;

  beforeAll(async () => {
    system = await startSystem({ extraEnv: { KERA_INBOUND_MAX_BYTES: String(MAX_BYTES) } });
    github = await createIntegration(system, { provider: 'github', name: 'limited' });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('accepts a body at the limit', async () => {
    const body = bodyOf(MAX_BYTES);
    const response = await deliver(system, github.url, body, githubHeaders(github.secret, body));

    expect(response.status).toBe(202);
  });

  it('refuses a body over the limit with 413, before verifying it', async () => {
    const body = bodyOf(MAX_BYTES + 1);
    const response = await deliver(system, github.url, body, githubHeaders(github.secret, body));

    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ status: 413, reason: 'body_too_large' });
  });

  /**
   * Sends a body far over the limit the whole time, as a sender that does not wait for an
   * answer, then reads the answer's head; `framing` is the header that says how the body is
   * framed, `frame` wraps each block the way that header says.
   */
  async function streamOverLimit(
    framing: string,
    frame: (block: Buffer) => Buffer,
    total: number,
  ): Promise<{ head: string; socket: Socket }> {
    const url = new URL(`${system.gatewayUrl}${pathOf(github.url)}`);
    const socket = connect(Number(url.port), url.hostname);
    const received: Buffer[] = [];
    socket.on('data', (part: Buffer) => received.push(part));
    const failure = new Promise<Error>((resolve) => socket.on('error', resolve));
    const closed = new Promise((resolve) => socket.once('close', resolve));

    socket.write(
      `POST ${url.pathname} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/json\r\n` +
        `X-GitHub-Event: push\r\nX-GitHub-Delivery: ${randomUUID()}\r\n${framing}\r\n\r\n`,
    );
    const block = frame(Buffer.alloc(MAX_BYTES, 'x'));
    for (let sent = 0; sent < total && !socket.destroyed; sent += MAX_BYTES) {
      if (!socket.write(block)) {
        await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), closed]);
      }
    }
    const head = await eventually(
      async () => {
        const text = Buffer.concat(received).toString('latin1');
        return text.includes('\r\n\r\n') ? text.slice(0, text.indexOf('\r\n\r\n')) : undefined;
      },
      10_000,
      'the answer',
    );
    socket.end();
    await Promise.race([closed, failure]);
    return { head, socket };
  }

  it('answers 413 to a sender still streaming a body announced over the limit, and keeps the connection', async () => {
    const announced = MAX_BYTES * 256;
    const { head, socket } = await streamOverLimit(
      `Content-Length: ${announced}`,
      (block) => block,
      announced,
    );

    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    // The whole body was read and discarded, so the connection was not closed under the sender.
    expect(head.toLowerCase()).not.toContain('connection: close');
    expect(socket.errored).toBeNull();
  });

  it('answers 413 to a sender still streaming a chunked body past the limit, and keeps the connection', async () => {
    const { head, socket } = await streamOverLimit(
      'Transfer-Encoding: chunked',
      (block) =>
        Buffer.concat([
          Buffer.from(`${block.length.toString(16)}\r\n`),
          block,
          Buffer.from('\r\n'),
        ]),
      MAX_BYTES * 256,
    );

    expect(head).toMatch(/^HTTP\/1\.1 413 /);
    // Read and discarded after the answer instead of closed under the sender, whose kernel
    // could otherwise drop the answer it had not read yet.
    expect(head.toLowerCase()).not.toContain('connection: close');
    expect(socket.errored).toBeNull();
  });

  it('refuses a body sent in chunks with 413 once it passes the limit', async () => {
    const body = Buffer.from(bodyOf(MAX_BYTES * 3));
    const chunks = [body.subarray(0, MAX_BYTES), body.subarray(MAX_BYTES)];
    const headers = { ...githubHeaders(github.secret, body), 'transfer-encoding': 'chunked' };

    const answer = await deliverChunked(system, github.url, chunks, headers);

    expect(answer.status).toBe(413);
  });

  it('records the refusal in the audit trail with the integration', async () => {
    const audited = await eventually(
      async () => {
        const page: any = await (
          await system.api(`/api/audit?type=${EventTypes.inboundRejected}&integration=${github.id}`)
        ).json();
        const payloads = (page.items ?? []).map((item: any) => item.payload as InboundRejectedData);
        return payloads.find((payload: InboundRejectedData) => payload.reason === 'body_too_large');
      },
      20_000,
      'the 413 in the audit trail',
    );

    expect(audited).toMatchObject({ status: 413, integration_id: github.id, provider: 'github' });
  });
});

describe('inbound webhooks while NATS is down', () => {
  let nats: NatsServer;
  let system: RunningSystem;

  beforeAll(async () => {
    nats = await NatsServer.start();
    system = await startSystem({ natsUrl: nats.url });
  });

  afterAll(async () => {
    // The environment's streams live on this server: it must run for the clean-up.
    await nats?.start();
    await system?.stop();
    await nats?.destroy();
  });

  it('answers 503 with Retry-After, and accepts the same delivery once NATS is back', async () => {
    const github = await createIntegration(system, { provider: 'github', name: 'outage' });
    const body = JSON.stringify({ zen: 'Approachable is better than simple.' });
    const headers = githubHeaders(github.secret, body, { delivery: randomUUID() });

    await nats.kill();
    const refused = await deliver(system, github.url, body, headers);

    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);

    await nats.start();
    const accepted = await eventually(
      async () => {
        const answer = await deliver(system, github.url, body, headers);
        return answer.status === 503 ? undefined : answer;
      },
      30_000,
      'the gateway to reach NATS again',
    );
    expect(accepted.status).toBe(202);
  });
});
