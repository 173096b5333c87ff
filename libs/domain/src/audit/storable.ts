/**
 * Values as Postgres will give them back. An audit entry is hashed before
 * it is stored and checked after it is read, so anything Postgres would
 * refuse or silently change must be settled first, the same way every time.
 */

const NUL = String.fromCharCode(0);
// A high surrogate not followed by a low one, or a low one not preceded by a high one.
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const REPLACEMENT = '\ufffd';
/** Any surrogate; text with none (and no NUL) is returned as it is, the common case. */
const SURROGATE = /[\ud800-\udfff]/;

/** Deepest nesting kept in a payload; Postgres' jsonb parser has a stack limit too. */
export const MAX_JSON_DEPTH = 64;

/** Raised when a value cannot be stored as it is (too deeply nested). */
export class UnstorableValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnstorableValueError';
  }
}

/**
 * Text Postgres stores unchanged: NUL (refused by `text` and `jsonb`) and
 * unpaired UTF-16 surrogates (refused by `jsonb`, replaced when encoded as
 * UTF-8 for `text`) become U+FFFD.
 */
export function storableText(value: string): string {
  if (!value.includes(NUL) && !SURROGATE.test(value)) return value;
  return value.replaceAll(NUL, REPLACEMENT).replace(LONE_SURROGATE, REPLACEMENT);
}

/**
 * Text for an indexed column: storable and at most `maxLength` UTF-16 code
 * units, cut before a surrogate pair rather than through it (a btree entry
 * is limited to about 2.7 kB).
 */
export function indexableText(value: string, maxLength: number): string {
  const text = storableText(value);
  if (text.length <= maxLength) return text;
  const cut = /[\ud800-\udbff]/.test(text.charAt(maxLength - 1)) ? maxLength - 1 : maxLength;
  return text.slice(0, cut);
}

/**
 * A JSON value (as JSON.parse returns) that jsonb stores and gives back
 * unchanged: every string and key made storable. The value itself is
 * returned when nothing needed a change, the common case. Throws
 * UnstorableValueError when it nests deeper than MAX_JSON_DEPTH.
 */
export function storableJson(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return storableText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) {
    throw new UnstorableValueError(`nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (Array.isArray(value)) return mapItems(value, (item) => storableJson(item, depth + 1));
  return mapMembers(value as Record<string, unknown>, (key, item) => [
    storableText(key),
    storableJson(item, depth + 1),
  ]);
}

/** The array with each item mapped; the array itself when no item changes. */
export function mapItems(array: readonly unknown[], map: (item: unknown) => unknown): unknown[] {
  let copy: unknown[] | null = null;
  for (let i = 0; i < array.length; i += 1) {
    const item = map(array[i]);
    if (item !== array[i]) copy ??= array.slice();
    if (copy) copy[i] = item;
  }
  return copy ?? (array as unknown[]);
}

/**
 * The object with each member's name and value mapped; the object itself
 * when none changes. Members are defined as data, so a "__proto__" name
 * stays a name.
 */
export function mapMembers(
  record: Record<string, unknown>,
  map: (key: string, value: unknown) => [string, unknown],
): Record<string, unknown> {
  const keys = Object.keys(record);
  let members: [string, unknown][] | null = null;
  for (let i = 0; i < keys.length; i += 1) {
    const key = keys[i] as string;
    const [name, value] = map(key, record[key]);
    if (!members && (name !== key || value !== record[key])) {
      members = keys.slice(0, i).map((kept) => [kept, record[kept]]);
    }
    members?.push([name, value]);
  }
  return members ? Object.fromEntries(members) : record;
}

/**
 * An event time as it is stored: ISO 8601 UTC with milliseconds. Null when
 * the text is not a time or lies outside the years 1 to 9999 (a timestamptz
 * read back would not be the same).
 */
export function storableTime(value: string): string | null {
  const date = new Date(value);
  const year = date.getUTCFullYear();
  if (Number.isNaN(date.getTime()) || year < 1 || year > 9999) return null;
  return date.toISOString();
}
