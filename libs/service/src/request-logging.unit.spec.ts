import { Writable } from 'node:stream';
import Fastify from 'fastify';
import { createLogger, type LogLevel } from '@kera/config';
import {
  CORRELATION_HEADER,
  installRequestLogging,
  isProbe,
  loggableUrl,
  requestCorrelationId,
  requestLogLevel,
} from './request-logging';

describe('request logging', () => {
  it('replaces the secret token of an inbound webhook URL', () => {
    expect(loggableUrl('/webhooks/inbound/acme-github/s3cr3t-token?x=1')).toBe(
      '/webhooks/inbound/acme-github/[redacted]?x=1',
    );
    expect(loggableUrl('/webhooks/inbound/acme-github/s3cr3t-token/extra')).toBe(
      '/webhooks/inbound/acme-github/[redacted]/extra',
    );
    expect(loggableUrl('/api/tickets/KER-1')).toBe('/api/tickets/KER-1');
  });

  it('treats health, readiness and metrics scrapes as probes and nothing else', () => {
    for (const url of ['/healthz', '/readyz', '/metrics', '/readyz?verbose=1']) {
      expect({ url, probe: isProbe(url) }).toEqual({ url, probe: true });
    }
    for (const url of ['/api/metrics-report', '/healthzz', '/dashboard', '/api/audit']) {
      expect({ url, probe: isProbe(url) }).toEqual({ url, probe: false });
    }
  });

  it('keeps a sane caller correlation id and replaces an odd or missing one', () => {
    expect(requestCorrelationId({ [CORRELATION_HEADER]: 'req-42.a:b' })).toBe('req-42.a:b');
    const odd = requestCorrelationId({ [CORRELATION_HEADER]: 'has spaces\nand newline' });
    expect(odd).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestCorrelationId({})).toMatch(/^[0-9a-f-]{36}$/);
    expect(requestCorrelationId({ [CORRELATION_HEADER]: 'x'.repeat(129) })).not.toBe(
      'x'.repeat(129),
    );
  });

  it('logs only a 5xx at error; every other answer is a debug line', () => {
    expect(requestLogLevel(500)).toBe('error');
    expect(requestLogLevel(503)).toBe('error');
    expect(requestLogLevel(202)).toBe('debug');
    expect(requestLogLevel(401)).toBe('debug');
    expect(requestLogLevel(404)).toBe('debug');
  });
});

describe('request logging on a Fastify server', () => {
  async function serverLoggingAt(level: LogLevel) {
    const chunks: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    });
    const fastify = Fastify();
    installRequestLogging(fastify, createLogger('test', level, sink));
    fastify.get('/echo', async (request) => ({ id: request.headers[CORRELATION_HEADER] }));
    fastify.post('/webhooks/inbound/:slug/:token', async (_request, reply) =>
      reply.code(202).send(),
    );
    fastify.get('/boom', async (_request, reply) => reply.code(503).send());
    fastify.get('/healthz', async () => ({ status: 'ok' }));
    await fastify.ready();
    const lines = () =>
      chunks
        .join('')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, any>);
    return { fastify, lines };
  }

  it('hands a new correlation id to the request and echoes it in the response', async () => {
    const { fastify } = await serverLoggingAt('info');

    const fresh = await fastify.inject({ method: 'GET', url: '/echo' });
    const given = await fastify.inject({
      method: 'GET',
      url: '/echo',
      headers: { [CORRELATION_HEADER]: 'caller-7' },
    });

    expect(fresh.json().id).toMatch(/^[0-9a-f-]{36}$/);
    expect(fresh.headers[CORRELATION_HEADER]).toBe(fresh.json().id);
    expect(given.json().id).toBe('caller-7');
    expect(given.headers[CORRELATION_HEADER]).toBe('caller-7');
    await fastify.close();
  });

  it('writes nothing for answered requests at info, and an error line for a 5xx', async () => {
    const { fastify, lines } = await serverLoggingAt('info');

    await fastify.inject({ method: 'GET', url: '/echo' });
    await fastify.inject({ method: 'POST', url: '/webhooks/inbound/acme/s3cr3t' });
    await fastify.inject({ method: 'GET', url: '/boom' });

    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({
      level: 'error',
      msg: 'request completed',
      req: { method: 'GET', url: '/boom' },
      res: { status_code: 503 },
    });
    await fastify.close();
  });

  it('at debug, logs each request with its correlation id and the inbound token masked', async () => {
    const { fastify, lines } = await serverLoggingAt('debug');

    await fastify.inject({
      method: 'POST',
      url: '/webhooks/inbound/acme/s3cr3t',
      headers: { [CORRELATION_HEADER]: 'caller-8' },
    });
    await fastify.inject({ method: 'GET', url: '/healthz' });

    expect(lines()).toHaveLength(1);
    expect(lines()[0]).toMatchObject({
      level: 'debug',
      correlation_id: 'caller-8',
      req: { method: 'POST', url: '/webhooks/inbound/acme/[redacted]' },
      res: { status_code: 202 },
      response_time_ms: expect.any(Number),
    });
    expect(JSON.stringify(lines())).not.toContain('s3cr3t');
    await fastify.close();
  });
});
