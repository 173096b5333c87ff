import { isRecord } from '@kera/contracts';
import { REDACTED, mapItems, mapMembers } from '@kera/domain';

/**
 * Keys whose values are credentials: a name or its last `-`/`_` part, such
 * as `secret`, `client_secret`, `access_token`, `x-gitlab-token`,
 * `x-hub-signature-256` or `Authorization`.
 */
const SECRET_KEY =
  /(^|[-_.])(secrets?|tokens?|passwords?|passwd|passphrase|authorization|api[-_]?keys?|private[-_]?keys?|cookies?|signatures?)([-_]\d+)?$/i;

/** Keys whose values are URLs, which may carry a password in their user part. */
const URL_KEY = /(^|_)url$/i;

/**
 * Replaces the values of credential keys at any depth and passwords inside
 * URLs; returns the value itself when it holds none.
 */
export function redactSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return mapItems(value, redactSecrets);
  if (!isRecord(value)) return value;

  return mapMembers(value, (key, item) => {
    if (SECRET_KEY.test(key)) return [key, REDACTED];
    if (URL_KEY.test(key) && typeof item === 'string') return [key, withoutPassword(item)];
    return [key, redactSecrets(item)];
  });
}

function withoutPassword(text: string): string {
  if (!text.includes('@')) return text;
  try {
    const url = new URL(text);
    if (!url.password) return text;
    url.password = REDACTED;
    return url.toString();
  } catch {
    return text;
  }
}
