import { Client } from 'pg';
import { MemorySampler, startSystem, type RunningSystem } from '@kera/testing';
import { startHostileReceivers, type HostileReceivers } from './hostile/receivers';
import { serviceUrls, waitForDrain } from './support/fault-run';
import { formatTable, report } from './support/table';

/** Transitions through the hostile actions (each sends one POST to every target). */
const ROUNDS = 4;
/** The deadline of every hostile action (a tarpit costs this much and no more). */
const ACTION_TIMEOUT_MS = 2000;
/** SPEC §9: each service under 200 MB RSS. */
const RSS_LIMIT_BYTES = 200 * 1024 ** 2;

jest.setTimeout(15 * 60_000);

interface Recorded {
  action_index: number;
  status: string;
  error_class: string | null;
  status_code: number | null;
  /** Characters kept of the response (bytes that are not UTF-8 become U+FFFD). */
  response_chars: number;
}

describe('hostile receivers against the real dispatcher', () => {
  let receivers: HostileReceivers;
  let system: RunningSystem;

  beforeAll(async () => {
    receivers = await startHostileReceivers();
    // Only 127.0.0.1 itself may be reached: every other private target must be refused.
    system = await startSystem({ extraEnv: { KERA_OUTBOUND_ALLOW: '127.0.0.1/32' } });
  });

  afterAll(async () => {
    await system?.stop();
    await receivers?.close();
  });

  it('records every delivery as specified, follows no redirect, never crashes, memory bounded', async () => {
    const { targets } = receivers;
    await putWorkflow(
      system,
      targets.map((target) => target.url),
    );
    const memory = new MemorySampler(() => serviceUrls(system));
    memory.start(500);

    const eventIds: string[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      const ticket = await createTicket(system);
      eventIds.push(await transition(system, ticket, 'hostile'));
    }
    const busy = await waitForDrain(system, 180_000);
    await memory.stop();

    const recorded = await readDeliveries(system.environment.databaseUrl, eventIds);
    const wrong = targets.flatMap((target, index) =>
      recorded
        .filter((row) => row.action_index === index)
        .filter(
          (row) =>
            row.status !== target.expect.status ||
            (target.expect.errorClass !== undefined &&
              row.error_class !== target.expect.errorClass),
        )
        .map(
          (row) =>
            `${target.name}: ${row.status} ${row.error_class ?? ''} (${row.status_code ?? '-'})`,
        ),
    );
    const exited = system.instances.filter((service) => service.child.exitCode !== null);
    report(
      `Hostile receivers: ${targets.length} targets × ${ROUNDS} transitions`,
      [
        formatTable(
          ['target', 'expected', 'recorded', 'excerpt chars'],
          targets.map((target, index) => {
            const rows = recorded.filter((row) => row.action_index === index);
            return [
              target.name,
              `${target.expect.status} ${target.expect.errorClass ?? ''}`.trim(),
              summarize(rows.map((row) => `${row.status} ${row.error_class ?? ''}`.trim())),
              Math.max(0, ...rows.map((row) => row.response_chars)),
            ];
          }),
        ),
        `redirects followed: ${receivers.followedRedirects()}`,
        `drained: ${busy.length === 0 ? 'yes' : busy.join(', ')}`,
        `peak RSS: ${[...memory.peakBytes].map(([label, bytes]) => `${label} ${Math.round(bytes / 2 ** 20)} MB`).join(', ')}`,
      ].join('\n'),
    );

    expect(busy).toEqual([]);
    expect(recorded).toHaveLength(targets.length * ROUNDS);
    expect(wrong).toEqual([]);
    expect(receivers.followedRedirects()).toBe(0);
    expect(Math.max(...recorded.map((row) => row.response_chars))).toBeLessThanOrEqual(4096);
    expect(exited.map((service) => service.name)).toEqual([]);
    for (const [label, bytes] of memory.peakBytes) {
      expect({ label, underLimit: bytes < RSS_LIMIT_BYTES }).toEqual({ label, underLimit: true });
    }
  });
});

async function putWorkflow(system: RunningSystem, urls: string[]): Promise<void> {
  const actions = urls.flatMap((url) => [
    '      - type: send_webhook',
    `        url: ${JSON.stringify(url)}`,
    `        timeout_ms: ${ACTION_TIMEOUT_MS}`,
  ]);
  const yaml = [
    'states: [open, hostile]',
    'transitions:',
    '  - from: open',
    '    to: hostile',
    '    actions:',
    ...actions,
    '  - from: hostile',
    '    to: open',
    '',
  ].join('\n');
  const response = await system.api('/api/projects/HST/workflow', {
    method: 'PUT',
    headers: { 'content-type': 'application/yaml' },
    body: yaml,
  });
  if (response.status !== 200)
    throw new Error(`workflow put answered ${response.status}: ${await response.text()}`);
}

async function createTicket(system: RunningSystem): Promise<string> {
  const response = await system.api('/api/tickets', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ project: 'HST', title: 'hostile receivers' }),
  });
  return ((await response.json()) as { id: string }).id;
}

async function transition(system: RunningSystem, ticket: string, to: string): Promise<string> {
  const response = await system.api(`/api/tickets/${ticket}/transitions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ to, actor: 'hostile@example.com' }),
  });
  if (response.status !== 200) throw new Error(`transition answered ${response.status}`);
  return ((await response.json()) as { event: { id: string } }).event.id;
}

async function readDeliveries(databaseUrl: string, eventIds: string[]): Promise<Recorded[]> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<Recorded>(
      `SELECT action_index, status, error_class, status_code,
              char_length(response_excerpt) AS response_chars
         FROM deliveries WHERE event_id = ANY($1) ORDER BY event_id, action_index`,
      [eventIds],
    );
    return rows;
  } finally {
    await client.end();
  }
}

/** "failed timeout ×4" or "succeeded ×3, failed other ×1". */
function summarize(values: string[]): string {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return [...counts].map(([value, count]) => `${value} ×${count}`).join(', ') || 'none';
}
