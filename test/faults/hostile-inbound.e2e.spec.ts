import { EventTypes, type CreatedIntegration } from '@kera/contracts';
import { MemorySampler, startSystem, type RunningSystem } from '@kera/testing';
import { inboundCorpus, type HostileCase } from './hostile/inbound-corpus';
import { sendRaw, type RawAnswer } from './hostile/raw-http';
import type { InboundTarget, Provider } from './hostile/senders';
import { serviceUrls, waitForDrain } from './support/fault-run';
import { readAllEvents } from './support/stream-reader';
import { formatTable, report } from './support/table';

/** A small limit, so that "over the limit" costs little to send. */
const BODY_LIMIT = 1024 ** 2;
/** SPEC §9: each service under 200 MB RSS. */
const RSS_LIMIT_BYTES = 200 * 1024 ** 2;

jest.setTimeout(15 * 60_000);

interface Outcome {
  provider: Provider;
  kase: HostileCase;
  answer: RawAnswer;
}

async function createTarget(system: RunningSystem, provider: Provider): Promise<InboundTarget> {
  const response = await system.api('/api/integrations', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider, name: `hostile ${provider}` }),
  });
  if (response.status !== 201) throw new Error(`integration create answered ${response.status}`);
  const created = (await response.json()) as CreatedIntegration;
  return { provider, path: created.url, secret: created.secret };
}

describe('hostile inbound requests against the real gateway', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem({ extraEnv: { KERA_INBOUND_MAX_BYTES: String(BODY_LIMIT) } });
  });

  afterAll(async () => {
    await system?.stop();
  });

  it('answers every case as specified, records every refusal, never a 5xx, memory bounded', async () => {
    const port = Number(new URL(system.gatewayUrl).port);
    const memory = new MemorySampler(() => serviceUrls(system));
    memory.start(500);

    const outcomes: Outcome[] = [];
    for (const provider of ['github', 'gitlab', 'generic'] as const) {
      const target = await createTarget(system, provider);
      for (const kase of inboundCorpus(target, BODY_LIMIT)) {
        outcomes.push({ provider, kase, answer: await sendRaw(port, kase.send) });
      }
    }
    const busy = await waitForDrain(system, 120_000);
    await memory.stop();

    const unexpected = outcomes.filter(({ kase, answer }) => !kase.expect.includes(answer.status));
    const serverErrors = outcomes.filter(({ answer }) => (answer.status ?? 0) >= 500);
    const exited = system.instances.filter((service) => service.child.exitCode !== null);
    const inbound = (
      await readAllEvents(system.environment.natsUrl, system.environment.naming)
    ).filter((event) => event.stream === 'INBOUND');
    const recordedAs = new Map(inbound.map((event) => [event.correlationid, event.type]));
    const unrecorded = outcomes.filter(({ kase, answer }) => {
      const expected = expectedRecord(kase, answer);
      return expected !== null && recordedAs.get(kase.correlationId) !== expected;
    });

    report(
      `Hostile inbound corpus: ${outcomes.length} requests`,
      [
        formatTable(
          ['answer', 'requests'],
          countBy(outcomes, ({ answer }) =>
            answer.status === null
              ? 'no answer (closed)'
              : `${answer.status}${answer.problem || answer.status < 400 ? '' : ' (HTTP layer)'}`,
          ),
        ),
        `unexpected answers: ${unexpected.length}`,
        ...unexpected.map(
          ({ provider, kase, answer }) =>
            `  ${provider} ${kase.name}: ${answer.status ?? 'no answer'} (expected ${kase.expect.join('/')})`,
        ),
        `not recorded as specified: ${unrecorded.length}`,
        ...unrecorded.map(
          ({ provider, kase, answer }) => `  ${provider} ${kase.name} (${answer.status})`,
        ),
        `audit caught up: ${busy.length === 0 ? 'yes' : busy.join(', ')}`,
        `peak RSS: ${[...memory.peakBytes].map(([label, bytes]) => `${label} ${Math.round(bytes / 2 ** 20)} MB`).join(', ')}`,
      ].join('\n'),
    );

    expect(outcomes.length).toBeGreaterThanOrEqual(200);
    expect(unexpected.map(({ provider, kase }) => `${provider} ${kase.name}`)).toEqual([]);
    expect(serverErrors).toEqual([]);
    expect(exited.map((service) => service.name)).toEqual([]);
    expect(unrecorded.map(({ provider, kase }) => `${provider} ${kase.name}`)).toEqual([]);
    expect(busy).toEqual([]);
    for (const [label, bytes] of memory.peakBytes) {
      expect({ label, underLimit: bytes < RSS_LIMIT_BYTES }).toEqual({ label, underLimit: true });
    }
  });
});

/**
 * The event a request must have left in the INBOUND stream: a stored delivery
 * for a 202 (and GitHub's ping), a refusal record for every refusal the
 * inbound route itself answered (a problem document); none for duplicates,
 * for other methods, and for requests the HTTP layer (Node's parser, Fastify's
 * client-error answer) refused before any route saw them.
 */
function expectedRecord(kase: HostileCase, answer: RawAnswer): string | null {
  const status = answer.status ?? 0;
  if (status === 202 || (status === 200 && kase.name === 'headers: ping event')) {
    return EventTypes.inboundReceived;
  }
  if (kase.routed && answer.problem && status >= 400) return EventTypes.inboundRejected;
  return null;
}

function countBy<T>(items: readonly T[], key: (item: T) => string): [string, number][] {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return [...counts].sort(([a], [b]) => a.localeCompare(b));
}
