import { connect, type NatsConnection } from 'nats';
import { STREAMS, type KeraEvent } from '@kera/contracts';
import { eventually, startSystem, type RunningSystem } from '@kera/testing';

jest.setTimeout(180_000);

/** The JSON lines a service process wrote so far. */
function logLines(system: RunningSystem, name: 'gateway'): Record<string, any>[] {
  const output = system.services.get(name)?.output.join('') ?? '';
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

describe('operating a running system: logs and metrics', () => {
  let system: RunningSystem;
  let nc: NatsConnection;

  beforeAll(async () => {
    // Requests that succeed are logged at debug; the test reads those lines.
    system = await startSystem({ extraEnv: { LOG_LEVEL: 'debug' } });
    nc = await connect({ servers: system.environment.natsUrl });
  });

  afterAll(async () => {
    await nc?.close();
    await system?.stop();
  });

  const lastTicketEvent = async (ticket: string): Promise<KeraEvent> => {
    const jsm = await nc.jetstreamManager();
    const { naming } = system.environment;
    const message = await jsm.streams.getMessage(naming.stream('TICKETS'), {
      last_by_subj: naming.ticketEvents(ticket),
    });
    return message.json<KeraEvent>();
  };

  it('logs requests with their correlation id, carries it into events and skips probes', async () => {
    for (const probe of ['/healthz', '/readyz', '/metrics']) {
      expect((await fetch(`${system.gatewayUrl}${probe}`)).status).toBe(200);
    }
    const given = await system.api('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-correlation-id': 'ops-corr-1' },
      body: JSON.stringify({ project: 'KER', title: 'correlated' }),
    });
    expect(given.status).toBe(201);
    expect(given.headers.get('x-correlation-id')).toBe('ops-corr-1');
    const minted = await system.api('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project: 'KER', title: 'uncorrelated' }),
    });
    const mintedId = minted.headers.get('x-correlation-id');
    expect(mintedId).toMatch(/^[0-9a-f-]{36}$/);

    expect((await lastTicketEvent('KER-1')).correlationid).toBe('ops-corr-1');
    expect((await lastTicketEvent('KER-2')).correlationid).toBe(mintedId);

    const lines = await eventually(async () => {
      const found = logLines(system, 'gateway');
      return found.some((line) => line.correlation_id === mintedId) ? found : undefined;
    });
    const request = lines.find((line) => line.correlation_id === 'ops-corr-1');
    expect(request).toMatchObject({
      service: 'gateway',
      req: { method: 'POST', url: '/api/tickets' },
      res: { status_code: 201 },
    });
    const urls = lines.map((line) => line.req?.url).filter(Boolean);
    expect(urls.filter((url: string) => /^\/(healthz|readyz|metrics)/.test(url))).toEqual([]);
  });

  it('keeps inbound URL tokens and the admin token out of the logs', async () => {
    const token = 'inbound-url-token-0123456789abcdef';
    const inbound = await fetch(`${system.gatewayUrl}/webhooks/inbound/no-such-slug/${token}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(inbound.status).toBe(404);

    const lines = await eventually(async () => {
      const found = logLines(system, 'gateway');
      return found.some((line) => line.req?.url?.startsWith('/webhooks/inbound/'))
        ? found
        : undefined;
    });
    const text = JSON.stringify(lines);
    expect(text).not.toContain(token);
    expect(text).not.toContain(system.environment.adminToken);
    expect(lines.map((line) => line.req?.url)).toContain(
      '/webhooks/inbound/no-such-slug/[redacted]',
    );
  });

  it('reports the lag of every durable consumer on some service’s /metrics', async () => {
    const jsm = await nc.jetstreamManager();
    const durables: string[] = [];
    for (const key of STREAMS) {
      for await (const consumer of jsm.consumers.list(system.environment.naming.stream(key))) {
        if (consumer.config.durable_name) durables.push(consumer.name);
      }
    }
    expect(durables.length).toBeGreaterThan(0);

    const scraped = await Promise.all(
      [...system.services.values()].map(async (service) => {
        const response = await fetch(`${service.healthUrl}/metrics`);
        expect(response.status).toBe(200);
        return response.text();
      }),
    );
    const all = scraped.join('\n');
    for (const durable of durables) {
      expect({ durable, reported: all.includes(`consumer="${durable}"`) }).toEqual({
        durable,
        reported: true,
      });
    }
    expect(all).toMatch(
      /^kera_jetstream_consumer_lag_messages\{stream="[^"]+",consumer="[^"]+"\} \d+$/m,
    );
    for (const text of scraped) expect(text).toContain('kera_process_resident_memory_bytes');
  });
});
