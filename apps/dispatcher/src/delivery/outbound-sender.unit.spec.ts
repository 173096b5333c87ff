import { InvalidAllowRangeError } from './address-guard';
import { OutboundSender, type OutboundRequest } from './outbound-sender';

const request: OutboundRequest = {
  url: 'https://hooks.example.com/kera',
  body: '{}',
  headers: {},
  timeoutMs: 1000,
};

describe('OutboundSender configuration', () => {
  it('rejects an allow list entry that is not a CIDR range', () => {
    expect(
      () => new OutboundSender({ allow: ['10.0.0.0/8', '10.0.0.0/40'], userAgentVersion: '1.0.0' }),
    ).toThrow(InvalidAllowRangeError);
  });

  it.each([0, -1, 1.5, 2 * 1024 * 1024])('rejects maxResponseBytes %p', (maxResponseBytes) => {
    expect(
      () => new OutboundSender({ allow: [], maxResponseBytes, userAgentVersion: '1.0.0' }),
    ).toThrow(/maxResponseBytes must be an integer from 1 to 1048576/);
  });

  it.each(['', '1.0 beta', '1.0\r\nX-Evil: 1'])('rejects the version %j', (userAgentVersion) => {
    expect(() => new OutboundSender({ allow: [], userAgentVersion })).toThrow(
      /userAgentVersion must be a version/,
    );
  });
});

describe('OutboundSender refusing before any I/O', () => {
  const sender = new OutboundSender({ allow: [], userAgentVersion: '1.0.0' });
  afterAll(() => sender.close());

  it.each([
    ['ftp://files.example.com/x', 'url scheme ftp: is not http: or https:'],
    ['file:///etc/passwd', 'url scheme file: is not http: or https:'],
    ['data:text/plain,hello', 'url scheme data: is not http: or https:'],
    ['not a url', 'url is not a valid absolute URL'],
    ['/relative/path', 'url is not a valid absolute URL'],
  ])('answers invalid_url for %s', async (url, message) => {
    const result = await sender.send({ ...request, url });

    expect(result).toEqual({
      ok: false,
      status_code: null,
      duration_ms: expect.any(Number),
      error: { class: 'invalid_url', message },
      response_excerpt: '',
    });
  });

  it.each([
    ['http://127.0.0.1:8080/', '127.0.0.1', 'loopback'],
    ['http://[::1]/', '::1', 'loopback'],
    ['https://169.254.169.254/latest/meta-data/', '169.254.169.254', 'linkLocal'],
    ['http://[::ffff:10.0.0.1]/', '::ffff:a00:1', 'ipv4Mapped private'],
    ['http://2130706433/', '127.0.0.1', 'loopback'],
    ['http://0/', '0.0.0.0', 'unspecified'],
  ])('refuses the IP literal in %s', async (url, address, range) => {
    const result = await sender.send({ ...request, url });

    expect(result.error).toEqual({
      class: 'refused_address',
      message: `refused to connect to ${address}: ${range} address; add a KERA_OUTBOUND_ALLOW range to permit it`,
    });
    expect(result.ok).toBe(false);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])(
    'refuses a timeout of %p ms',
    async (timeoutMs) => {
      const result = await sender.send({ ...request, timeoutMs });

      expect(result.error).toEqual({
        class: 'other',
        message: 'timeoutMs must be from 1 to 2147483647',
      });
    },
  );
});
