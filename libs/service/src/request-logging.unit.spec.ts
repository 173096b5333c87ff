import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  CORRELATION_HEADER,
  httpLogging,
  isProbe,
  loggableUrl,
  requestCorrelationId,
} from './request-logging';
import { createLogger } from '@kera/config';

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

  it('hands a new correlation id to the request and echoes it in the response', () => {
    const options = httpLogging(createLogger('test', 'silent'));
    const req = { headers: {} } as IncomingMessage;
    const sent: Record<string, string> = {};
    const res = {
      setHeader: (name: string, value: string) => (sent[name] = value),
    } as unknown as ServerResponse;

    const id = options.genReqId?.(req, res);

    expect(id).toEqual(expect.any(String));
    expect(req.headers[CORRELATION_HEADER]).toBe(id);
    expect(sent[CORRELATION_HEADER]).toBe(id);
  });
});
