import {
  eventually,
  startReceiver,
  startSystem,
  type Receiver,
  type RunningSystem,
} from '@kera/testing';

jest.setTimeout(120_000);

describe('a transition travels from the API to a receiver and into the audit trail', () => {
  let system: RunningSystem;
  let receiver: Receiver;

  beforeAll(async () => {
    receiver = await startReceiver();
    system = await startSystem();
  });

  afterAll(async () => {
    await system?.stop();
    await receiver?.close();
  });

  it('delivers the exact outbound payload and audits every event once', async () => {
    const workflow = [
      'transitions:',
      '  - from: in_progress',
      '    to: in_review',
      '    actions:',
      '      - type: send_webhook',
      `        url: ${receiver.url}/trigger`,
      '',
    ].join('\n');
    const put = await system.api('/api/projects/KER/workflow', {
      method: 'PUT',
      headers: { 'content-type': 'application/yaml' },
      body: workflow,
    });
    expect(put.status).toBe(200);
    const putBody: any = await put.json();
    expect(putBody).toMatchObject({ project: 'KER' });
    expect(putBody.version).toBeGreaterThanOrEqual(1);

    const created = await system.api('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        project: 'KER',
        title: 'Fix login timeout',
        fields: { priority: 'high' },
      }),
    });
    expect(created.status).toBe(201);
    const ticket: any = await created.json();
    expect(ticket).toMatchObject({ id: 'KER-1', project: 'KER', state: 'in_progress' });

    const moved = await system.api(`/api/tickets/${ticket.id}/transitions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ to: 'in_review', actor: 'max@example.com' }),
    });
    expect(moved.status).toBe(200);
    const result: any = await moved.json();
    expect(result.ticket.state).toBe('in_review');
    expect(result.event.id).toEqual(expect.any(String));

    const [request] = await receiver.waitFor(1);
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/trigger');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['user-agent']).toMatch(/^Kera-Webhooks\/\d+\.\d+\.\d+$/);
    expect(request?.headers['x-kera-event']).toBe('transition');
    expect(request?.headers['x-kera-delivery']).toEqual(expect.any(String));
    const payload = JSON.parse(request?.body ?? '');
    expect(Object.keys(payload)).toEqual([
      'event',
      'ticket_id',
      'title',
      'from_state',
      'to_state',
      'actor',
      'timestamp',
      'fields',
    ]);
    expect(payload).toEqual({
      event: 'transition',
      ticket_id: 'KER-1',
      title: 'Fix login timeout',
      from_state: 'in_progress',
      to_state: 'in_review',
      actor: 'max@example.com',
      timestamp: result.event.time.replace(/\.\d{3}Z$/, 'Z'),
      fields: { priority: 'high' },
    });

    const audit = await eventually(
      async () => {
        const response = await system.api(`/api/audit?ticket=${ticket.id}`);
        const body: any = await response.json();
        const types = body.items.map((item: { type: string }) => item.type);
        const projected =
          types.includes('kera.ticket.transitioned') && types.includes('kera.delivery.succeeded');
        return projected ? body : undefined;
      },
      20_000,
      'the transition and the delivery outcome in the audit trail',
    );
    const types: string[] = audit.items.map((item: { type: string }) => item.type);
    // Each stream is in order; the TICKETS and DELIVERIES streams are projected side by side,
    // so either may be written first. A delivery request would come before the outcome in its
    // stream: the POST went out straight from the transition, so none was stored.
    expect([...types].sort()).toEqual([
      'kera.delivery.succeeded',
      'kera.ticket.created',
      'kera.ticket.transitioned',
    ]);
    const ids = audit.items.map((item: { event_id: string }) => item.event_id);
    expect(new Set(ids).size).toBe(ids.length);
    const transitioned = audit.items.find(
      (item: { type: string }) => item.type === 'kera.ticket.transitioned',
    );
    expect(transitioned.event_id).toBe(result.event.id);

    const verify = await system.api('/api/audit/verify');
    expect(await verify.json()).toMatchObject({ ok: true });
  });

  it('answers 401 without the admin token and problem+json for unknown routes', async () => {
    const anonymous = await fetch(`${system.gatewayUrl}/api/tickets/KER-1`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');

    const missing = await system.api('/api/nothing-here');
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toContain('application/problem+json');
    expect(await missing.json()).toMatchObject({ status: 404, title: 'Not Found' });
  });

  it('reports readiness of NATS, JetStream and Postgres and serves metrics', async () => {
    const ready = await fetch(`${system.gatewayUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body: any = await ready.json();
    expect(Object.keys(body.info)).toEqual(
      expect.arrayContaining(['nats', 'jetstream', 'postgres']),
    );

    const metrics = await fetch(`${system.gatewayUrl}/metrics`);
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toContain('kera_process_resident_memory_bytes');
  });
});
