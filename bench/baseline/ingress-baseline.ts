import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type JetStreamClient } from 'nats';

/** Where the baseline stores what it accepts and the secret it verifies with. */
export interface IngressBaselineOptions {
  natsUrl: string;
  /** A subject a JetStream stream captures. */
  subject: string;
  secret: string;
}

export interface IngressBaseline {
  port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 25 * 1024 * 1024;
const SIGNATURE = /^sha256=([0-9a-f]{64})$/;

/**
 * The ingress baseline of SPEC section 9: a bare node:http server that does what the gateway
 * must do at the least for a GitHub webhook (read the raw body, check X-Hub-Signature-256 with
 * HMAC-SHA256 and timingSafeEqual, store the body in JetStream with X-GitHub-Delivery as
 * Nats-Msg-Id, answer 202 once stored) and nothing else. Listens on 127.0.0.1, any free port.
 */
export async function startIngressBaseline(
  options: IngressBaselineOptions,
): Promise<IngressBaseline> {
  // The same connection options as the services: no stack trace per request.
  const nc = await connect({ servers: options.natsUrl, noAsyncTraces: true });
  const js = nc.jetstream();

  const server = createServer((request, response) => {
    readBody(request)
      .then((body) => handle(js, options, request, body))
      .then(([status, answer]) => respond(response, status, answer))
      .catch(() => respond(response, 500, { error: 'internal error' }));
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await nc.drain();
    },
  };
}

async function handle(
  js: JetStreamClient,
  options: IngressBaselineOptions,
  request: IncomingMessage,
  body: Buffer | null,
): Promise<[number, object]> {
  if (body === null) return [413, { error: 'body too large' }];
  const delivery = request.headers['x-github-delivery'];
  const signature = request.headers['x-hub-signature-256'];
  if (typeof delivery !== 'string' || !verified(signature, body, options.secret)) {
    return [401, { error: 'not verified' }];
  }
  await js.publish(options.subject, body, { msgID: delivery });
  return [202, { delivery_id: delivery }];
}

function verified(header: unknown, body: Buffer, secret: string): boolean {
  const hex = typeof header === 'string' ? SIGNATURE.exec(header)?.[1] : undefined;
  if (hex === undefined) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(Buffer.from(hex, 'hex'), expected);
}

/** The whole body, or null once it grows past the limit. */
function readBody(request: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.once('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks) : null));
    request.once('error', reject);
  });
}

function respond(response: ServerResponse, status: number, answer: object): void {
  const text = JSON.stringify(answer);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
