import type { InboundReceivedData } from '@kera/contracts';

/** A stored inbound body read as the provider meant it, or why it cannot be. */
export type PayloadReading = { ok: true; payload: unknown } | { ok: false; reason: string };

const FORM = 'application/x-www-form-urlencoded';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Parses a verified inbound body by its content type: JSON, or (GitHub's
 * other delivery format) a form whose single `payload` field holds the JSON.
 * Never throws; a body that does not read comes back with the reason.
 */
export function parseInboundPayload(body: Uint8Array, contentType: string): PayloadReading {
  let text: string;
  try {
    text = UTF8.decode(body);
  } catch {
    return { ok: false, reason: 'the body is not valid UTF-8' };
  }

  const mediaType = (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
  if (mediaType !== FORM) return parseJson(text);

  const payloads = new URLSearchParams(text).getAll('payload');
  if (payloads.length !== 1) {
    return { ok: false, reason: 'a form-encoded body must carry exactly one payload field' };
  }
  return parseJson(payloads[0] ?? '');
}

function parseJson(text: string): PayloadReading {
  try {
    return { ok: true, payload: JSON.parse(text) };
  } catch {
    return { ok: false, reason: 'the body is not valid JSON' };
  }
}

/** The bytes of a body kept inline in its event; null when it sits in the object store. */
export function inlineBody(
  data: Pick<InboundReceivedData, 'body' | 'body_encoding'>,
): Buffer | null {
  if (data.body === null) return null;
  return Buffer.from(data.body, data.body_encoding === 'base64' ? 'base64' : 'utf8');
}
