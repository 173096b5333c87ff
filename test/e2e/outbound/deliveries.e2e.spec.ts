import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { connect } from 'nats';
import { Webhook } from 'standardwebhooks';
import { EventTypes, createEvent } from '@kera/contracts';
import {
  NatsServer,
  eventually,
  startReceiver,
  startSystem,
  type Receiver,
  type ReceiverBehaviour,
  type RunningSystem,
} from '@kera/testing';
import { OutboundApi, pause } from './support';

jest.setTimeout(120_000);

const SECRET = `whsec_${Buffer.from('kera outbound test secret, 32 by').toString('base64')}`;

describe('outbound webhooks through the running services', () => {
  let nats: NatsServer;
  let system: RunningSystem;
  let api: OutboundApi;
  const closers: (() => Promise<unknown>)[] = [];

  async function receiver(behaviour?: ReceiverBehaviour): Promise<Receiver> {
    const started = await startReceiver(behaviour);
    closers.push(() => started.close());
    return started;
  }

  beforeAll(async () => {
    // A server of its own: stream storage reserved by other runs on a shared one cannot fail it.
    nats = await NatsServer.start();
    system = await startSystem({ natsUrl: nats.url });
    api = new OutboundApi(system);
  });

  afterAll(async () => {
    await Promise.all(closers.map((close) => close()));
    await system?.stop();
    await nats?.destroy();
  });

  it('POSTs the exact payload and headers, signed so that a Standard Webhooks library verifies it', async () => {
    const target = await receiver();
    await api.putWorkflow('OKA', [
      { url: `${target.url}/hook`, secret: SECRET, headers: { 'X-Team': 'core' } },
    ]);

    const { ticket, eventId, time } = await api.transitionedTicket('OKA', 'Fix login timeout', {
      priority: 'high',
    });

    const [request] = await target.waitFor(1);
    const headers = request?.headers ?? {};
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('/hook');
    expect(headers['content-type']).toBe('application/json');
    expect(headers['user-agent']).toMatch(/^Kera-Webhooks\/\d+\.\d+\.\d+$/);
    expect(headers['x-kera-event']).toBe('transition');
    expect(headers['x-kera-delivery']).toMatch(/^dlv_[a-z2-7]{26}$/);
    expect(headers['webhook-id']).toBe(headers['x-kera-delivery']);
    expect(headers['x-team']).toBe('core');
    expect(JSON.parse(request?.body ?? '')).toEqual({
      event: 'transition',
      ticket_id: ticket,
      title: 'Fix login timeout',
      from_state: 'todo',
      to_state: 'done',
      actor: 'max@example.com',
      timestamp: time.replace(/\.\d{3}Z$/, 'Z'),
      fields: { priority: 'high' },
    });
    const verified = new Webhook(SECRET).verify(request?.body ?? '', {
      'webhook-id': String(headers['webhook-id']),
      'webhook-timestamp': String(headers['webhook-timestamp']),
      'webhook-signature': String(headers['webhook-signature']),
    });
    expect(verified).toMatchObject({ ticket_id: ticket });

    const [attempt] = await api.attempts(ticket, 1);
    expect(attempt).toMatchObject({
      delivery_id: headers['x-kera-delivery'],
      attempt: 1,
      ticket_id: ticket,
      event_id: eventId,
      action_index: 0,
      url: `${target.url}/hook`,
      status: 'succeeded',
      status_code: 200,
      error: null,
      response_excerpt: 'ok',
      redelivery: false,
    });

    const types = await eventually(
      async () => {
        const response = await system.api(`/api/audit?ticket=${ticket}`);
        const body = (await response.json()) as { items: { type: string }[] };
        const found = body.items.map((item) => item.type);
        const projected =
          found.includes(EventTypes.ticketTransitioned) &&
          found.includes(EventTypes.deliverySucceeded);
        return projected ? found : undefined;
      },
      30_000,
      'the transition and the delivery outcome in the audit trail',
    );
    // Streams are projected side by side, so only the order within each stream is fixed, and
    // one stream's entries may be written before another's. Within DELIVERIES a request event
    // would come before the outcome, so none can appear later: the receiver had a free slot,
    // and the POST went out from the transition without a request.
    expect([...types].sort()).toEqual(
      [
        EventTypes.ticketCreated,
        EventTypes.ticketTransitioned,
        EventTypes.deliverySucceeded,
      ].sort(),
    );
  });

  it('records a 4xx answer as failed, with its status and the start of its body', async () => {
    const target = await receiver((_request, response) => {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('no such hook\0 here');
    });
    await api.putWorkflow('FOUR', [{ url: target.url }]);

    const { ticket } = await api.transitionedTicket('FOUR');

    const [attempt] = await api.attempts(ticket, 1);
    expect(attempt).toMatchObject({
      status: 'failed',
      status_code: 404,
      error: { class: 'http_status', message: 'receiver answered 404' },
    });
    expect(attempt?.response_excerpt).toMatch(/^no such hook.+here$/);
  });

  it('does not retry a failed delivery by default: a 500 receiver gets exactly one request', async () => {
    const target = await receiver((_request, response) => {
      response.writeHead(500).end('down');
    });
    await api.putWorkflow('FIVE', [{ url: target.url }]);

    const { ticket } = await api.transitionedTicket('FIVE');
    const [attempt] = await api.attempts(ticket, 1);
    // Longer than the first retry would wait, had one been scheduled.
    await pause(4000);

    expect(attempt).toMatchObject({ status: 'failed', status_code: 500, attempt: 1 });
    expect(target.requests).toHaveLength(1);
    expect((await api.deliveries({ ticket })).items).toHaveLength(1);
  });

  it('fails with timeout when the receiver does not answer within timeout_ms', async () => {
    const target = await receiver(() => undefined);
    await api.putWorkflow('SLOW', [{ url: target.url, timeout_ms: 300 }]);

    const { ticket } = await api.transitionedTicket('SLOW');

    const [attempt] = await api.attempts(ticket, 1);
    expect(target.requests).toHaveLength(1);
    expect(attempt).toMatchObject({
      status: 'failed',
      status_code: null,
      error: { class: 'timeout', message: 'no complete answer within 300 ms' },
    });
  });

  it('fails with a connection error when the receiver resets the connection', async () => {
    const target = await receiver((_request, response) => response.socket?.resetAndDestroy());
    await api.putWorkflow('RESET', [{ url: target.url }]);

    const { ticket } = await api.transitionedTicket('RESET');

    const [attempt] = await api.attempts(ticket, 1);
    expect(attempt).toMatchObject({ status: 'failed', error: { class: 'connection' } });
  });

  it('does not follow a redirect, not even to an address it may reach', async () => {
    const elsewhere = await receiver();
    const target = await receiver((_request, response) => {
      response.writeHead(302, { location: `${elsewhere.url}/stolen` }).end();
    });
    const metadata = await receiver((_request, response) => {
      response.writeHead(307, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    });
    await api.putWorkflow('REDIR', [{ url: target.url }, { url: metadata.url }]);

    const { ticket } = await api.transitionedTicket('REDIR');

    const attempts = await api.attempts(ticket, 2);
    const byUrl = new Map(attempts.map((attempt) => [attempt.url, attempt]));
    expect(byUrl.get(target.url)).toMatchObject({
      status: 'failed',
      status_code: 302,
      error: { class: 'redirect' },
    });
    expect(byUrl.get(metadata.url)?.error?.message).toContain('169.254.169.254');
    expect(elsewhere.requests).toHaveLength(0);
  });

  it('keeps only the first 4 KB of a 50 MB response', async () => {
    const server = http.createServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'x');
      let sent = 0;
      const more = () => {
        while (sent < 50 * 1024 * 1024 && !response.destroyed) {
          sent += chunk.length;
          if (!response.write(chunk)) return void response.once('drain', more);
        }
        response.end();
      };
      more();
    });
    const url = await listen(server);
    closers.push(() => close(server));
    await api.putWorkflow('HUGE', [{ url }]);

    const { ticket } = await api.transitionedTicket('HUGE');

    const [attempt] = await api.attempts(ticket, 1);
    expect(attempt).toMatchObject({ status: 'succeeded', status_code: 200 });
    expect(attempt?.response_excerpt).toBe('x'.repeat(4096));
  });

  it('fails with tls when the receiver shows a self-signed certificate, and sends it nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kera-outbound-tls-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const [key, cert] = [join(dir, 'key.pem'), join(dir, 'cert.pem')];
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
      ].concat(['-keyout', key, '-out', cert]),
      { stdio: 'ignore' },
    );
    let requests = 0;
    const server = https.createServer(
      { key: readFileSync(key), cert: readFileSync(cert) },
      (_request, response) => {
        requests += 1;
        response.end('ok');
      },
    );
    const url = (await listen(server)).replace('http:', 'https:');
    closers.push(() => close(server));
    await api.putWorkflow('TLS', [{ url }]);

    const { ticket } = await api.transitionedTicket('TLS');

    const [attempt] = await api.attempts(ticket, 1);
    expect(attempt).toMatchObject({ status: 'failed', status_code: null, error: { class: 'tls' } });
    expect(requests).toBe(0);
  });

  it('sends 20 actions of one transition as 20 POSTs with 20 delivery ids, all recorded', async () => {
    const target = await receiver();
    const actions = Array.from({ length: 20 }, (_, index) => ({ url: `${target.url}/a${index}` }));
    await api.putWorkflow('TWENTY', actions);

    const { ticket } = await api.transitionedTicket('TWENTY');

    const requests = await target.waitFor(20);
    const ids = new Set(requests.map((request) => request.headers['x-kera-delivery']));
    expect(ids.size).toBe(20);
    expect(new Set(requests.map((request) => request.url)).size).toBe(20);
    const attempts = await api.attempts(ticket, 20);
    expect(new Set(attempts.map((attempt) => attempt.delivery_id))).toEqual(ids);
    expect(attempts.map((attempt) => attempt.action_index).sort((a, b) => a - b)).toEqual(
      actions.map((_, index) => index),
    );
    expect(attempts.every((attempt) => attempt.status === 'succeeded')).toBe(true);
  });

  it('records a connection error when the receiver process is killed mid-request', async () => {
    const child = spawn(process.execPath, ['-e', RECEIVER_PROCESS], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    closers.push(async () => child.kill('SIGKILL'));
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    const [url] = (await once(lines, 'line')) as [string];
    await api.putWorkflow('KILLED', [{ url }]);

    const requested = once(lines, 'line');
    const { ticket } = await api.transitionedTicket('KILLED');
    await requested;
    child.kill('SIGKILL');

    const [attempt] = await api.attempts(ticket, 1);
    expect(attempt).toMatchObject({ status: 'failed', status_code: null });
    expect(attempt?.error?.class).toBe('connection');
  });

  it('retries a failed delivery when the action opts in, with the same delivery id each time', async () => {
    const target = await receiver((request, response) => {
      response.writeHead(target.requests.indexOf(request) < 2 ? 503 : 200).end();
    });
    await api.putWorkflow('RETRY', [{ url: target.url, retry: { attempts: 3 } }]);

    const { ticket } = await api.transitionedTicket('RETRY');

    const attempts = await api.attempts(ticket, 3);
    await pause(3000);
    expect(target.requests).toHaveLength(3);
    expect(new Set(target.requests.map((request) => request.headers['x-kera-delivery'])).size).toBe(
      1,
    );
    expect(attempts.map(({ attempt, status }) => [attempt, status])).toEqual([
      [3, 'succeeded'],
      [2, 'failed'],
      [1, 'failed'],
    ]);
  });

  it('redelivers by hand with the same delivery id and records it as a redelivery', async () => {
    let answer = 500;
    const target = await receiver((_request, response) => response.writeHead(answer).end());
    await api.putWorkflow('AGAIN', [{ url: target.url }]);
    const { ticket } = await api.transitionedTicket('AGAIN');
    const [failed] = await api.attempts(ticket, 1);
    answer = 200;

    const response = await system.api(`/api/deliveries/${failed?.delivery_id}/redeliver`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ actor: 'ops@example.com' }),
    });

    expect(response.status).toBe(202);
    expect(await response.json()).toMatchObject({ delivery_id: failed?.delivery_id });
    const requests = await target.waitFor(2);
    expect(requests[1]?.headers['x-kera-delivery']).toBe(failed?.delivery_id);
    expect(requests[1]?.body).toBe(requests[0]?.body);
    const [latest] = await api.attempts(ticket, 2);
    expect(latest).toMatchObject({
      delivery_id: failed?.delivery_id,
      attempt: 2,
      status: 'succeeded',
      redelivery: true,
    });
  });

  it('answers 404 when asked to redeliver a delivery that was never recorded', async () => {
    for (const id of ['dlv_aaaaaaaaaaaaaaaaaaaaaaaaaa', 'not-a-delivery']) {
      const response = await system.api(`/api/deliveries/${id}/redeliver`, { method: 'POST' });
      expect(response.status).toBe(404);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('lists the delivery log newest first, filtered by ticket and status, a page at a time', async () => {
    const target = await receiver((request, response) => {
      response.writeHead(request.url.startsWith('/fail') ? 500 : 200).end();
    });
    const paths = ['/ok0', '/fail1', '/ok2', '/fail3', '/ok4'];
    await api.putWorkflow(
      'PAGE',
      paths.map((path) => ({ url: `${target.url}${path}` })),
    );
    const { ticket } = await api.transitionedTicket('PAGE');
    const { ticket: other } = await api.transitionedTicket('PAGE');
    const all = await api.attempts(ticket, 5);
    await api.attempts(other, 5);

    const pages = [];
    let after: string | null = null;
    do {
      const page: { items: unknown[]; next: string | null } = await api.deliveries({
        ticket,
        limit: '2',
        ...(after ? { after } : {}),
      });
      pages.push(page.items);
      after = page.next;
    } while (after);
    const failed = await api.deliveries({ ticket, status: 'failed' });

    expect(pages.map((items) => items.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(all);
    const times = all.map((attempt) => Date.parse(attempt.attempted_at));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
    expect(failed.items.map((attempt) => attempt.url).sort()).toEqual(
      [`${target.url}/fail1`, `${target.url}/fail3`].sort(),
    );
    expect(all.every((attempt) => attempt.ticket_id === ticket)).toBe(true);
  });

  it('answers 400 listing every bad filter of the delivery log', async () => {
    const response = await system.api(
      '/api/deliveries?ticket=not%20a%20ticket&status=lost&limit=0&after=garbage',
    );

    expect(response.status).toBe(400);
    const problem = (await response.json()) as { errors: { field: string }[] };
    expect(problem.errors.map((error) => error.field).sort()).toEqual(
      ['after', 'limit', 'status', 'ticket'].sort(),
    );
  });

  it('records a malformed transition event as a failed delivery and keeps dispatching', async () => {
    const target = await receiver();
    await api.putWorkflow('POISON', [{ url: target.url }]);
    const { environment } = system;
    const nc = await connect({ servers: environment.natsUrl });
    closers.push(() => nc.close());
    const poison = createEvent({
      type: EventTypes.ticketTransitioned,
      source: 'test/poison',
      subject: 'POISON-999',
      data: {
        ticket_id: 'POISON-999',
        project: 'POISON',
        title: 'broken',
        from_state: 'todo',
        to_state: 'done',
        actor: 'max@example.com',
        fields: {},
        workflow_version: 1,
        transitioned_at: 'not a time',
      },
    });
    await nc
      .jetstream()
      .publish(environment.naming.ticketEvents('POISON-999'), JSON.stringify(poison));

    const { ticket } = await api.transitionedTicket('POISON');

    const [broken] = await api.attempts('POISON-999', 1);
    expect(broken).toMatchObject({ status: 'failed', error: { class: 'invalid_event' } });
    await target.waitFor(1);
    expect(target.requests.map((request) => JSON.parse(request.body).ticket_id)).toEqual([ticket]);
  });

  it('counts outcomes by error class and times them in its metrics', async () => {
    const dispatcher = system.services.get('dispatcher');
    const text = await (await fetch(`${dispatcher?.healthUrl}/metrics`)).text();

    expect(text).toMatch(
      /kera_outbound_deliveries_total\{outcome="succeeded",error_class="none"\} [1-9]/,
    );
    expect(text).toMatch(
      /kera_outbound_deliveries_total\{outcome="failed",error_class="timeout"\} [1-9]/,
    );
    expect(text).toMatch(/kera_outbound_delivery_duration_seconds_bucket\{[^}]*outcome="failed"/);
    expect(text).toMatch(/kera_outbound_deliveries_in_flight \d+/);
    expect(text).toMatch(/kera_outbound_retries_scheduled_total [1-9]/);
  });
});

/** A receiver process that prints its URL, then a line when a request arrives, and hangs. */
const RECEIVER_PROCESS = `
const server = require('node:http').createServer(() => console.log('request'));
server.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + server.address().port));
`;

async function listen(server: http.Server | https.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function close(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
}
