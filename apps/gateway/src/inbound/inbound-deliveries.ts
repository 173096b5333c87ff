import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LOGGER, type Logger } from '@kera/service';
import { BatchedLookup } from './batched-lookup';

/**
 * How long an accepted delivery id is remembered. GitHub lets a person redeliver a delivery
 * (same X-GitHub-Delivery) for 3 days; ids are kept for 7, and a delivery sent again after
 * that is accepted as new.
 */
export const DELIVERY_ID_RETENTION_SECONDS = 7 * 24 * 60 * 60;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Most delivery ids written in one statement. */
const MAX_WRITE_BATCH = 500;

/** A delivery id waiting to be remembered, and the caller waiting for the answer. */
interface PendingDelivery {
  integrationId: string;
  deliveryId: string;
  eventId: string;
  settle: { resolve(fresh: boolean): void; reject(error: unknown): void };
}

/**
 * The delivery ids accepted per integration: the deduplication that outlives JetStream's
 * two-minute duplicate window. A row exists only for a delivery whose event was stored.
 */
@Injectable()
export class InboundDeliveries {
  private waiting: PendingDelivery[] = [];
  private writing = false;
  private readonly accepted: BatchedLookup<string, true>;

  constructor(private readonly db: DataSource) {
    this.accepted = new BatchedLookup((keys) => this.readAccepted(keys), MAX_WRITE_BATCH);
  }

  /**
   * Whether the integration accepted this delivery id before. The questions of concurrent
   * requests share one statement: under load a duplicate check costs a request no round trip
   * of its own, and a flood of them costs Postgres one statement at a time.
   */
  async wasAccepted(integrationId: string, deliveryId: string): Promise<boolean> {
    return (await this.accepted.get(deliveryKey(integrationId, deliveryId))) === true;
  }

  /** Which of `deliveryIds` the integration accepted before. */
  async acceptedAmong(integrationId: string, deliveryIds: readonly string[]): Promise<Set<string>> {
    const answers = await Promise.all(
      deliveryIds.map((deliveryId) => this.wasAccepted(integrationId, deliveryId)),
    );
    return new Set(deliveryIds.filter((_, index) => answers[index]));
  }

  private async readAccepted(keys: readonly string[]): Promise<Map<string, true>> {
    const pairs = keys.map(splitDeliveryKey);
    const rows: { integration_id: string; delivery_id: string }[] = await this.db.query(
      `SELECT d.integration_id, d.delivery_id
         FROM unnest($1::text[], $2::text[]) AS asked (integration_id, delivery_id)
         JOIN inbound_deliveries AS d USING (integration_id, delivery_id)`,
      [pairs.map((pair) => pair[0]), pairs.map((pair) => pair[1])],
    );
    return new Map(rows.map((row) => [deliveryKey(row.integration_id, row.delivery_id), true]));
  }

  /**
   * Remembers a stored delivery; false when it was remembered already (two identical requests
   * at once, both stored by JetStream as one event). One statement is written at a time, and
   * the deliveries that arrive meanwhile go together into the next: under load a commit serves
   * many deliveries instead of each waiting for its own. A statement that fails (Postgres
   * down) fails every delivery in it.
   */
  remember(integrationId: string, deliveryId: string, eventId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ integrationId, deliveryId, eventId, settle: { resolve, reject } });
      if (this.writing) return;
      this.writing = true;
      // The deliveries JetStream acknowledged in this turn of the event loop go together.
      setImmediate(() => void this.writeWaiting());
    });
  }

  private async writeWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, MAX_WRITE_BATCH);
      try {
        const fresh = await this.insert(batch);
        for (const [index, pending] of batch.entries())
          pending.settle.resolve(fresh[index] ?? false);
      } catch (error) {
        for (const pending of batch) pending.settle.reject(error);
      }
    }
    this.writing = false;
  }

  /** Inserts the batch; per delivery, whether it was remembered by this insert (first only). */
  private async insert(batch: readonly PendingDelivery[]): Promise<boolean[]> {
    const rows: { integration_id: string; delivery_id: string }[] = await this.db.query(
      `INSERT INTO inbound_deliveries (integration_id, delivery_id, event_id)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[])
       ON CONFLICT DO NOTHING
       RETURNING integration_id, delivery_id`,
      [
        batch.map((pending) => pending.integrationId),
        batch.map((pending) => pending.deliveryId),
        batch.map((pending) => pending.eventId),
      ],
    );
    const inserted = new Set(rows.map((row) => deliveryKey(row.integration_id, row.delivery_id)));
    return batch.map((pending) =>
      inserted.delete(deliveryKey(pending.integrationId, pending.deliveryId)),
    );
  }

  /** Forgets delivery ids older than the retention; returns how many. */
  async prune(olderThanSeconds = DELIVERY_ID_RETENTION_SECONDS): Promise<number> {
    const rows: { forgotten: number }[] = await this.db.query(
      `WITH gone AS (
         DELETE FROM inbound_deliveries
          WHERE received_at < now() - make_interval(secs => $1)
          RETURNING 1
       )
       SELECT count(*)::int AS forgotten FROM gone`,
      [olderThanSeconds],
    );
    return rows[0]?.forgotten ?? 0;
  }
}

/** Prunes old delivery ids once an hour; every gateway does it, which is harmless. */
@Injectable()
export class DeliveryIdPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deliveries: InboundDeliveries,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer ??= setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async prune(): Promise<void> {
    try {
      const forgotten = await this.deliveries.prune();
      if (forgotten > 0) this.logger.info({ forgotten }, 'old inbound delivery ids pruned');
    } catch (error) {
      this.logger.warn({ err: error }, 'pruning old inbound delivery ids failed; will try again');
    }
  }
}

function deliveryKey(integrationId: string, deliveryId: string): string {
  return `${integrationId}\u0000${deliveryId}`;
}

function splitDeliveryKey(key: string): [string, string] {
  const at = key.indexOf('\u0000');
  return [key.slice(0, at), key.slice(at + 1)];
}
