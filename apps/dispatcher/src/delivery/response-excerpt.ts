import { finished, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';

/** The start of a response body, and the error that ended reading early if there was one. */
export interface Excerpt {
  text: string;
  error: unknown;
}

/**
 * Reads a response body until it ends or `maxBytes` have arrived, then destroys the stream so
 * nothing more is received: memory holds at most `maxBytes` plus the chunk in hand, however
 * large the body. An aborted `signal` destroys the stream too. Never rejects; an error, or a
 * close before the end, is returned beside what was read before it.
 */
export function readExcerpt(
  body: Readable,
  maxBytes: number,
  signal: AbortSignal,
): Promise<Excerpt> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const abort = () => body.destroy(new Error('response reading aborted'));

    const finish = (error: unknown) => {
      if (done) return;
      done = true;
      signal.removeEventListener('abort', abort);
      resolve({ text: decodeUtf8Prefix(Buffer.concat(chunks, size)), error });
    };

    body.on('data', (chunk: Buffer) => {
      if (done) return;
      const kept = Buffer.from(chunk.subarray(0, maxBytes - size));
      chunks.push(kept);
      size += kept.length;
      if (size < maxBytes) return;
      finish(null);
      body.destroy();
    });
    // Reports the end, an error, or a close before the end (a receiver that went away).
    finished(body, (error) => finish(error ?? null));
    if (signal.aborted) abort();
    else signal.addEventListener('abort', abort, { once: true });
  });
}

/** Decodes UTF-8, replacing invalid sequences and dropping a character cut off at the end. */
function decodeUtf8Prefix(bytes: Buffer): string {
  return new StringDecoder('utf8').write(bytes);
}
