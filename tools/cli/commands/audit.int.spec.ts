import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { run } from '../main';
import type { Output } from '../output';

interface Entry {
  seq: number;
  time: string;
  type: string;
  ticket_id: string | null;
  integration_id: null;
  actor: null;
  event_id: string;
}

/**
 * A stand-in for the gateway's `GET /api/audit` with its paging rules:
 * oldest first, `since` on the event time, an opaque `after` cursor, `next`
 * only while more entries follow.
 */
function auditApi(entries: Entry[]) {
  const requests: URLSearchParams[] = [];
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(url.searchParams);
    const since = url.searchParams.get('since');
    const after = Number(
      Buffer.from(url.searchParams.get('after') ?? '', 'base64url').toString() || 0,
    );
    const limit = Number(url.searchParams.get('limit') ?? 100);
    const matching = entries.filter(
      (entry) => entry.seq > after && (!since || entry.time >= since),
    );
    const items = matching.slice(0, limit);
    const last = items[items.length - 1];
    const next =
      matching.length > limit && last ? Buffer.from(String(last.seq)).toString('base64url') : null;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ items, next }));
  });
  return { server, requests };
}

function entry(seq: number, time: Date, ticket = 'KER-1'): Entry {
  return {
    seq,
    time: time.toISOString(),
    type: 'kera.ticket.updated',
    ticket_id: ticket,
    integration_id: null,
    actor: null,
    event_id: `evt-${seq}`,
  };
}

function capture(): Output & { text: () => string } {
  let out = '';
  return { out: (text) => (out += text), err: () => undefined, text: () => out };
}

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000);

describe('kera audit tail against the audit API', () => {
  const entries: Entry[] = [];
  const api = auditApi(entries);
  let url: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => api.server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => api.server.close(resolve));
  });

  beforeEach(() => {
    entries.splice(0);
    api.requests.splice(0);
  });

  const tail = (args: string[], signal?: AbortSignal) => {
    const io = capture();
    const done = run(['audit', 'tail', '--url', url, '--token', 'test-token-0123456789', ...args], {
      io,
      env: {},
      signal,
    });
    return { io, done };
  };

  it('prints the newest entries even when they are days old', async () => {
    for (let seq = 1; seq <= 10; seq += 1) entries.push(entry(seq, minutesAgo(3 * 24 * 60 - seq)));

    const { io, done } = tail(['-n', '3']);

    expect(await done).toBe(0);
    expect(
      io
        .text()
        .split('\n')
        .filter(Boolean)
        .map((line) => Number(line.split(' ')[0])),
    ).toEqual([8, 9, 10]);
  });

  it('keeps the newest entries of a window that spans several pages', async () => {
    for (let seq = 1; seq <= 2500; seq += 1) entries.push(entry(seq, minutesAgo(1)));

    const { io, done } = tail(['-n', '3']);

    expect(await done).toBe(0);
    expect(
      io
        .text()
        .split('\n')
        .filter(Boolean)
        .map((line) => Number(line.split(' ')[0])),
    ).toEqual([2498, 2499, 2500]);
    expect(api.requests).toHaveLength(3);
  });

  it('reads every page from --since', async () => {
    for (let seq = 1; seq <= 2500; seq += 1) entries.push(entry(seq, minutesAgo(30)));

    const { io, done } = tail(['--since', minutesAgo(60).toISOString(), '--json']);

    expect(await done).toBe(0);
    const printed = io
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line).seq);
    expect(printed).toHaveLength(2500);
    expect(printed[2499]).toBe(2500);
    expect(api.requests.filter((query) => query.has('after'))).toHaveLength(2);
  });

  it('follows new entries once each, also one stamped a little earlier, until stopped', async () => {
    entries.push(entry(1, minutesAgo(1)), entry(2, minutesAgo(0.5)));
    const stop = new AbortController();

    const { io, done } = tail(['-n', '5', '-f', '--interval', '1'], stop.signal);
    await waitFor(() => io.text().split('\n').filter(Boolean).length >= 2);
    entries.push(entry(3, new Date()), entry(4, minutesAgo(1.5), 'KER-2'));
    await waitFor(() => io.text().includes('KER-2'));
    await waitFor(() => api.requests.length >= 4);
    stop.abort();

    expect(await done).toBe(0);
    const seqs = io
      .text()
      .split('\n')
      .filter(Boolean)
      .map((line) => Number(line.split(' ')[0]));
    expect(seqs).toEqual([1, 2, 3, 4]);
  });

  it('filters by ticket and rejects a bad line count before asking anything', async () => {
    const bad = tail(['-n', '0']);
    expect(await bad.done).toBe(2);
    expect(api.requests).toHaveLength(0);

    entries.push(entry(1, minutesAgo(1)));
    const filtered = tail(['--ticket', 'KER-9']);
    expect(await filtered.done).toBe(0);
    expect(api.requests.every((query) => query.get('ticket') === 'KER-9')).toBe(true);
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
