import { UsageError } from '../errors';
import { text, type Command, type Context } from '../command';
import type { GatewayClient } from '../gateway-client';
import { show } from '../output';

interface AuditEntry {
  seq: number;
  time: string;
  type: string;
  ticket_id: string | null;
  integration_id: string | null;
  actor: string | null;
  event_id: string;
}

interface AuditPage {
  items: AuditEntry[];
  next: string | null;
}

const PAGE = 1000;
/** A bound on one read, in case entries arrive faster than they are read. */
const MAX_PAGES = 1000;
/** Windows tried, smallest first, to find the newest entries (the API pages oldest first). */
const FIRST_WINDOWS_MS = [5 * 60e3, 60 * 60e3, 24 * 60 * 60e3, 30 * 24 * 60 * 60e3, null];
/**
 * Follow mode asks again from this long before the newest entry printed:
 * entries are filtered by their event time, and one projected a little
 * late may carry an earlier time. An entry whose event time is older than
 * this when it reaches the audit store is not printed by a running tail.
 */
const OVERLAP_MS = 2 * 60 * 1000;

const tail: Command = {
  path: ['audit', 'tail'],
  args: [],
  summary: 'print the newest audit entries; --follow keeps printing new ones',
  options: {
    lines: { type: 'string', short: 'n', placeholder: '<n>', description: 'how many (default 20)' },
    follow: { type: 'boolean', short: 'f', description: 'poll for new entries until Ctrl-C' },
    interval: {
      type: 'string',
      placeholder: '<seconds>',
      description: 'how often --follow polls (default 2)',
    },
    since: { type: 'string', placeholder: '<time>', description: 'every entry from this ISO time' },
    ticket: { type: 'string', placeholder: '<id>', description: 'only this ticket' },
    type: { type: 'string', placeholder: '<type>', description: 'only this event type' },
    integration: { type: 'string', placeholder: '<id>', description: 'only this integration' },
    actor: { type: 'string', placeholder: '<who>', description: 'only this actor' },
  },
  help: 'With --json, one entry per line (NDJSON).\nExample: kera audit tail -n 50 --ticket KER-1 --follow',
  async run(context, { values }) {
    const lines = count(text(values, 'lines') ?? '20', '--lines', 1, 10_000);
    const interval = count(text(values, 'interval') ?? '2', '--interval', 1, 3600);
    const filters = {
      ticket: text(values, 'ticket'),
      type: text(values, 'type'),
      integration: text(values, 'integration'),
      actor: text(values, 'actor'),
    };
    const gateway = context.gateway();
    const since = text(values, 'since');

    let last = since
      ? await printFrom(context, gateway, filters, since)
      : await printNewest(context, gateway, filters, lines);

    while (values.follow && !context.signal.aborted) {
      await pause(interval * 1000, context.signal);
      if (context.signal.aborted) break;
      const from = last ? new Date(Date.parse(last.time) - OVERLAP_MS).toISOString() : undefined;
      for await (const page of pages(gateway, filters, from)) {
        const fresh = page.filter((entry) => !last || entry.seq > last.seq);
        print(context, fresh);
        last = fresh[fresh.length - 1] ?? last;
      }
    }
  },
};

const verify: Command = {
  path: ['audit', 'verify'],
  args: [],
  summary: 'check the audit hash chain; exit 1 when an entry was changed',
  async run(context) {
    const result = await context.gateway().request<{
      ok: boolean;
      entries: number;
      first_bad?: { seq: number; event_id: string; reason: string };
    }>('/api/audit/verify');
    if (context.json) context.io.out(`${JSON.stringify(result, null, 2)}\n`);
    else if (result.ok) context.io.out(`audit chain intact: ${result.entries} entries\n`);
    else {
      const bad = result.first_bad;
      context.io.out(
        `audit chain BROKEN after ${result.entries} good entries: ` +
          `seq ${bad?.seq} (event ${bad?.event_id}): ${bad?.reason}\n`,
      );
    }
    return result.ok ? 0 : 1;
  },
};

type Filters = Record<string, string | undefined>;

/** Pages of entries from `since` on, oldest first; at most MAX_PAGES pages. */
async function* pages(gateway: GatewayClient, filters: Filters, since?: string) {
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const body = await gateway.request<AuditPage>('/api/audit', {
      query: { ...filters, since, after, limit: PAGE },
    });
    yield body.items;
    if (!body.next) return;
    after = body.next;
  }
}

/** Prints every entry from `since` on, a page at a time; returns the last one. */
async function printFrom(
  context: Context,
  gateway: GatewayClient,
  filters: Filters,
  since: string,
) {
  let last: AuditEntry | undefined;
  for await (const page of pages(gateway, filters, since)) {
    print(context, page);
    last = page[page.length - 1] ?? last;
  }
  return last;
}

/**
 * Prints the newest `wanted` entries, found in the smallest recent window
 * that holds that many; only the newest are kept while reading.
 */
async function printNewest(
  context: Context,
  gateway: GatewayClient,
  filters: Filters,
  wanted: number,
) {
  let newest: AuditEntry[] = [];
  for (const windowMs of FIRST_WINDOWS_MS) {
    const since = windowMs === null ? undefined : new Date(Date.now() - windowMs).toISOString();
    newest = [];
    for await (const page of pages(gateway, filters, since)) {
      newest = [...newest, ...page].slice(-wanted);
    }
    if (newest.length >= wanted) break;
  }
  print(context, newest);
  return newest[newest.length - 1];
}

function print(context: Context, entries: AuditEntry[]): void {
  for (const entry of entries) {
    if (context.json) {
      context.io.out(`${JSON.stringify(entry)}\n`);
      continue;
    }
    const columns = [entry.seq, entry.time, entry.type, entry.ticket_id, entry.integration_id];
    context.io.out(`${columns.map(show).join('  ')}  ${show(entry.actor)}\n`);
  }
}

function count(value: string, name: string, min: number, max: number): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new UsageError(`${name} must be a whole number from ${min} to ${max}`);
  }
  return parsed;
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });
}

export const AUDIT_COMMANDS = [tail, verify];
