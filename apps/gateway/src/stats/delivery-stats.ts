import type { DataSource } from 'typeorm';
import { BadRequestError } from '@kera/contracts';

/** Bucket sizes the delivery statistics answer in, by their query name. */
export const BUCKETS = { '1m': 60, '5m': 300, '15m': 900, '1h': 3600, '1d': 86_400 } as const;
export type BucketName = keyof typeof BUCKETS;

const DEFAULT_BUCKETS = 60;
const MAX_BUCKETS = 1440;

export interface DeliveryStatsQuery {
  bucket: BucketName;
  /** How many buckets, ending with the one that holds `now`. */
  buckets: number;
}

export interface DeliveryBucket {
  /** Start of the bucket, ISO 8601 UTC. */
  start: string;
  succeeded: number;
  failed: number;
}

export interface DeliveryStats {
  bucket: BucketName;
  bucket_seconds: number;
  since: string;
  until: string;
  items: DeliveryBucket[];
  totals: { succeeded: number; failed: number };
}

/** Reads `?bucket=&buckets=`; every problem is reported at once. */
export function parseStatsQuery(query: Record<string, unknown>): DeliveryStatsQuery {
  const problems: { field: string; message: string }[] = [];
  const bucket = query.bucket ?? '1m';
  if (typeof bucket !== 'string' || !Object.hasOwn(BUCKETS, bucket)) {
    problems.push({
      field: 'bucket',
      message: `must be one of ${Object.keys(BUCKETS).join(', ')}`,
    });
  }
  const buckets =
    query.buckets === undefined || query.buckets === '' ? DEFAULT_BUCKETS : Number(query.buckets);
  if (!Number.isInteger(buckets) || buckets < 1 || buckets > MAX_BUCKETS) {
    problems.push({ field: 'buckets', message: `must be an integer from 1 to ${MAX_BUCKETS}` });
  }
  if (problems.length > 0) {
    throw new BadRequestError('the statistics query is not valid', problems);
  }
  return { bucket: bucket as BucketName, buckets };
}

/** The time range of `count` buckets of `seconds`, the last one holding `now`. */
export function bucketRange(
  now: Date,
  seconds: number,
  count: number,
): { since: Date; until: Date } {
  const size = seconds * 1000;
  const until = Math.floor(now.getTime() / size) * size + size;
  return { since: new Date(until - count * size), until: new Date(until) };
}

/**
 * Outbound deliveries per time bucket, from the dispatcher's `deliveries`
 * read model. The table has no index on `attempted_at`; rows are inserted
 * in time order, so the scan is bounded by the primary key instead: it
 * starts after the newest row older than the range. A row written out of
 * order at the very edge of the range (milliseconds apart across
 * dispatcher instances) may be left out of the first bucket.
 */
export async function deliveryStats(
  db: DataSource,
  query: DeliveryStatsQuery,
  now = new Date(),
): Promise<DeliveryStats> {
  const seconds = BUCKETS[query.bucket];
  const { since, until } = bucketRange(now, seconds, query.buckets);

  const rows: { bucket: string; succeeded: string; failed: string }[] = await db.query(
    `WITH floor_row AS (
       SELECT id FROM deliveries WHERE attempted_at < $1 ORDER BY id DESC LIMIT 1
     )
     SELECT floor(extract(epoch FROM attempted_at) / $3)::bigint AS bucket,
            count(*) FILTER (WHERE status = 'succeeded') AS succeeded,
            count(*) FILTER (WHERE status = 'failed') AS failed
       FROM deliveries
      WHERE id > coalesce((SELECT id FROM floor_row), 0)
        AND attempted_at >= $1 AND attempted_at < $2
      GROUP BY 1`,
    [since.toISOString(), until.toISOString(), seconds],
  );

  return summarize(rows, since, seconds, query);
}

function summarize(
  rows: { bucket: string; succeeded: string; failed: string }[],
  since: Date,
  seconds: number,
  query: DeliveryStatsQuery,
): DeliveryStats {
  const counted = new Map(rows.map((row) => [Number(row.bucket), row]));
  const first = since.getTime() / 1000 / seconds;
  const items: DeliveryBucket[] = [];
  const totals = { succeeded: 0, failed: 0 };
  for (let index = 0; index < query.buckets; index += 1) {
    const row = counted.get(first + index);
    const bucket = {
      start: new Date((first + index) * seconds * 1000).toISOString(),
      succeeded: Number(row?.succeeded ?? 0),
      failed: Number(row?.failed ?? 0),
    };
    totals.succeeded += bucket.succeeded;
    totals.failed += bucket.failed;
    items.push(bucket);
  }
  const until = new Date(since.getTime() + query.buckets * seconds * 1000);
  return {
    bucket: query.bucket,
    bucket_seconds: seconds,
    since: since.toISOString(),
    until: until.toISOString(),
    items,
    totals,
  };
}
