import { connect } from 'node:net';

/** What came back on a raw connection. */
export interface RawAnswer {
  /** Status of the first response, or null when the server closed or said nothing in time. */
  status: number | null;
  /** Its Content-Type, lower case ('' when absent). */
  contentType: string;
  /**
   * Whether the answer is a problem document of the application's own, rather
   * than the plain answer of the HTTP layer to a request it could not parse.
   */
  problem: boolean;
}

/**
 * How a request's bytes go out: all at once, or written in parts (a body cut
 * short and the write side closed, or a body much larger than announced).
 */
export type RawSend =
  | { kind: 'bytes'; bytes: Buffer }
  | { kind: 'stream'; head: Buffer; chunk: Buffer; chunks: number; thenEnd: boolean };

const HEADER_END = '\r\n\r\n';

/**
 * Sends bytes over a plain TCP connection and reads the first response's
 * status line and headers: for requests fetch() refuses to build (duplicate
 * or folded headers, lying lengths, bare garbage).
 */
export function sendRaw(port: number, send: RawSend, timeoutMs = 10_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
    let received = '';
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(parseHead(received));
    };
    const timer = setTimeout(finish, timeoutMs);

    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (hasFinalHead(received)) finish();
    });
    socket.on('end', finish);
    socket.on('close', finish);
    socket.on('error', finish);
    socket.on('connect', () => void write(socket, send));
  });
}

function hasFinalHead(received: string): boolean {
  const heads = received.split(HEADER_END).slice(0, -1);
  return heads.some((head) => /^HTTP\/1\.[01] [2-5]\d\d/.test(head));
}

async function write(socket: ReturnType<typeof connect>, send: RawSend): Promise<void> {
  if (send.kind === 'bytes') {
    socket.write(send.bytes);
    return;
  }
  socket.write(send.head);
  for (let sent = 0; sent < send.chunks && !socket.destroyed; sent += 1) {
    // Waits for the socket to drain, so that memory on this side stays small too.
    if (!socket.write(send.chunk)) await new Promise((resolve) => socket.once('drain', resolve));
  }
  if (send.thenEnd && !socket.destroyed) socket.end();
}

function parseHead(received: string): RawAnswer {
  // Interim answers (100 Continue) come first; the answer is the first final one.
  const heads = received.split(HEADER_END);
  const head = heads.find((candidate) => !/^HTTP\/1\.[01] 1\d\d/.test(candidate)) ?? '';
  const [statusLine = '', ...lines] = head.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine);
  const contentType =
    lines
      .find((line) => line.toLowerCase().startsWith('content-type:'))
      ?.slice('content-type:'.length)
      .trim()
      .toLowerCase() ?? '';
  return {
    status: match ? Number(match[1]) : null,
    contentType,
    problem: contentType.startsWith('application/problem+json'),
  };
}

/** An HTTP/1.1 request head (and body) built byte by byte, exactly as given. */
export function rawRequest(
  method: string,
  path: string,
  headers: readonly (readonly [string, string])[],
  body: Buffer = Buffer.alloc(0),
): Buffer {
  const lines = [
    `${method} ${path} HTTP/1.1`,
    ...headers.map(([name, value]) => `${name}: ${value}`),
  ];
  return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}
