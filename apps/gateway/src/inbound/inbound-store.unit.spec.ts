import { createEvent } from '@kera/contracts';
import { fitsInline } from './inbound-store';

const MiB = 1024 * 1024;

function eventWithBody(body: string) {
  return createEvent({
    type: 'kera.inbound.received',
    source: 'test',
    subject: 'i-1',
    data: { body },
  });
}

describe('whether an inbound event fits in one NATS message', () => {
  it('lets a small body in whatever it holds', () => {
    const quotes = '"'.repeat(10_000);

    expect(fitsInline(eventWithBody(quotes), quotes.length, MiB)).toBe(true);
  });

  it('measures a large body as it will be sent, escapes included', () => {
    const plain = 'a'.repeat(600 * 1024);
    const quotes = '"'.repeat(600 * 1024);

    expect(fitsInline(eventWithBody(plain), plain.length, MiB)).toBe(true);
    expect(fitsInline(eventWithBody(quotes), quotes.length, MiB)).toBe(false);
  });

  it('measures against the payload limit the server announced', () => {
    const body = 'a'.repeat(100 * 1024);

    expect(fitsInline(eventWithBody(body), body.length, 64 * 1024)).toBe(false);
    expect(fitsInline(eventWithBody(body), body.length, 8 * MiB)).toBe(true);
  });
});
