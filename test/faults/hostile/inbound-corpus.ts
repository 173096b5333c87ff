import { randomBytes, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { rawRequest, type RawSend } from './raw-http';
import {
  authHeader,
  deliveryHeader,
  eventHeader,
  ordinaryBody,
  signedHeaders,
  type HeaderList,
  type InboundTarget,
  type Provider,
  type SignOptions,
} from './senders';

/** One malformed or hostile inbound request and the answers SPEC §4/§6 allow for it. */
export interface HostileCase {
  name: string;
  send: RawSend;
  /** Allowed statuses; null means the server may close without answering (a cut-short body). */
  expect: readonly (number | null)[];
  /** Sent as X-Correlation-Id, so that the event recording the request can be found. */
  correlationId: string;
  /** False when no inbound route handles the request (another method), so nothing is recorded. */
  routed: boolean;
}

const NOT_FOUND = [404];
const UNVERIFIED = [401];
const HEADER_OR_UNVERIFIED = [400, 401];
const UNREADABLE = [400];
const UNSUPPORTED = [415];
const ACCEPTED = [202];
const ACCEPTED_OR_UNREADABLE = [202, 400];

/** Changes a signed request's headers (the signature stays that of the body). */
type HeaderEdit = (headers: HeaderList) => HeaderList;

/** The corpus for one integration (about 110 cases); `bodyLimit` is KERA_INBOUND_MAX_BYTES. */
export function inboundCorpus(target: InboundTarget, bodyLimit: number): HostileCase[] {
  const build = new CaseBuilder(target);
  return [
    ...urlCases(build),
    ...methodCases(build),
    ...authenticationCases(build),
    ...providerAuthenticationCases(build),
    ...bodyCases(build),
    ...contentTypeCases(build),
    ...sizeCases(build, bodyLimit),
    ...framingCases(build),
    ...replayCases(build),
    ...headerTrickCases(build),
    ...encodingCases(build),
  ];
}

/**
 * Builds one integration's cases. Every request is signed afresh (its own
 * delivery id, so that no case is a duplicate of another by accident) and
 * carries the case's correlation id.
 */
class CaseBuilder {
  readonly provider: Provider;
  private count = 0;
  private correlationId = '';

  constructor(readonly target: InboundTarget) {
    this.provider = target.provider;
  }

  /** A case whose request is made by `make`, with the answers it may get. */
  kase(
    name: string,
    expect: readonly (number | null)[],
    make: () => RawSend,
    routed = true,
  ): HostileCase {
    this.count += 1;
    this.correlationId = `hostile-${this.provider}-${this.count}`;
    return { name, expect, send: make(), correlationId: this.correlationId, routed };
  }

  ordinary(extra: Record<string, unknown> = {}): Buffer {
    return Buffer.from(JSON.stringify({ ...ordinaryBody(this.provider), ...extra }), 'utf8');
  }

  signed(body: Buffer, options: SignOptions = {}): HeaderList {
    return signedHeaders(this.target, body, options);
  }

  /** The head of a request: request line, Host, Connection: close, correlation id, headers. */
  head(headers: HeaderList, method = 'POST', path = this.target.path): Buffer {
    return rawRequest(method, path, [...this.framing(), ...headers]);
  }

  /** A complete POST with its Content-Length. */
  post(headers: HeaderList, body: Buffer, path = this.target.path): RawSend {
    const head = this.head([...headers, ['Content-Length', String(body.length)]], 'POST', path);
    return { kind: 'bytes', bytes: Buffer.concat([head, body]) };
  }

  /** A correctly signed POST of `body`, its headers then edited. */
  signedPost(body: Buffer, options: SignOptions = {}, edit: HeaderEdit = (h) => h): RawSend {
    return this.post(edit(this.signed(body, options)), body);
  }

  /** The ordinary body, correctly signed, with one header set (or removed when null). */
  withHeader(name: string, value: string | null | ((current: string) => string)): RawSend {
    return this.signedPost(this.ordinary(), {}, (headers) => replaceHeader(headers, name, value));
  }

  /** Any bytes after the head, e.g. a lying Content-Length or a chunked body. */
  rawBody(headers: HeaderList, bytes: Buffer): RawSend {
    return { kind: 'bytes', bytes: Buffer.concat([this.head(headers), bytes]) };
  }

  pathParts(): { base: string; slug: string; token: string } {
    const [, , , slug = '', token = ''] = this.target.path.split('/');
    return { base: '/webhooks/inbound', slug, token };
  }

  private framing(): HeaderList {
    return [
      ['Host', '127.0.0.1'],
      ['Connection', 'close'],
      ['X-Correlation-Id', this.correlationId],
    ];
  }
}

function replaceHeader(
  headers: HeaderList,
  name: string,
  value: string | null | ((current: string) => string),
): HeaderList {
  const current = headers.find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1] ?? '';
  const kept = headers.filter(([key]) => key.toLowerCase() !== name.toLowerCase());
  if (value === null) return kept;
  return [...kept, [name, typeof value === 'function' ? value(current) : value]];
}

function urlCases(build: CaseBuilder): HostileCase[] {
  const { base, slug, token } = build.pathParts();
  const at = (name: string, path: string, expect = NOT_FOUND) =>
    build.kase(`url: ${name}`, expect, () => {
      const body = build.ordinary();
      return build.post(build.signed(body), body, path);
    });
  const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
  return [
    at('unknown slug', `${base}/no-such-slug-${randomUUID().slice(0, 8)}/${token}`),
    at('wrong token', `${base}/${slug}/${flipped}`),
    at('token one character longer', `${base}/${slug}/${token}x`),
    at('missing token', `${base}/${slug}`),
    at('empty token', `${base}/${slug}/`),
    at('extra path segment', `${base}/${slug}/${token}/extra`),
    at('trailing slash', `${base}/${slug}/${token}/`),
    at('5,000-character slug', `${base}/${'s'.repeat(5000)}/${token}`),
    at('5,000-character token', `${base}/${slug}/${'t'.repeat(5000)}`),
    at('dot segments', `${base}/../../api/tickets/${slug}/${token}`),
    at('double slash', `${base}//${slug}/${token}`),
    at('upper-case token', `${base}/${slug}/${token.toUpperCase()}`),
    at('percent-encoded accent in the slug', `${base}/${slug}%C3%A9/${token}`),
    at('encoded NUL in the slug', `${base}/${slug}%00/${token}`),
    at('query string on the right URL', `${base}/${slug}/${token}?debug=1&x=%ff`, ACCEPTED),
  ];
}

function methodCases(build: CaseBuilder): HostileCase[] {
  return ['GET', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'].map((method) =>
    build.kase(
      `method: ${method} on the inbound URL`,
      [404, 405],
      () => {
        const body = build.ordinary();
        const head = build.head(
          [...build.signed(body), ['Content-Length', String(body.length)]],
          method,
        );
        return { kind: 'bytes', bytes: Buffer.concat([head, body]) };
      },
      false,
    ),
  );
}

function authenticationCases(build: CaseBuilder): HostileCase[] {
  const auth = authHeader(build.provider);
  const otherSecret =
    build.provider === 'generic'
      ? `whsec_${randomBytes(24).toString('base64')}`
      : `${build.target.secret.slice(0, -4)}zzzz`;
  return [
    build.kase('auth: no signature or token', UNVERIFIED, () => build.withHeader(auth, null)),
    build.kase('auth: empty signature or token', UNVERIFIED, () => build.withHeader(auth, '')),
    build.kase('auth: signed with another secret', UNVERIFIED, () =>
      build.signedPost(build.ordinary(), { secret: otherSecret }),
    ),
    build.kase(
      'auth: signature of another body',
      build.provider === 'gitlab' ? ACCEPTED : UNVERIFIED,
      () => {
        const body = build.ordinary();
        return build.signedPost(body, { signedBytes: Buffer.concat([body, Buffer.from(' ')]) });
      },
    ),
    build.kase('auth: 10 KB signature or token', HEADER_OR_UNVERIFIED, () =>
      build.withHeader(auth, 'a'.repeat(10_000)),
    ),
    // Node joins a repeated header with ", "; the joined value holds the valid one.
    build.kase('auth: the valid signature or token sent twice', [202, 400, 401], () =>
      build.signedPost(build.ordinary(), {}, (headers) => [
        ...headers,
        [auth, headers.find(([name]) => name === auth)?.[1] ?? ''],
      ]),
    ),
    build.kase('auth: one character of the signature or token changed', UNVERIFIED, () =>
      build.withHeader(auth, (current) => replaceMiddle(current, (c) => (c === 'a' ? 'b' : 'a'))),
    ),
    build.kase(
      'auth: a Unicode look-alike inside the signature or token',
      HEADER_OR_UNVERIFIED,
      () => build.withHeader(auth, (current) => replaceMiddle(current, () => '\u00e9')),
    ),
  ];
}

function providerAuthenticationCases(build: CaseBuilder): HostileCase[] {
  if (build.provider === 'github') {
    const hub = 'X-Hub-Signature-256';
    const hex = (current: string) => current.slice('sha256='.length);
    return [
      build.kase('auth: sha1= prefix', UNVERIFIED, () =>
        build.withHeader(hub, (current) => `sha1=${hex(current)}`),
      ),
      build.kase('auth: bare hex, no prefix', UNVERIFIED, () => build.withHeader(hub, hex)),
      build.kase('auth: prefix only', UNVERIFIED, () => build.withHeader(hub, 'sha256=')),
      build.kase('auth: upper-case hex', [202, 401], () =>
        build.withHeader(hub, (current) => `sha256=${hex(current).toUpperCase()}`),
      ),
      build.kase('auth: only the old sha1 X-Hub-Signature', UNVERIFIED, () =>
        build.signedPost(build.ordinary(), {}, (headers) => [
          ...replaceHeader(headers, hub, null),
          ['X-Hub-Signature', `sha1=${'0'.repeat(40)}`],
        ]),
      ),
    ];
  }
  if (build.provider === 'gitlab') {
    const secret = build.target.secret;
    return [
      build.kase('auth: token prefix', UNVERIFIED, () =>
        build.withHeader('X-Gitlab-Token', secret.slice(0, 8)),
      ),
      build.kase('auth: token plus a character', UNVERIFIED, () =>
        build.withHeader('X-Gitlab-Token', `${secret}x`),
      ),
      build.kase(
        'auth: a wrong Standard Webhooks signature beside the right token',
        [202, 401],
        () =>
          build.signedPost(build.ordinary(), {}, (headers) => [
            ...headers,
            ['webhook-id', randomUUID()],
            ['webhook-timestamp', String(Math.floor(Date.now() / 1000))],
            ['webhook-signature', 'v1,AAAA'],
          ]),
      ),
    ];
  }
  const now = Math.floor(Date.now() / 1000);
  return [
    build.kase('auth: signed ten minutes ago', UNVERIFIED, () =>
      build.signedPost(build.ordinary(), { timestampSeconds: now - 600 }),
    ),
    build.kase('auth: signed ten minutes ahead', UNVERIFIED, () =>
      build.signedPost(build.ordinary(), { timestampSeconds: now + 600 }),
    ),
    build.kase('auth: timestamp not a number', HEADER_OR_UNVERIFIED, () =>
      build.withHeader('webhook-timestamp', 'yesterday'),
    ),
    build.kase('auth: timestamp 1e20', HEADER_OR_UNVERIFIED, () =>
      build.withHeader('webhook-timestamp', '100000000000000000000'),
    ),
    build.kase('auth: negative timestamp', HEADER_OR_UNVERIFIED, () =>
      build.withHeader('webhook-timestamp', '-1'),
    ),
    build.kase('auth: v2 signature scheme', UNVERIFIED, () =>
      build.withHeader('webhook-signature', (current) => current.replace('v1,', 'v2,')),
    ),
    build.kase('auth: a bad and a good signature in one header', ACCEPTED, () =>
      build.withHeader('webhook-signature', (current) => `v1,AAAA ${current}`),
    ),
    build.kase('auth: no webhook-id', HEADER_OR_UNVERIFIED, () =>
      build.withHeader('webhook-id', null),
    ),
  ];
}

function bodyCases(build: CaseBuilder): HostileCase[] {
  const text = (value: string) => Buffer.from(value, 'utf8');
  const ordinary = build.ordinary().toString('utf8');
  const withField = (json: string) => text(ordinary.replace(/}$/, `,${json}}`));
  const between = (bytes: number[]) =>
    Buffer.concat([text('{"type":"'), Buffer.from(bytes), text('"}')]);
  const signedBody = (name: string, body: Buffer, expect: readonly number[]) =>
    build.kase(`body: ${name}`, expect, () => build.signedPost(body));
  const manyKeys = Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i]));
  return [
    signedBody('empty', Buffer.alloc(0), UNREADABLE),
    signedBody('JSON cut in the middle', text(ordinary.slice(0, ordinary.length / 2)), UNREADABLE),
    signedBody('plain text', text('hello, webhook'), UNREADABLE),
    signedBody('JSON with trailing garbage', text(`${ordinary} trailing`), UNREADABLE),
    signedBody('JSON with a comment', text(`/* c */ ${ordinary}`), UNREADABLE),
    signedBody('NaN literal', text('{"type": NaN}'), UNREADABLE),
    signedBody('invalid UTF-8 bytes', between([0xff, 0xfe]), UNREADABLE),
    signedBody('overlong UTF-8 slash', between([0xc0, 0xaf]), UNREADABLE),
    signedBody('encoded lone surrogate bytes', between([0xed, 0xa0, 0x80]), UNREADABLE),
    signedBody(
      'UTF-16LE with a byte order mark',
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(ordinary, 'utf16le')]),
      UNREADABLE,
    ),
    signedBody(
      'UTF-8 byte order mark before the JSON',
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text(ordinary)]),
      ACCEPTED_OR_UNREADABLE,
    ),
    signedBody('a JSON array at the top', text(`[${ordinary}]`), ACCEPTED_OR_UNREADABLE),
    signedBody('a JSON number at the top', text('42'), ACCEPTED_OR_UNREADABLE),
    signedBody('JSON null', text('null'), ACCEPTED_OR_UNREADABLE),
    signedBody(
      '50,000 nested arrays',
      text('['.repeat(50_000) + ']'.repeat(50_000)),
      ACCEPTED_OR_UNREADABLE,
    ),
    signedBody('50,000 keys', build.ordinary(manyKeys), ACCEPTED_OR_UNREADABLE),
    signedBody(
      'NUL characters in a string',
      withField('"note":"a\\u0000b"'),
      ACCEPTED_OR_UNREADABLE,
    ),
    signedBody('an escaped lone surrogate', withField('"note":"\\ud800"'), ACCEPTED_OR_UNREADABLE),
    signedBody(
      '__proto__ and constructor keys',
      withField('"__proto__":{"admin":true},"constructor":{"prototype":{"x":1}}'),
      ACCEPTED,
    ),
    signedBody('duplicate keys', withField('"dup":"a","dup":"b"'), ACCEPTED),
    signedBody(
      'a number of 400 digits',
      withField(`"n":1${'0'.repeat(400)}`),
      ACCEPTED_OR_UNREADABLE,
    ),
    signedBody('a 900 KB string', build.ordinary({ note: 'x'.repeat(900 * 1024) }), ACCEPTED),
    signedBody(
      'right-to-left and zero-width characters',
      build.ordinary({ note: '\u202eevil\u200b\ufeff' }),
      ACCEPTED,
    ),
    signedBody('emoji and astral characters', build.ordinary({ note: '🦄𝕏\u{10ffff}' }), ACCEPTED),
  ];
}

function contentTypeCases(build: CaseBuilder): HostileCase[] {
  const typed = (name: string, contentType: string, expect: readonly number[]) =>
    build.kase(`content type: ${name}`, expect, () =>
      build.signedPost(build.ordinary(), { contentType }),
    );
  const formCase = (name: string, payload: (json: string) => string, expect: readonly number[]) =>
    build.kase(`content type: ${name}`, build.provider === 'github' ? expect : UNSUPPORTED, () =>
      build.signedPost(Buffer.from(payload(build.ordinary().toString()), 'latin1'), {
        contentType: 'application/x-www-form-urlencoded',
      }),
    );
  return [
    build.kase('content type: missing', UNSUPPORTED, () =>
      build.signedPost(build.ordinary(), {}, (headers) =>
        replaceHeader(headers, 'Content-Type', null),
      ),
    ),
    typed('text/plain', 'text/plain', UNSUPPORTED),
    typed('application/xml', 'application/xml', UNSUPPORTED),
    typed('multipart/form-data', 'multipart/form-data; boundary=x', UNSUPPORTED),
    typed('JSON in UTF-16', 'application/json; charset=utf-16', UNSUPPORTED),
    typed('JSON in Latin-1', 'application/json; charset=iso-8859-1', UNSUPPORTED),
    typed('charset named twice', 'application/json; charset=utf-8; charset=utf-8', UNSUPPORTED),
    typed('upper case', 'APPLICATION/JSON', ACCEPTED),
    typed('quoted UTF-8 charset', 'application/json; charset="UTF-8"', ACCEPTED),
    typed('a list of two types', 'application/json, text/plain', [400, 415]),
    typed('5,000 characters', `application/json; x=${'y'.repeat(5000)}`, [202, 400, 415]),
    typed('vendor JSON type', 'application/vnd.github+json', UNSUPPORTED),
    // Node keeps the first of two Content-Type headers.
    build.kase('content type: sent twice', [202, 400, 415], () =>
      build.signedPost(build.ordinary(), {}, (headers) => [
        ...headers,
        ['Content-Type', 'text/plain'],
      ]),
    ),
    formCase(
      'form with the JSON in payload',
      (json) => `payload=${encodeURIComponent(json)}`,
      ACCEPTED,
    ),
    formCase('form without payload', () => 'other=1', UNREADABLE),
    formCase('form with a broken percent escape', () => 'payload=%7B%ZZ', UNREADABLE),
    formCase(
      'form with payload twice',
      (json) => `payload=${encodeURIComponent(json)}&payload=x`,
      ACCEPTED_OR_UNREADABLE,
    ),
    formCase('form whose payload is not JSON', () => 'payload=hello', UNREADABLE),
  ];
}

function sizeCases(build: CaseBuilder, bodyLimit: number): HostileCase[] {
  const stream = (length: HeaderList, chunk: Buffer, chunks: number): RawSend => {
    const body = build.ordinary();
    return {
      kind: 'stream',
      head: build.head([...build.signed(body), ...length]),
      chunk,
      chunks,
      thenEnd: true,
    };
  };
  const block = Buffer.alloc(64 * 1024, 0x61);
  const chunkedBlock = Buffer.concat([Buffer.from('10000\r\n'), block, Buffer.from('\r\n')]);
  return [
    build.kase('size: signed body one byte over the limit', [413], () =>
      build.signedPost(build.ordinary({ pad: 'p'.repeat(bodyLimit) })),
    ),
    // A sender that keeps pushing 50 MiB while asking for the connection to be closed after
    // the answer (every request here says `Connection: close`): the gateway answers 413 once
    // the limit is passed, and Node closes the connection after the answer as asked. The data
    // still arriving then makes the kernel reset the connection, and a sender that had not
    // read the answer yet loses it: either outcome is right, never a 5xx, never a crash. With
    // a kept-alive connection the 413 always arrives (the strict checks of both framings are
    // in inbound-limits.int.spec.ts).
    build.kase('size: 50 MiB announced and streamed', [413, null], () =>
      stream([['Content-Length', String(50 * 1024 ** 2)]], block, 800),
    ),
    build.kase('size: 50 MiB chunked, no length announced', [413, null], () =>
      stream([['Transfer-Encoding', 'chunked']], chunkedBlock, 800),
    ),
    build.kase('size: 1 MiB announced, nothing sent, closed', [400, null], () =>
      stream([['Content-Length', String(1024 ** 2)]], Buffer.alloc(0), 0),
    ),
  ];
}

function framingCases(build: CaseBuilder): HostileCase[] {
  const framed = (
    name: string,
    expect: readonly (number | null)[],
    make: (body: Buffer) => [HeaderList, Buffer],
  ) =>
    build.kase(`framing: ${name}`, expect, () => {
      const body = build.ordinary();
      const [extra, bytes] = make(body);
      return build.rawBody([...build.signed(body), ...extra], bytes);
    });
  const chunked = (size: string, body: Buffer) =>
    Buffer.concat([Buffer.from(`${size}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
  const te = (value: string): HeaderList => [['Transfer-Encoding', value]];
  return [
    framed('body cut short, then the connection closed', [400, null], (body) => [
      [['Content-Length', String(body.length + 500)]],
      body,
    ]),
    framed('shorter length than the body', [400, 401], (body) => [
      [['Content-Length', String(body.length - 5)]],
      body,
    ]),
    framed('valid chunked body', ACCEPTED, (body) => [
      te('chunked'),
      chunked(body.length.toString(16), body),
    ]),
    framed('chunk size not hex', UNREADABLE, (body) => [te('chunked'), chunked('zz', body)]),
    framed('chunk size larger than the chunk', [400, null], (body) => [
      te('chunked'),
      chunked('ffff', body),
    ]),
    framed('Content-Length and Transfer-Encoding together', UNREADABLE, (body) => [
      [['Content-Length', String(body.length)], ...te('chunked')],
      chunked(body.length.toString(16), body),
    ]),
    framed('negative Content-Length', UNREADABLE, (body) => [[['Content-Length', '-1']], body]),
    framed('Content-Length not a number', UNREADABLE, (body) => [
      [['Content-Length', 'abc']],
      body,
    ]),
    framed('two different Content-Lengths', UNREADABLE, (body) => [
      [
        ['Content-Length', String(body.length)],
        ['Content-Length', '3'],
      ],
      body,
    ]),
    framed('Transfer-Encoding gzip, chunked', [202, 400, 415], (body) => [
      te('gzip, chunked'),
      chunked(body.length.toString(16), body),
    ]),
  ];
}

function replayCases(build: CaseBuilder): HostileCase[] {
  const deliveryId = randomUUID();
  const body = build.ordinary();
  const now = Math.floor(Date.now() / 1000);
  const cases = [
    build.kase('replay: first delivery', ACCEPTED, () => build.signedPost(body, { deliveryId })),
    build.kase('replay: the same request again', [200], () =>
      build.signedPost(body, { deliveryId }),
    ),
    build.kase('replay: same delivery id, another signed body', [200], () =>
      build.signedPost(build.ordinary({ replayed: true }), { deliveryId }),
    ),
    build.kase('replay: empty delivery id', HEADER_OR_UNVERIFIED, () =>
      build.withHeader(deliveryHeader(build.provider), ''),
    ),
    build.kase('replay: 300-character delivery id', HEADER_OR_UNVERIFIED, () =>
      build.signedPost(body, { deliveryId: 'd'.repeat(300) }),
    ),
  ];
  if (build.provider === 'generic') {
    cases.push(
      build.kase('replay: same id re-signed ten minutes late', UNVERIFIED, () =>
        build.signedPost(body, { deliveryId, timestampSeconds: now - 600 }),
      ),
    );
  }
  return cases;
}

function headerTrickCases(build: CaseBuilder): HostileCase[] {
  const auth = authHeader(build.provider);
  const trick = (name: string, expect: readonly (number | null)[], edit: HeaderEdit) =>
    build.kase(`headers: ${name}`, expect, () => build.signedPost(build.ordinary(), {}, edit));
  const adding =
    (extra: HeaderList): HeaderEdit =>
    (headers) => [...headers, ...extra];
  const junk = Array.from({ length: 200 }, (_, i): [string, string] => [`X-Junk-${i}`, 'v']);
  const cases = [
    trick('names in odd case', ACCEPTED, (headers) =>
      headers.map(([name, v]) => [oddCase(name), v]),
    ),
    trick('signature surrounded by spaces', [202, 400, 401], (headers) =>
      replaceHeader(headers, auth, (current) => `  ${current}  `),
    ),
    trick('signature folded over two lines', [400, 401], (headers) =>
      replaceHeader(headers, auth, (current) => `${current.slice(0, 10)}\r\n ${current.slice(10)}`),
    ),
    trick('NUL byte in the signature', [400, 401], (headers) =>
      replaceHeader(headers, auth, (current) => `${current}\u0000`),
    ),
    trick('a header name with a space', UNREADABLE, adding([['X Evil', '1']])),
    trick('200 junk headers', [202, 431], adding(junk)),
    trick('40 KB of headers', [400, 431], adding([['X-Big', 'b'.repeat(40_000)]])),
    trick(
      'forged X-Forwarded-For',
      ACCEPTED,
      adding([['X-Forwarded-For', '203.0.113.9, 10.0.0.1']]),
    ),
    trick('Expect 100-continue', ACCEPTED, adding([['Expect', '100-continue']])),
    trick('Upgrade to websocket', [202, 400], adding([['Upgrade', 'websocket']])),
    build.kase('headers: HTTP/1.0 request', ACCEPTED, () => {
      const body = build.ordinary();
      const sent = build.post(build.signed(body), body);
      const bytes = sent.kind === 'bytes' ? sent.bytes.toString('latin1') : '';
      return {
        kind: 'bytes',
        bytes: Buffer.from(bytes.replace(' HTTP/1.1\r\n', ' HTTP/1.0\r\n'), 'latin1'),
      };
    }),
    build.kase('headers: not HTTP at all', [400, null], () => ({
      kind: 'bytes',
      bytes: Buffer.from('\u0016\u0003\u0001garbage\r\n\r\n', 'latin1'),
    })),
  ];
  const event = eventHeader(build.provider);
  if (event) {
    cases.push(
      trick('no event name', UNREADABLE, (headers) => replaceHeader(headers, event, null)),
      trick('300-character event name', UNREADABLE, (headers) =>
        replaceHeader(headers, event, 'e'.repeat(300)),
      ),
      trick('event name sent twice', [202, 400], (headers) => [...headers, [event, 'push']]),
      trick('event name with Unicode', ACCEPTED_OR_UNREADABLE, (headers) =>
        replaceHeader(headers, event, 'pushé'),
      ),
    );
  }
  if (build.provider === 'github') {
    cases.push(
      build.kase('headers: ping event', [200], () =>
        build.signedPost(build.ordinary(), { event: 'ping' }),
      ),
    );
  }
  return cases;
}

function encodingCases(build: CaseBuilder): HostileCase[] {
  const encoded = (name: string, bytes: () => Buffer, encoding: string, expect = [400, 415]) =>
    build.kase(`encoding: ${name}`, expect, () =>
      build.signedPost(bytes(), {}, (headers) => [...headers, ['Content-Encoding', encoding]]),
    );
  return [
    encoded('gzip body, signature over the gzip bytes', () => gzipSync(build.ordinary()), 'gzip'),
    encoded('gzip bomb (20 MiB of zeros)', () => gzipSync(Buffer.alloc(20 * 1024 ** 2)), 'gzip'),
    encoded('brotli claimed, garbage sent', () => Buffer.from('not brotli at all'), 'br'),
    encoded('gzip claimed, plain JSON sent', () => build.ordinary(), 'gzip', [202, 400, 415]),
    build.kase('encoding: every letter as a \\u escape', ACCEPTED_OR_UNREADABLE, () =>
      build.signedPost(
        Buffer.from(
          build
            .ordinary()
            .toString()
            .replace(/[a-z]/g, (c) => `\\u00${c.charCodeAt(0).toString(16)}`),
        ),
      ),
    ),
  ];
}

/** The value with its middle character replaced. */
function replaceMiddle(value: string, by: (character: string) => string): string {
  const middle = Math.floor(value.length / 2);
  return value.slice(0, middle) + by(value.charAt(middle)) + value.slice(middle + 1);
}

function oddCase(name: string): string {
  return [...name].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');
}
