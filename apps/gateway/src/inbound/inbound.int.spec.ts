import { createHash, randomBytes, randomUUID } from 'node:crypto';
import {
  EventTypes,
  type CreatedIntegration,
  type InboundReceivedData,
  type InboundRejectedData,
  type IntegrationView,
  type KeraEvent,
} from '@kera/contracts';
import { Client } from 'pg';
import { eventually, startSystem, stopService, type RunningSystem } from '@kera/testing';
import { inboundEventId } from './inbound-event';
import {
  StreamReader,
  createIntegration,
  deliver,
  githubHeaders,
  gitlabTokenHeaders,
  pathOf,
  standardHeaders,
} from './test-senders.spec';

jest.setTimeout(120_000);

const PUSH = JSON.stringify({
  ref: 'refs/heads/feature/ker-42-login',
  commits: [{ id: 'a1b2c3', message: 'Fix login timeout, fixes KER-42 — ✓' }],
});

describe('POST /webhooks/inbound/{slug}/{token}', () => {
  let system: RunningSystem;
  let streams: StreamReader;
  let github: CreatedIntegration;
  let gitlab: CreatedIntegration;
  let generic: CreatedIntegration;

  beforeAll(async () => {
    system = await startSystem();
    streams = await StreamReader.open(system.environment);
    github = await createIntegration(system, {
      provider: 'github',
      name: 'acme/api',
      project: 'KER',
    });
    gitlab = await createIntegration(system, { provider: 'gitlab', name: 'acme/web' });
    generic = await createIntegration(system, { provider: 'generic', name: 'CI builds' });
  });

  afterAll(async () => {
    await streams?.removeBucket(system.environment.naming.inboundBodies());
    await streams?.close();
    await system?.stop();
  });

  async function receivedEvents(): Promise<KeraEvent<InboundReceivedData>[]> {
    const events = await streams.events('INBOUND');
    return events.filter(
      (event): event is KeraEvent<InboundReceivedData> => event.type === EventTypes.inboundReceived,
    );
  }

  async function storedEvent(eventId: string): Promise<KeraEvent<InboundReceivedData>> {
    const event = (await receivedEvents()).find((candidate) => candidate.id === eventId);
    if (!event) throw new Error(`event ${eventId} is not in the INBOUND stream`);
    return event;
  }

  it('answers 202 to a signed GitHub JSON delivery only once its exact body is stored', async () => {
    const body = `${PUSH}\n`;
    const delivery = randomUUID();
    const correlation = `trace-${randomUUID()}`;
    const response = await deliver(system, github.url, body, {
      ...githubHeaders(github.secret, body, { delivery }),
      'x-correlation-id': correlation,
    });

    expect(response.status).toBe(202);
    const answer: any = await response.json();
    expect(answer).toMatchObject({ status: 'accepted', delivery_id: delivery, event: 'push' });

    const event = await storedEvent(answer.event_id);
    expect(event.type).toBe('kera.inbound.received');
    expect(event.correlationid).toBe(correlation);
    expect(event.data).toMatchObject({
      integration_id: github.id,
      provider: 'github',
      project: 'KER',
      event: 'push',
      delivery_id: delivery,
      content_type: 'application/json',
      body,
      body_encoding: 'utf8',
      body_object: null,
      body_sha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(event.data.headers['x-github-event']).toBe('push');
    expect(event.data.headers).not.toHaveProperty('x-hub-signature-256');
    expect(event.data.source_ip).toEqual(expect.any(String));
  });

  it('accepts a form-encoded GitHub delivery and keeps the form body as it was sent', async () => {
    const body = `payload=${encodeURIComponent(PUSH)}`;
    const headers = githubHeaders(github.secret, body, {
      contentType: 'application/x-www-form-urlencoded',
    });
    const response = await deliver(system, github.url, body, headers);

    expect(response.status).toBe(202);
    const event = await storedEvent(((await response.json()) as any).event_id);
    expect(event.data.content_type).toBe('application/x-www-form-urlencoded');
    expect(event.data.body).toBe(body);
  });

  it('answers a redelivered GitHub delivery id with 200 and stores no second event', async () => {
    const delivery = randomUUID();
    const first = await deliver(
      system,
      github.url,
      PUSH,
      githubHeaders(github.secret, PUSH, { delivery }),
    );
    expect(first.status).toBe(202);

    const again = await deliver(
      system,
      github.url,
      PUSH,
      githubHeaders(github.secret, PUSH, { delivery }),
    );
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', delivery_id: delivery });

    const stored = (await receivedEvents()).filter((event) => event.data.delivery_id === delivery);
    expect(stored).toHaveLength(1);
  });

  async function ledgerHolds(delivery: string): Promise<boolean> {
    const database = new Client({ connectionString: system.environment.databaseUrl });
    await database.connect();
    try {
      const rows = await database.query(
        'SELECT 1 FROM inbound_deliveries WHERE integration_id = $1 AND delivery_id = $2',
        [github.id, delivery],
      );
      return rows.rowCount === 1;
    } finally {
      await database.end();
    }
  }

  it('answers 200 to a delivery id accepted after JetStream forgot it, from the ledger', async () => {
    const jsm = await streams.manager();
    const name = system.environment.naming.stream('INBOUND');
    const config = (await jsm.streams.info(name)).config;
    // A duplicate window of one second stands in for the two minutes gone by.
    await jsm.streams.update(name, { ...config, duplicate_window: 1_000_000_000 });
    try {
      const delivery = randomUUID();
      const send = () =>
        deliver(system, github.url, PUSH, githubHeaders(github.secret, PUSH, { delivery }));
      expect((await send()).status).toBe(202);
      await eventually(async () => ((await ledgerHolds(delivery)) ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 1500));

      const again = await send();
      expect(again.status).toBe(200);
      expect(await again.json()).toMatchObject({ status: 'duplicate', delivery_id: delivery });
      const stored = (await receivedEvents()).filter(
        (event) => event.data.delivery_id === delivery,
      );
      expect(stored).toHaveLength(1);
    } finally {
      await jsm.streams.update(name, config);
    }
  });

  it('answers 200 to a delivery id accepted long ago, after a restart of the gateway', async () => {
    const delivery = randomUUID();
    const database = new Client({ connectionString: system.environment.databaseUrl });
    await database.connect();
    try {
      // As it was written days ago: JetStream's two-minute duplicate window is long gone.
      await database.query(
        `INSERT INTO inbound_deliveries (integration_id, delivery_id, event_id, received_at)
         VALUES ($1, $2, $3, now() - interval '3 days')`,
        [github.id, delivery, inboundEventId(github.id, delivery)],
      );
    } finally {
      await database.end();
    }
    // A gateway learns the ledger's rows when it starts (after that, from the stream).
    const gateway = system.services.get('gateway');
    if (gateway === undefined) throw new Error('no gateway');
    await stopService(gateway, 'SIGKILL');
    await system.restart(gateway);

    const again = await deliver(
      system,
      github.url,
      PUSH,
      githubHeaders(github.secret, PUSH, { delivery }),
    );

    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', delivery_id: delivery });
    const stored = (await receivedEvents()).filter((event) => event.data.delivery_id === delivery);
    expect(stored).toHaveLength(0);
  });

  it('stores two identical requests sent at once as one event', async () => {
    const delivery = randomUUID();
    const send = () =>
      deliver(system, github.url, PUSH, githubHeaders(github.secret, PUSH, { delivery }));
    const answers = await Promise.all([send(), send(), send()]);

    // Whichever is stored first gets the 202; the others find it stored, in Postgres or by
    // JetStream's duplicate check on the event id.
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 200, 202]);
    const stored = (await receivedEvents()).filter((event) => event.data.delivery_id === delivery);
    expect(stored).toHaveLength(1);
  });

  it("answers GitHub's ping with 200", async () => {
    const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 292430182 });
    const response = await deliver(
      system,
      github.url,
      body,
      githubHeaders(github.secret, body, { event: 'ping' }),
    );

    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'ping', event: 'ping' });
  });

  it('refuses a GitHub delivery signed with another secret with 401', async () => {
    const response = await deliver(system, github.url, PUSH, githubHeaders('not-the-secret', PUSH));

    expect(response.status).toBe(401);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ status: 401, reason: 'signature_mismatch' });
  });

  it('answers an unknown slug, a wrong token and a malformed path with the same 404', async () => {
    const [, , , slug, token] = pathOf(github.url).split('/');
    const wrongToken = randomBytes(32).toString('base64url');
    const urls = [
      `/webhooks/inbound/no-such-slug/${token}`,
      `/webhooks/inbound/${slug}/${wrongToken}`,
      `/webhooks/inbound/${slug}/short`,
      `/webhooks/inbound/${slug}/${'x'.repeat(300)}`,
      `/webhooks/inbound/${slug}/${token}/extra`,
    ];

    const answers = await Promise.all(
      urls.map(async (url) => {
        const response = await deliver(system, url, PUSH, githubHeaders(github.secret, PUSH));
        return {
          status: response.status,
          type: response.headers.get('content-type'),
          body: await response.text(),
        };
      }),
    );

    expect(answers[0]?.status).toBe(404);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it('answers the same whether the plain fast path or the Fastify route serves a request', async () => {
    // A query string sends a request to the Fastify route; the plain path takes the rest.
    const [, , , slug, token] = pathOf(github.url).split('/');
    const cases = [
      { url: github.url, body: PUSH, headers: githubHeaders(github.secret, PUSH) },
      { url: github.url, body: PUSH, headers: githubHeaders('wrong secret', PUSH) },
      { url: `/webhooks/inbound/${slug}/${'A'.repeat(43)}`, body: PUSH, headers: {} },
      {
        url: github.url,
        body: PUSH,
        headers: githubHeaders(github.secret, PUSH, { contentType: 'text/plain' }),
      },
      { url: github.url, body: 'not json', headers: githubHeaders(github.secret, 'not json') },
    ];
    expect(token).toBeDefined();

    for (const sent of cases) {
      const answers = [];
      for (const suffix of ['', '?via=fastify']) {
        const delivery = randomUUID();
        const headers = { ...sent.headers, 'x-correlation-id': 'same-for-both' };
        if ('x-github-delivery' in headers) headers['x-github-delivery'] = delivery;
        const response = await deliver(system, `${sent.url}${suffix}`, sent.body, headers);
        const shown = Object.fromEntries(
          [...response.headers].filter(([name]) => !['date', 'keep-alive'].includes(name)),
        );
        const text = (await response.text()).split(delivery).join('<delivery>');
        answers.push({
          status: response.status,
          headers: shown,
          body: text.replace(/"event_id":"[^"]+"/, ''),
        });
      }
      expect(answers[1]).toEqual(answers[0]);
    }
  });

  it('refuses a verified delivery in a content type GitHub does not send with 415', async () => {
    const headers = githubHeaders(github.secret, PUSH, { contentType: 'text/plain' });
    const response = await deliver(system, github.url, PUSH, headers);

    expect(response.status).toBe(415);
    expect(await response.json()).toMatchObject({ reason: 'unsupported_content_type' });
  });

  it('refuses a verified body that is not JSON with 400', async () => {
    const body = '{"truncated": ';
    const response = await deliver(system, github.url, body, githubHeaders(github.secret, body));

    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ reason: 'unreadable_body' });
  });

  it('accepts a GitLab delivery with its secret token and refuses a wrong token with 401', async () => {
    const uuid = randomUUID();
    const accepted = await deliver(
      system,
      gitlab.url,
      PUSH,
      gitlabTokenHeaders(gitlab.secret, { uuid }),
    );
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toMatchObject({ delivery_id: uuid, event: 'Push Hook' });

    const refused = await deliver(system, gitlab.url, PUSH, gitlabTokenHeaders('wrong-token'));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toMatchObject({ reason: 'token_mismatch' });
  });

  it('accepts a GitLab delivery signed the Standard Webhooks way, without a token', async () => {
    const signed = standardHeaders(gitlab.secret, PUSH);
    const headers = {
      'content-type': 'application/json',
      'x-gitlab-event': 'Merge Request Hook',
      'idempotency-key': `idem-${randomUUID()}`,
      ...signed,
    };
    const response = await deliver(system, gitlab.url, PUSH, headers);

    expect(response.status).toBe(202);
    const answer: any = await response.json();
    expect(answer).toMatchObject({
      delivery_id: headers['idempotency-key'],
      event: 'Merge Request Hook',
    });
    expect((await storedEvent(answer.event_id)).data.headers).not.toHaveProperty(
      'webhook-signature',
    );
  });

  it('accepts a generic Standard Webhooks delivery and names it by the body type', async () => {
    const body = JSON.stringify({ type: 'build.finished', data: { status: 'green' } });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      ...standardHeaders(generic.secret, body),
    };
    const response = await deliver(system, generic.url, body, headers);

    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({
      delivery_id: headers['webhook-id'],
      event: 'build.finished',
    });
  });

  it('refuses a Standard Webhooks delivery signed more than five minutes ago with 401', async () => {
    const body = JSON.stringify({ type: 'build.finished' });
    const at = new Date(Date.now() - 10 * 60 * 1000);
    const headers = {
      'content-type': 'application/json',
      ...standardHeaders(generic.secret, body, { at }),
    };
    const response = await deliver(system, generic.url, body, headers);

    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ reason: 'timestamp_out_of_tolerance' });
  });

  it('stores a 5 MB body in the object store and names it in the event', async () => {
    const filler = randomBytes(3_750_000).toString('base64');
    const body = Buffer.from(JSON.stringify({ type: 'export.ready', data: filler }));
    expect(body.length).toBeGreaterThan(5_000_000);
    const headers = {
      'content-type': 'application/json',
      ...standardHeaders(generic.secret, body),
    };

    const response = await deliver(system, generic.url, body, headers);

    expect(response.status).toBe(202);
    const event = await storedEvent(((await response.json()) as any).event_id);
    const bucket = system.environment.naming.inboundBodies();
    expect(event.data).toMatchObject({
      body: null,
      body_encoding: null,
      body_object: { bucket, name: event.id, size: body.length },
      body_sha256: createHash('sha256').update(body).digest('hex'),
    });
    const stored = await streams.object(bucket, event.id);
    expect(stored && Buffer.from(stored).equals(body)).toBe(true);
  });

  it('records every refusal in the audit trail with its reason and source, never its body', async () => {
    const marker = `secret-body-${randomUUID()}`;
    const body = JSON.stringify({ marker });
    await deliver(system, github.url, body, githubHeaders('not-the-secret', body));
    await deliver(
      system,
      '/webhooks/inbound/nobody-here/' + randomBytes(32).toString('base64url'),
      body,
      githubHeaders(github.secret, body),
    );

    const items = await eventually(
      async () => {
        const response = await system.api(
          `/api/audit?type=${EventTypes.inboundRejected}&limit=500`,
        );
        const page: any = await response.json();
        const payloads = (page.items ?? []).map((item: any) => item.payload as InboundRejectedData);
        const mismatch = payloads.find(
          (p: InboundRejectedData) =>
            p.reason === 'signature_mismatch' && p.integration_id === github.id,
        );
        const unknown = payloads.find((p: InboundRejectedData) => p.reason === 'unknown_url');
        return mismatch && unknown ? { page, mismatch, unknown } : undefined;
      },
      20_000,
      'rejections in the audit trail',
    );

    expect(items.mismatch).toMatchObject({ status: 401, provider: 'github', event: 'push' });
    expect(items.mismatch.source_ip).toEqual(expect.any(String));
    expect(items.unknown).toMatchObject({ status: 404, integration_id: null });
    expect(JSON.stringify(items.page)).not.toContain(marker);
    expect(items.mismatch).not.toHaveProperty('body');
  });

  it('counts accepted and refused deliveries on the integration list', async () => {
    const counted = await createIntegration(system, { provider: 'github', name: 'counted' });
    const delivery = randomUUID();
    await deliver(system, counted.url, PUSH, githubHeaders(counted.secret, PUSH, { delivery }));
    await deliver(system, counted.url, PUSH, githubHeaders(counted.secret, PUSH, { delivery }));
    await deliver(system, counted.url, PUSH, githubHeaders('wrong', PUSH));

    const view = await eventually(
      async () => {
        const page: any = await (await system.api('/api/integrations?limit=200')).json();
        const found = (page.items as IntegrationView[]).find((item) => item.id === counted.id);
        return found && found.rejected_count === 1 ? found : undefined;
      },
      15_000,
      'the refusal to be counted',
    );

    expect(view.accepted_count).toBe(1);
    expect(view.last_delivery_at).toEqual(expect.any(String));
  });

  it('stops answering a revoked integration at once', async () => {
    const doomed = await createIntegration(system, { provider: 'github', name: 'doomed' });
    expect((await system.api(`/api/integrations/${doomed.id}`, { method: 'DELETE' })).status).toBe(
      204,
    );

    const response = await deliver(system, doomed.url, PUSH, githubHeaders(doomed.secret, PUSH));
    expect(response.status).toBe(404);
  });

  it('counts deliveries in Prometheus metrics by provider, event and outcome', async () => {
    const text = await (await fetch(`${system.gatewayUrl}/metrics`)).text();

    expect(text).toMatch(
      /kera_inbound_requests_total\{provider="github",event="push",outcome="accepted"\} [1-9]/,
    );
    expect(text).toMatch(
      /kera_inbound_requests_total\{provider="github",event="push",outcome="duplicate"\} [1-9]/,
    );
    expect(text).toMatch(
      /kera_inbound_verification_failures_total\{provider="github",reason="signature_mismatch"\} [1-9]/,
    );
    expect(text).toMatch(/kera_inbound_body_bytes_count\{provider="generic"\} [1-9]/);
  });

  it('keeps the JSON API to a small body limit while inbound bodies may be large', async () => {
    const response = await system.api('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project: 'KER', title: 'x'.repeat(2 * 1024 * 1024) }),
    });

    expect(response.status).toBe(413);
  });
});
