import { Writable } from 'node:stream';
import { createLogger, eventLogFields, type Logger } from './logger';

const SECRETS = {
  actionSecret: 'whsec_action_abcdef0123456789',
  integrationSecret: 'integration-secret-0123456789',
  inboundToken: 'inbound-token-0123456789abcdef',
  bearer: 'Bearer admin-token-0123456789abcdef',
  hubSignature: 'sha256=0a1b2c3d4e5f60718293a4b5c6d7e8f9',
  gitlabToken: 'gitlab-token-0123456789',
  standardSignature: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=',
  cookie: 'session=cookie-value-0123456789',
  password: 'db-password-0123456789',
};

/** A logger writing into memory, and the lines it wrote. */
function capture(): { logger: Logger; lines: () => Record<string, unknown>[]; text: () => string } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger('gateway', 'debug', sink);
  const text = () => chunks.join('');
  const lines = () =>
    text()
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines, text };
}

describe('createLogger', () => {
  it('writes JSON lines with the service name, level label and ISO time', () => {
    const { logger, lines } = capture();
    logger.info({ ticket: 'KER-1' }, 'ticket moved');

    const [line] = lines();
    expect(line).toMatchObject({
      service: 'gateway',
      level: 'info',
      ticket: 'KER-1',
      msg: 'ticket moved',
    });
    expect(String(line?.time)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('redacts secrets, tokens, authorization and signature headers wherever they are logged', () => {
    const { logger, text } = capture();
    logger.info(
      {
        secret: SECRETS.integrationSecret,
        token: SECRETS.inboundToken,
        password: SECRETS.password,
        action: { url: 'https://example.com/hook', secret: SECRETS.actionSecret },
        integration: {
          id: 'int_1',
          secret: SECRETS.integrationSecret,
          token: SECRETS.inboundToken,
        },
        req: {
          method: 'POST',
          url: '/api/tickets',
          headers: {
            authorization: SECRETS.bearer,
            cookie: SECRETS.cookie,
            'x-hub-signature-256': SECRETS.hubSignature,
            'x-hub-signature': SECRETS.hubSignature,
            'x-gitlab-token': SECRETS.gitlabToken,
            'webhook-signature': SECRETS.standardSignature,
          },
        },
        headers: { authorization: SECRETS.bearer, 'webhook-signature': SECRETS.standardSignature },
        err: {
          message: 'connect ECONNREFUSED',
          config: { headers: { 'webhook-signature': SECRETS.standardSignature } },
        },
      },
      'everything at once',
    );

    const written = text();
    for (const [name, value] of Object.entries(SECRETS)) {
      expect({ name, leaked: written.includes(value) }).toEqual({ name, leaked: false });
    }
    expect(written).toContain('[redacted]');
    expect(written).toContain('https://example.com/hook');
    expect(written).toContain('"url":"/api/tickets"');
  });

  it('leaves ordinary fields readable', () => {
    const { logger, lines } = capture();
    logger.info({ delivery_id: 'dlv_1', event_type: 'kera.integration.rotated' }, 'rotated');

    expect(lines()[0]).toMatchObject({
      delivery_id: 'dlv_1',
      event_type: 'kera.integration.rotated',
    });
  });
});

describe('eventLogFields', () => {
  it('names the event, ticket, integration, delivery and correlation of an envelope', () => {
    const fields = eventLogFields({
      id: 'evt-1',
      type: 'kera.delivery.failed',
      correlationid: 'corr-1',
      data: { ticket_id: 'KER-7', delivery_id: 'dlv-1', integration_id: 'int-1' },
    });

    expect(fields).toEqual({
      event_id: 'evt-1',
      event_type: 'kera.delivery.failed',
      ticket: 'KER-7',
      integration: 'int-1',
      delivery_id: 'dlv-1',
      correlation_id: 'corr-1',
    });
  });

  it('leaves out what the event does not carry and ignores data that is not an object', () => {
    expect(eventLogFields({ id: 'evt-2', type: 'kera.workflow.updated', data: 'text' })).toEqual({
      event_id: 'evt-2',
      event_type: 'kera.workflow.updated',
    });
  });
});
