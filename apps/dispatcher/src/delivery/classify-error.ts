import { types } from 'node:util';
import { RefusedAddressError } from './address-guard';
import { type DeliveryError, type DeliveryErrorClass } from './delivery-result';

const MAX_MESSAGE_CHARS = 300;

const CLASS_BY_CODE: Readonly<Record<string, DeliveryErrorClass>> = {
  ETIMEDOUT: 'timeout',
  ESOCKETTIMEDOUT: 'timeout',
  ECONNREFUSED: 'connection',
  ECONNRESET: 'connection',
  ECONNABORTED: 'connection',
  EPIPE: 'connection',
  EHOSTUNREACH: 'connection',
  EHOSTDOWN: 'connection',
  ENETUNREACH: 'connection',
  ENETDOWN: 'connection',
  EADDRNOTAVAIL: 'connection',
  ERR_STREAM_PREMATURE_CLOSE: 'connection',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NODATA: 'dns',
  EAI_NONAME: 'dns',
  ENODATA: 'dns',
  EPROTO: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  HOSTNAME_MISMATCH: 'tls',
  ERR_INVALID_URL: 'invalid_url',
};
// OpenSSL verification codes and Node's TLS errors come in families too large to list.
const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_)/;

/**
 * Maps an error raised while sending (by axios, Node's http/net/tls/dns, or the address guard)
 * to a delivery error class and a one-line message. It follows the `cause` chain, because axios
 * wraps the socket's error, and looks for the first code it knows. The deadline is not visible
 * here: the sender reports its own timeouts.
 */
export function classifyError(error: unknown): DeliveryError {
  const chain = causeChain(error);
  const root = chain[chain.length - 1];
  const message = oneLine(isError(root) ? root.message : String(error));

  if (chain.some((link) => link instanceof RefusedAddressError)) {
    return { class: 'refused_address', message };
  }
  return { class: classOfCodes(chain.map(codeOf)), message };
}

function classOfCodes(codes: (string | undefined)[]): DeliveryErrorClass {
  for (const code of codes) {
    if (code === undefined) continue;
    const known = CLASS_BY_CODE[code] ?? (TLS_CODE.test(code) ? 'tls' : undefined);
    if (known) return known;
  }
  return 'other';
}

function causeChain(error: unknown): unknown[] {
  const chain = [error];
  let current = error;
  while (isError(current) && current.cause !== undefined && chain.length < 10) {
    current = current.cause;
    chain.push(current);
  }
  return chain;
}

function codeOf(error: unknown): string | undefined {
  const code = isError(error) ? (error as NodeJS.ErrnoException).code : undefined;
  return typeof code === 'string' ? code : undefined;
}

// Unlike instanceof, this also recognises errors created in another realm (a vm context).
function isError(value: unknown): value is Error {
  return types.isNativeError(value);
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim() || 'unknown error';
  return flat.length > MAX_MESSAGE_CHARS ? `${flat.slice(0, MAX_MESSAGE_CHARS - 1)}…` : flat;
}
