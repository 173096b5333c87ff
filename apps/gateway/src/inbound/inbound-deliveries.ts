import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { DataSource } from 'typeorm';
import { LOGGER, type Logger } from '@kera/service';

/**
 * How long an accepted delivery id is remembered. GitHub lets a person redeliver a delivery
 * (same X-GitHub-Delivery) for 3 days; ids are kept for 7, and a delivery sent again after
 * that is accepted as new.
 */
export const DELIVERY_ID_RETENTION_SECONDS = 7 * 24 * 60 * 60;
const PRUNE_EVERY_MS = 60 * 60 * 1000;

/**
 * The delivery ids accepted per integration: the deduplication that outlives JetStream's
 * two-minute duplicate window. A row exists only for a delivery whose event was stored.
 */
@Injectable()
export class InboundDeliveries {
  constructor(private readonly db: DataSource) {}

  async wasAccepted(integrationId: string, deliveryId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      'SELECT 1 FROM inbound_deliveries WHERE integration_id = $1 AND delivery_id = $2',
      [integrationId, deliveryId],
    );
    return rows.length > 0;
  }

  /**
   * Remembers a stored delivery; false when it was remembered already (two identical requests
   * at once, both stored by JetStream as one event).
   */
  async remember(integrationId: string, deliveryId: string, eventId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `INSERT INTO inbound_deliveries (integration_id, delivery_id, event_id)
       VALUES ($1, $2, $3)
       ON CONFLICT DO NOTHING
       RETURNING 1`,
      [integrationId, deliveryId, eventId],
    );
    return rows.length > 0;
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
