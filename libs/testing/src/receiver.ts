import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

export interface Receiver {
  url: string;
  requests: ReceivedRequest[];
  /** Resolves once at least `count` requests arrived, or rejects after the timeout. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedRequest[]>;
  close(): Promise<void>;
}

export type ReceiverBehaviour = (request: ReceivedRequest, response: ServerResponse) => void;

const answerOk: ReceiverBehaviour = (_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
};

/** A real HTTP server on 127.0.0.1 that records every request it gets. */
export async function startReceiver(behaviour: ReceiverBehaviour = answerOk): Promise<Receiver> {
  const requests: ReceivedRequest[] = [];
  const waiters: (() => void)[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const request: ReceivedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        at: Date.now(),
      };
      requests.push(request);
      waiters.splice(0).forEach((wake) => wake());
      behaviour(request, res);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  const waitFor = (count: number, timeoutMs = 15_000) =>
    new Promise<ReceivedRequest[]>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`receiver got ${requests.length} of ${count} requests in ${timeoutMs} ms`),
          ),
        timeoutMs,
      );
      const check = () => {
        if (requests.length >= count) {
          clearTimeout(timer);
          resolve(requests);
        } else {
          waiters.push(check);
        }
      };
      check();
    });

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    waitFor,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
