import { ValidationError } from '@kera/contracts';
import type { ListPosition } from './integrations.repository';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

/** The page size asked for in `limit`; absent means the default. */
export function readLimit(value: unknown): number {
  if (value === undefined || value === '') return DEFAULT_PAGE_SIZE;
  const limit = typeof value === 'string' && /^\d{1,4}$/.test(value) ? Number(value) : NaN;
  if (limit >= 1 && limit <= MAX_PAGE_SIZE) return limit;
  throw new ValidationError('the query is not valid', [
    { field: 'limit', message: `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}` },
  ]);
}

/** The opaque `next` of a page that ends with this integration. */
export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.createdAt.toISOString(), position.id])).toString(
    'base64url',
  );
}

/** Reads a cursor given back in `after`; absent means the first page. */
export function decodeCursor(value: unknown): ListPosition | null {
  if (value === undefined || value === '') return null;
  const position = typeof value === 'string' ? parsePosition(value) : null;
  if (position) return position;
  throw new ValidationError('the query is not valid', [
    { field: 'after', message: 'after must be the next value of an earlier page' },
  ]);
}

function parsePosition(cursor: string): ListPosition | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return null;
  }
  if (!Array.isArray(parsed) || parsed.length !== 2) return null;
  const [time, id] = parsed as unknown[];
  if (typeof time !== 'string' || typeof id !== 'string') return null;
  const createdAt = new Date(time);
  return Number.isNaN(createdAt.getTime()) ? null : { createdAt, id };
}
