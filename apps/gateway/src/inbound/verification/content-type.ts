import { reject } from './rejection';
import type { RejectedInbound } from './types';

/** How a body is to be read: as JSON, or as a form whose `payload` field holds the JSON. */
export type BodyKind = 'json' | 'form';

/** An accepted content type: how to read the body, and the media type without parameters. */
export interface AcceptedContentType {
  ok: true;
  kind: BodyKind;
  media_type: string;
}

const KIND_OF_MEDIA_TYPE: ReadonlyMap<string, BodyKind> = new Map([
  ['application/json', 'json'],
  ['application/x-www-form-urlencoded', 'form'],
]);

/** Charsets whose bytes are UTF-8 (US-ASCII is a subset); JSON on the wire is UTF-8. */
const UTF8_CHARSETS: ReadonlySet<string> = new Set(['utf-8', 'utf8', 'us-ascii']);

/** Media types echoed back in a refusal; anything else is not repeated to the sender. */
const PRINTABLE_MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]{1,64}\/[a-z0-9!#$&^_.+-]{1,64}$/;

/**
 * Classifies a Content-Type header. JSON and form-encoded bodies are accepted, with or without
 * a charset parameter as long as it names UTF-8; anything else, a missing header included, is
 * a 415. Which of the two a provider accepts is the caller's decision.
 */
export function classifyContentType(
  header: string | undefined,
): AcceptedContentType | RejectedInbound {
  const [essence = '', ...parameters] = (header ?? '').split(';');
  const mediaType = essence.trim().toLowerCase();
  if (mediaType === '') {
    return reject('unsupported_content_type', 'Content-Type is missing; send application/json');
  }

  const kind = KIND_OF_MEDIA_TYPE.get(mediaType);
  if (kind === undefined) {
    return reject(
      'unsupported_content_type',
      `${describe(mediaType)} is not supported; send application/json`,
    );
  }

  const charsets = parameterValues(parameters, 'charset');
  if (charsets.length > 1) {
    return reject('unsupported_charset', 'Content-Type names a charset more than once');
  }
  const [charset] = charsets;
  if (charset !== undefined && !UTF8_CHARSETS.has(charset)) {
    return reject('unsupported_charset', 'only the UTF-8 charset is supported; send UTF-8');
  }

  return { ok: true, kind, media_type: mediaType };
}

function parameterValues(parameters: readonly string[], wanted: string): string[] {
  return parameters.flatMap((parameter) => {
    const separator = parameter.indexOf('=');
    if (separator < 0) return [];
    const name = parameter.slice(0, separator).trim().toLowerCase();
    if (name !== wanted) return [];
    return [unquote(parameter.slice(separator + 1).trim()).toLowerCase()];
  });
}

/** Quoted parameter values may escape characters with a backslash (RFC 9110, 5.6.4). */
function unquote(value: string): string {
  if (value.length < 2 || !value.startsWith('"') || !value.endsWith('"')) return value;
  return value.slice(1, -1).replace(/\\(.)/g, '$1');
}

function describe(mediaType: string): string {
  return PRINTABLE_MEDIA_TYPE.test(mediaType) ? `Content-Type ${mediaType}` : 'this Content-Type';
}
