import { Readable } from 'node:stream';
import { readExcerpt } from './response-excerpt';

const never = new AbortController().signal;

/** An endless body of `chunk`, counting how many chunks were pulled from it. */
function endless(chunk: Buffer): { body: Readable; pulled: () => number } {
  let count = 0;
  const body = new Readable({
    read() {
      count += 1;
      this.push(chunk);
    },
  });
  return { body, pulled: () => count };
}

describe('readExcerpt', () => {
  it('returns a short body whole', async () => {
    const excerpt = await readExcerpt(
      Readable.from([Buffer.from('{"ok":'), Buffer.from('1}')]),
      4096,
      never,
    );

    expect(excerpt).toEqual({ text: '{"ok":1}', error: null });
  });

  it('stops after maxBytes of an endless body and destroys it', async () => {
    const { body, pulled } = endless(Buffer.alloc(1000, 'a'));

    const excerpt = await readExcerpt(body, 4096, never);

    expect(excerpt).toEqual({ text: 'a'.repeat(4096), error: null });
    expect(body.destroyed).toBe(true);
    expect(pulled()).toBeLessThan(100);
  });

  it('keeps only maxBytes of a single chunk larger than the limit', async () => {
    const excerpt = await readExcerpt(Readable.from([Buffer.alloc(65536, 'b')]), 4096, never);

    expect(excerpt.text).toHaveLength(4096);
  });

  it('drops a multibyte character that the limit cuts in half', async () => {
    // 4095 ASCII bytes, then the 4 bytes of an emoji: only its first byte is within the limit.
    const body = Readable.from([Buffer.from('x'.repeat(4095) + '🚀 after')]);

    const excerpt = await readExcerpt(body, 4096, never);

    expect(excerpt.text).toBe('x'.repeat(4095));
  });

  it('decodes invalid UTF-8 as replacement characters', async () => {
    const body = Readable.from([Buffer.from([0x6f, 0x6b, 0xff, 0xfe, 0x21])]);

    const excerpt = await readExcerpt(body, 4096, never);

    expect(excerpt.text).toBe('ok\ufffd\ufffd!');
  });

  it('returns what arrived before a stream error, with the error', async () => {
    const failure = new Error('socket went away');
    async function* failing() {
      yield Buffer.from('partial');
      throw failure;
    }

    const excerpt = await readExcerpt(Readable.from(failing()), 4096, never);

    expect(excerpt).toEqual({ text: 'partial', error: failure });
  });

  it('reports a body closed before its end as an error', async () => {
    const body = new Readable({ read() {} });
    body.push('cut');
    setImmediate(() => body.destroy());

    const excerpt = await readExcerpt(body, 4096, never);

    expect(excerpt.text).toBe('cut');
    expect(excerpt.error).toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
  });

  it('destroys the body when the signal aborts', async () => {
    const body = new Readable({ read() {} });
    body.push('slow start');
    const deadline = new AbortController();
    setImmediate(() => deadline.abort());

    const excerpt = await readExcerpt(body, 4096, deadline.signal);

    expect(excerpt.text).toBe('slow start');
    expect(excerpt.error).toBeInstanceOf(Error);
    expect(body.destroyed).toBe(true);
  });
});
