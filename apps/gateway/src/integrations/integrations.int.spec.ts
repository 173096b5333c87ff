import { randomUUID } from 'node:crypto';
import { EventTypes, type CreatedIntegration, type IntegrationView } from '@kera/contracts';
import { eventually, startSystem, type RunningSystem } from '@kera/testing';
import { createIntegration, deliver, githubHeaders, pathOf } from '../inbound/test-senders.spec';
import { slugFromName } from './slug';

jest.setTimeout(120_000);

const PUBLIC_URL = 'https://hooks.example.com/kera/';
const GRACE_SECONDS = 3;
const BODY = JSON.stringify({ zen: 'Design for failure.' });

describe('the integrations API', () => {
  let system: RunningSystem;

  beforeAll(async () => {
    system = await startSystem({
      instances: { gateway: 2 },
      extraEnv: {
        KERA_PUBLIC_URL: PUBLIC_URL,
        KERA_ROTATION_GRACE_SECONDS: String(GRACE_SECONDS),
      },
    });
  });

  afterAll(async () => {
    await system?.stop();
  });

  async function listAll(): Promise<IntegrationView[]> {
    const page: any = await (await system.api('/api/integrations?limit=200')).json();
    return page.items;
  }

  function push(integration: CreatedIntegration, secret: string): Promise<Response> {
    return deliver(system, integration.url, BODY, githubHeaders(secret, BODY));
  }

  it('creates an integration and shows its full URL and secret once', async () => {
    const response = await system.api('/api/integrations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'github', name: 'Acme API', project: 'ker' }),
    });

    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const created: any = await response.json();
    expect(created).toMatchObject({
      id: expect.any(String),
      provider: 'github',
      name: 'Acme API',
      slug: 'acme-api',
      project: 'KER',
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(created.url).toMatch(
      /^https:\/\/hooks\.example\.com\/kera\/webhooks\/inbound\/acme-api\/[A-Za-z0-9_-]{43}$/,
    );
  });

  it('gives a second integration of the same name the next free slug', async () => {
    const first = await createIntegration(system, { provider: 'gitlab', name: 'Twin' });
    const second = await createIntegration(system, { provider: 'gitlab', name: 'twin' });

    expect(first.slug).toBe('twin');
    expect(second.slug).toBe('twin-2');
    expect(second.secret).toMatch(/^whsec_/);
  });

  it('answers invalid input with 422 naming every field', async () => {
    const response = await system.api('/api/integrations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ provider: 'svn', name: ' ', project: 'no such key', colour: 'red' }),
    });

    expect(response.status).toBe(422);
    const problem: any = await response.json();
    expect(problem.errors.map((error: { field: string }) => error.field)).toEqual([
      'provider',
      'name',
      'project',
      'colour',
    ]);
  });

  it('answers a body that is not a JSON object with 400', async () => {
    const response = await system.api('/api/integrations', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '["github"]',
    });

    expect(response.status).toBe(400);
  });

  it('requires the admin token', async () => {
    const response = await fetch(`${system.gatewayUrl}/api/integrations`);

    expect(response.status).toBe(401);
  });

  it('lists integrations with their counts but never a secret or a URL token', async () => {
    const created = await createIntegration(system, { provider: 'generic', name: 'Listed' });
    const token = pathOf(created.url).split('/').pop() ?? '';

    const response = await system.api('/api/integrations?limit=200');
    const text = await response.text();

    expect(response.status).toBe(200);
    expect(text).not.toContain(created.secret);
    expect(text).not.toContain(token);
    const listed = (JSON.parse(text).items as IntegrationView[]).find(
      (item) => item.id === created.id,
    );
    expect(listed).toEqual({
      id: created.id,
      provider: 'generic',
      name: 'Listed',
      slug: 'listed',
      project: null,
      created_at: created.created_at,
      rotated_at: null,
      previous_secret_expires_at: null,
      last_delivery_at: null,
      accepted_count: 0,
      rejected_count: 0,
    });
  });

  it('pages through the list with an opaque cursor', async () => {
    await createIntegration(system, { provider: 'github', name: 'Paged one' });
    await createIntegration(system, { provider: 'github', name: 'Paged two' });
    const everything = await listAll();

    const seen: string[] = [];
    let after: string | null = null;
    do {
      const query: string = after === null ? '' : `&after=${after}`;
      const page: any = await (await system.api(`/api/integrations?limit=2${query}`)).json();
      seen.push(...page.items.map((item: IntegrationView) => item.id));
      after = page.next;
    } while (after !== null);

    expect(seen).toEqual(everything.map((item) => item.id));
  });

  it('answers a bad limit or cursor with 422 naming the parameter', async () => {
    const limit: any = await (await system.api('/api/integrations?limit=0')).json();
    const cursor: any = await (await system.api('/api/integrations?after=forged')).json();

    expect(limit).toMatchObject({ status: 422, errors: [{ field: 'limit' }] });
    expect(cursor).toMatchObject({ status: 422, errors: [{ field: 'after' }] });
  });

  it('revokes an integration: 204, then its URL, its view and a second revocation are 404', async () => {
    const created = await createIntegration(system, { provider: 'github', name: 'Revoked' });
    expect((await push(created, created.secret)).status).toBe(202);

    const revoked = await system.api(`/api/integrations/${created.id}`, { method: 'DELETE' });

    expect(revoked.status).toBe(204);
    expect((await push(created, created.secret)).status).toBe(404);
    expect((await system.api(`/api/integrations/${created.id}`)).status).toBe(404);
    expect((await system.api(`/api/integrations/${created.id}`, { method: 'DELETE' })).status).toBe(
      404,
    );
    expect((await listAll()).map((item) => item.id)).not.toContain(created.id);
  });

  it('revokes and rotates on every gateway at once, whichever one was asked', async () => {
    const [first, second] = system.instances.filter((service) => service.name === 'gateway');
    if (!first || !second) throw new Error('the system runs two gateways');
    const created = await createIntegration(system, { provider: 'github', name: 'Everywhere' });
    const send = (secret: string) =>
      fetch(`${second.healthUrl}${pathOf(created.url)}`, {
        method: 'POST',
        headers: githubHeaders(secret, BODY),
        body: BODY,
      });
    const ask = (path: string, method: string) =>
      fetch(`${first.healthUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${system.environment.adminToken}` },
      });

    const rotated: any = await (await ask(`/api/integrations/${created.id}/rotate`, 'POST')).json();
    expect((await send(rotated.secret)).status).toBe(202);

    expect((await ask(`/api/integrations/${created.id}`, 'DELETE')).status).toBe(204);
    expect((await send(rotated.secret)).status).toBe(404);
  });

  it('tells a gateway that holds an integration in memory of a rotation and a revocation made on another', async () => {
    const [first, second] = system.instances.filter((service) => service.name === 'gateway');
    if (!first || !second) throw new Error('the system runs two gateways');
    const created = await createIntegration(system, { provider: 'github', name: 'Held' });
    const send = (secret: string) =>
      fetch(`${second.healthUrl}${pathOf(created.url)}`, {
        method: 'POST',
        headers: githubHeaders(secret, BODY),
        body: BODY,
      });
    const ask = (path: string, method: string) =>
      fetch(`${first.healthUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${system.environment.adminToken}` },
      });
    // The second gateway now holds the integration with its first secret only.
    expect((await send(created.secret)).status).toBe(202);

    const rotated: any = await (await ask(`/api/integrations/${created.id}/rotate`, 'POST')).json();
    expect((await send(rotated.secret)).status).toBe(202);
    expect((await send(created.secret)).status).toBe(202);

    expect((await ask(`/api/integrations/${created.id}`, 'DELETE')).status).toBe(204);
    expect((await send(rotated.secret)).status).toBe(404);
    expect((await send(created.secret)).status).toBe(404);
  });

  it('answers an integration created on another gateway at once, even where its slug was just unknown', async () => {
    const [first, second] = system.instances.filter((service) => service.name === 'gateway');
    if (!first || !second) throw new Error('the system runs two gateways');
    const name = `Later ${randomUUID().slice(0, 8)}`;
    const guessed = `/webhooks/inbound/${slugFromName(name, 'github')}/${'A'.repeat(43)}`;
    const unknown = await fetch(`${second.healthUrl}${guessed}`, {
      method: 'POST',
      headers: githubHeaders('anything', BODY),
      body: BODY,
    });
    expect(unknown.status).toBe(404);

    const response = await fetch(`${first.healthUrl}/api/integrations`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${system.environment.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ provider: 'github', name }),
    });
    const created = (await response.json()) as CreatedIntegration;
    expect(created.slug).toBe(slugFromName(name, 'github'));

    const answer = await fetch(`${second.healthUrl}${pathOf(created.url)}`, {
      method: 'POST',
      headers: githubHeaders(created.secret, BODY),
      body: BODY,
    });
    expect(answer.status).toBe(202);
  });

  it('rotates the secret; the old one verifies until its grace period ends', async () => {
    const created = await createIntegration(system, { provider: 'github', name: 'Rotated' });

    const response = await system.api(`/api/integrations/${created.id}/rotate`, { method: 'POST' });

    expect(response.status).toBe(200);
    const rotated: any = await response.json();
    expect(rotated.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(rotated.secret).not.toBe(created.secret);
    expect((await push(created, rotated.secret)).status).toBe(202);
    expect((await push(created, created.secret)).status).toBe(202);

    const expired = await eventually(
      async () => {
        const answer = await push(created, created.secret);
        return answer.status === 401 ? answer : undefined;
      },
      (GRACE_SECONDS + 10) * 1000,
      'the previous secret to expire',
    );
    expect(await expired.json()).toMatchObject({ reason: 'signature_mismatch' });
    expect((await push(created, rotated.secret)).status).toBe(202);
  });

  it('answers a rotation of an unknown integration with 404', async () => {
    const response = await system.api(`/api/integrations/${randomUUID()}/rotate`, {
      method: 'POST',
    });

    expect(response.status).toBe(404);
  });

  it('audits creation, rotation and revocation without a secret or token', async () => {
    const created = await createIntegration(system, { provider: 'gitlab', name: 'Audited' });
    const rotated: any = await (
      await system.api(`/api/integrations/${created.id}/rotate`, { method: 'POST' })
    ).json();
    await system.api(`/api/integrations/${created.id}`, { method: 'DELETE' });

    const page = await eventually(
      async () => {
        const answer: any = await (
          await system.api(`/api/audit?integration=${created.id}&limit=50`)
        ).json();
        return answer.items?.length === 3 ? answer : undefined;
      },
      20_000,
      'three audit entries of the integration',
    );

    expect(page.items.map((item: { type: string }) => item.type)).toEqual([
      EventTypes.integrationCreated,
      EventTypes.integrationRotated,
      EventTypes.integrationRevoked,
    ]);
    const text = JSON.stringify(page);
    expect(text).not.toContain(created.secret);
    expect(text).not.toContain(rotated.secret);
    expect(text).not.toContain(pathOf(created.url).split('/').pop());
  });

  it('keeps a secret out of every later answer about the integration', async () => {
    const created = await createIntegration(system, { provider: 'generic', name: 'Quiet' });

    const view = await system.api(`/api/integrations/${created.id}`);
    const text = await view.text();

    expect(view.status).toBe(200);
    expect(text).not.toContain(created.secret);
    expect(JSON.parse(text)).not.toHaveProperty('secret');
  });
});
