import { inboundUrl } from './inbound-url';

describe('inbound URLs', () => {
  it('is the path alone without a public URL', () => {
    expect(inboundUrl(null, 'acme-api', 'tok')).toBe('/webhooks/inbound/acme-api/tok');
  });

  it('joins the public URL and the path with one slash, keeping the public path', () => {
    expect(inboundUrl('https://hooks.example.com', 'a', 't')).toBe(
      'https://hooks.example.com/webhooks/inbound/a/t',
    );
    expect(inboundUrl('https://example.com/kera/', 'a', 't')).toBe(
      'https://example.com/kera/webhooks/inbound/a/t',
    );
  });
});
