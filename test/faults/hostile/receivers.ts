import {
  createServer as createHttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import {
  createServer as createTcpServer,
  type AddressInfo,
  type Server,
  type Socket,
} from 'node:net';
import { gzipSync } from 'node:zlib';

/** How the dispatcher must record a delivery to a receiver (SPEC §5). */
export interface ExpectedOutcome {
  status: 'succeeded' | 'failed';
  /** The error class of a failed delivery. */
  errorClass?: string;
}

/** One send_webhook target and what its delivery must be recorded as. */
export interface HostileTarget {
  name: string;
  url: string;
  expect: ExpectedOutcome;
}

export interface HostileReceivers {
  targets: HostileTarget[];
  /** Requests that reached the page redirects point to: must stay 0 (never followed). */
  followedRedirects(): number;
  close(): Promise<void>;
}

const FAILED = (errorClass: string): ExpectedOutcome => ({ status: 'failed', errorClass });
const SUCCEEDED: ExpectedOutcome = { status: 'succeeded' };

/** Answers a request the way a hostile or broken receiver would. */
type HttpBehaviour = (request: IncomingMessage, response: ServerResponse) => void;
/** Talks raw TCP, below HTTP. */
type TcpBehaviour = (socket: Socket) => void;

/**
 * Receivers that misbehave in every way SPEC §9 names (tarpits, redirects to
 * private addresses, huge responses, resets) and more, each a real server on
 * 127.0.0.1, plus targets the private-address guard must refuse. With
 * KERA_OUTBOUND_ALLOW=127.0.0.1/32 only 127.0.0.1 itself may be reached.
 */
export async function startHostileReceivers(): Promise<HostileReceivers> {
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const track = <T extends Server>(server: T): T => {
    server.on('connection', (socket: Socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    servers.push(server);
    return server;
  };
  const http = async (behaviour: HttpBehaviour) => {
    const server = track(
      createHttpServer((request, response) => {
        request.resume();
        request.on('end', () => behaviour(request, response));
      }),
    );
    return `http://127.0.0.1:${await listen(server)}`;
  };
  const tcp = async (behaviour: TcpBehaviour) => {
    const server = track(
      createTcpServer({ allowHalfOpen: true }, (socket) => {
        // The dispatcher gives up on these sockets; that must not end this process.
        socket.on('error', () => undefined);
        behaviour(socket);
      }),
    );
    return `http://127.0.0.1:${await listen(server)}`;
  };

  let followed = 0;
  const landing = await http((_request, response) => {
    followed += 1;
    response.end('followed');
  });
  const healthyPort = Number(new URL(await http((_q, r) => r.end('ok'))).port);
  const closedPort = await closedPortNumber();

  const targets: HostileTarget[] = [
    { name: 'healthy', url: `http://127.0.0.1:${healthyPort}/ok`, expect: SUCCEEDED },
    {
      name: 'tarpit: accepts, never answers',
      url: await tcp(() => undefined),
      expect: FAILED('timeout'),
    },
    {
      name: 'tarpit: status line, then one header byte a second',
      url: await tcp((socket) => drip(socket, 'HTTP/1.1 200 OK\r\nX-Slow: ', 'a', 1000)),
      expect: FAILED('timeout'),
    },
    {
      name: 'tarpit: 200, then one body byte a second',
      url: await tcp((socket) =>
        drip(socket, 'HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n', 'b', 1000),
      ),
      expect: FAILED('timeout'),
    },
    {
      name: 'redirect 302 to another local page',
      url: await http((_q, r) => r.writeHead(302, { location: `${landing}/followed` }).end()),
      expect: FAILED('redirect'),
    },
    {
      name: 'redirect 307 to cloud metadata',
      url: await http((_q, r) =>
        r.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
      ),
      expect: FAILED('redirect'),
    },
    {
      name: 'redirect 301 to a private address',
      url: await http((_q, r) => r.writeHead(301, { location: 'http://10.0.0.1/admin' }).end()),
      expect: FAILED('redirect'),
    },
    {
      name: 'huge response: 1 GiB announced and streamed',
      url: await http((_q, r) => {
        r.writeHead(200, { 'content-length': String(1024 ** 3) });
        stream(r, 1024 ** 3);
      }),
      expect: SUCCEEDED,
    },
    {
      name: 'huge response: endless chunked body',
      url: await http((_q, r) => {
        r.writeHead(200, { 'content-type': 'text/plain' });
        stream(r, Number.POSITIVE_INFINITY);
      }),
      expect: SUCCEEDED,
    },
    {
      name: 'huge response: gzip bomb (100 MiB of zeros)',
      url: await http((_q, r) => r.writeHead(200, { 'content-encoding': 'gzip' }).end(GZIP_BOMB)),
      expect: SUCCEEDED,
    },
    {
      name: 'huge response headers (200 KB)',
      url: await http((_q, r) => r.writeHead(200, { 'x-big': 'h'.repeat(200_000) }).end('ok')),
      expect: { status: 'failed' },
    },
    {
      name: 'reset on connect',
      url: await tcp((socket) => socket.resetAndDestroy()),
      expect: FAILED('connection'),
    },
    {
      name: 'reset after reading the request',
      url: await tcp((socket) => socket.once('data', () => socket.resetAndDestroy())),
      expect: FAILED('connection'),
    },
    {
      name: 'closes in the middle of the headers',
      url: await tcp((socket) =>
        socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-')),
      ),
      expect: { status: 'failed' },
    },
    {
      name: 'answers something that is not HTTP',
      url: await tcp((socket) => socket.once('data', () => socket.end('hello there\r\n\r\n'))),
      expect: { status: 'failed' },
    },
    {
      name: 'status 500 with a body',
      url: await http((_q, r) => r.writeHead(500).end('boom')),
      expect: FAILED('http_status'),
    },
    {
      name: 'status 204, no body',
      url: await http((_q, r) => r.writeHead(204).end()),
      expect: SUCCEEDED,
    },
    {
      name: 'status 599',
      url: await tcp((socket) =>
        socket.once('data', () =>
          socket.end('HTTP/1.1 599 Odd\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'),
        ),
      ),
      expect: FAILED('http_status'),
    },
    {
      name: '103 Early Hints, then 200',
      url: await tcp((socket) =>
        socket.once('data', () =>
          socket.end(
            'HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok',
          ),
        ),
      ),
      expect: SUCCEEDED,
    },
    {
      name: 'connection refused',
      url: `http://127.0.0.1:${closedPort}/`,
      expect: FAILED('connection'),
    },
    {
      name: 'TLS to a plain HTTP port',
      url: `https://127.0.0.1:${healthyPort}/`,
      expect: FAILED('tls'),
    },
    ...privateTargets(healthyPort),
  ];

  return {
    targets,
    followedRedirects: () => followed,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
    },
  };
}

/** Targets the private-address guard must refuse without connecting. */
function privateTargets(port: number): HostileTarget[] {
  const refused = FAILED('refused_address');
  return [
    {
      name: 'private: another loopback address',
      url: `http://127.0.0.2:${port}/`,
      expect: refused,
    },
    { name: 'private: IPv6 loopback', url: `http://[::1]:${port}/`, expect: refused },
    {
      name: 'private: IPv4-mapped IPv6 loopback',
      url: `http://[::ffff:127.0.0.2]:${port}/`,
      expect: refused,
    },
    {
      name: 'private: decimal form of 127.0.0.2',
      url: `http://2130706434:${port}/`,
      expect: refused,
    },
    { name: 'private: unspecified 0.0.0.0', url: `http://0.0.0.0:${port}/`, expect: refused },
    {
      name: 'private: cloud metadata',
      url: 'http://169.254.169.254/latest/meta-data/',
      expect: refused,
    },
    { name: 'private: RFC 1918', url: 'http://10.1.2.3/hook', expect: refused },
  ];
}

const GZIP_BOMB = gzipSync(Buffer.alloc(100 * 1024 ** 2));
const BLOCK = Buffer.alloc(64 * 1024, 0x62);

/** Writes up to `bytes` as fast as the reader takes them, until it goes away. */
function stream(response: ServerResponse, bytes: number): void {
  let sent = 0;
  const more = () => {
    while (sent < bytes && !response.destroyed) {
      sent += BLOCK.length;
      if (!response.write(BLOCK)) return void response.once('drain', more);
    }
    if (!response.destroyed) response.end();
  };
  response.on('error', () => undefined);
  more();
}

/** Writes a head, then one byte per interval, forever or until the peer leaves. */
function drip(socket: Socket, head: string, byte: string, intervalMs: number): void {
  socket.once('data', () => {
    socket.write(head);
    const timer = setInterval(
      () => (socket.destroyed ? clearInterval(timer) : socket.write(byte)),
      intervalMs,
    );
    socket.on('close', () => clearInterval(timer));
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
  );
}

/** A port nothing listens on: bound once, then released. */
async function closedPortNumber(): Promise<number> {
  const server = createTcpServer();
  const port = await listen(server);
  await new Promise((resolve) => server.close(resolve));
  return port;
}
