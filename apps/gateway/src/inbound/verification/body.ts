import { isUtf8 } from 'node:buffer';
import type { BodyKind } from './content-type';
import { isJsonObjectText } from './json-object-text';
import { reject } from './rejection';
import type { RejectedInbound } from './types';

/** A parsed JSON object, the only top-level shape a delivery may have. */
export type JsonObject = Record<string, unknown>;

type Parsed = { ok: true; value: JsonObject } | RejectedInbound;
type Checked = { ok: true; value: JsonObject | null } | RejectedInbound;

/** A leading byte order mark, dropped before parsing as TextDecoder would drop it. */
const BYTE_ORDER_MARK = '\uFEFF';

/**
 * Checks that a body that has already been verified (call it on nothing else) holds one JSON
 * object, and parses it when `parse` asks for its value; the value is null otherwise.
 */
export function readBody(body: Buffer, kind: BodyKind, parse: boolean): Checked {
  // The common case checked without building anything; every other case, a refusal included
  // (for its exact reason), goes through the parser.
  if (kind === 'json' && !parse && isUtf8(body) && isJsonObjectText(body)) {
    return { ok: true, value: null };
  }
  return parseBody(body, kind);
}

/** Parses a body that has already been verified; call it on nothing else. */
export function parseBody(body: Buffer, kind: BodyKind): Parsed {
  const text = decodeUtf8(body);
  if (text === undefined) return reject('unreadable_body', 'the body is not valid UTF-8');
  return kind === 'form' ? parseFormPayload(text) : parseJsonObject(text);
}

function parseFormPayload(text: string): Parsed {
  const payloads = new URLSearchParams(text).getAll('payload');
  if (payloads.length !== 1) {
    return reject('unreadable_body', 'a form-encoded body must carry exactly one payload field');
  }
  return parseJsonObject(payloads[0] ?? '');
}

function parseJsonObject(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // The parser's message quotes the body, which is not ours to echo back.
    return reject('unreadable_body', 'the body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('unreadable_body', 'the body must be a JSON object');
  }
  return { ok: true, value: value as JsonObject };
}

/**
 * Strict UTF-8: a body with invalid bytes is refused rather than silently patched, since the
 * patched text would no longer be what the sender signed. The check is native and allocates
 * nothing; only a valid body is turned into text.
 */
function decodeUtf8(body: Buffer): string | undefined {
  if (!isUtf8(body)) return undefined;
  const text = body.toString('utf8');
  return text.startsWith(BYTE_ORDER_MARK) ? text.slice(1) : text;
}
