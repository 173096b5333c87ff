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

/** Most delivery ids asked about, and most written, in one statement. */
const MAX_BATCH = 500;
/** How long the first question or write waits for others to join its statement. */
const LINGER_MS = 1;

/** A question or a write waiting for the next statement, and the caller waiting for it. */
interface Pending<T> {
  integrationId: string;
  deliveryId: string;
  settle: { resolve(value: T): void; reject(error: unknown): void };
}

interface PendingWrite extends Pending<boolean> {
  eventId: string;
}

interface LedgerRow {
  kind: 'found' | 'inserted';
  integration_id: string;
  delivery_id: string;
}

/**
 * The delivery ids accepted per integration: the deduplication that outlives JetStream's
 * two-minute duplicate window. A row exists only for a delivery whose event was stored.
 *
 * Questions ("accepted before?") and writes ("remember this one") share round trips: one
 * statement runs at a time, answering every question and writing every id that arrived since
 * the last one began. Under load a webhook costs a fraction of a statement instead of two, and
 * a flood of requests costs Postgres one statement at a time. A statement that fails (Postgres
 * down) fails every question and write in it.
 */
@Injectable()
export class InboundDeliveries {
  private questions: Pending<boolean>[] = [];
  private writes: PendingWrite[] = [];
  private running = false;

  constructor(private readonly db: DataSource) {}

  /** Whether the integration accepted this delivery id before. */
  wasAccepted(integrationId: string, deliveryId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.questions.push({ integrationId, deliveryId, settle: { resolve, reject } });
      this.schedule();
    });
  }

  /** Which of `deliveryIds` the integration accepted before. */
  async acceptedAmong(integrationId: string, deliveryIds: readonly string[]): Promise<Set<string>> {
    const answers = await Promise.all(
      deliveryIds.map((deliveryId) => this.wasAccepted(integrationId, deliveryId)),
    );
    return new Set(deliveryIds.filter((_, index) => answers[index]));
  }

  /**
   * Remembers a stored delivery; false when it was remembered already (two identical requests
   * at once, both stored by JetStream as one event).
   */
  remember(integrationId: string, deliveryId: string, eventId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.writes.push({ integrationId, deliveryId, eventId, settle: { resolve, reject } });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.running) return;
    this.running = true;
    // Waiting a millisecond before asking lets the requests of that millisecond ask and write
    // together: a statement costs the gateway and Postgres far more than the rows in it.
    setTimeout(() => void this.runWaiting(), LINGER_MS);
  }

  private async runWaiting(): Promise<void> {
    while (this.questions.length > 0 || this.writes.length > 0) {
      const questions = this.questions.splice(0, MAX_BATCH);
      const writes = this.writes.splice(0, MAX_BATCH);
      try {
        const rows = await this.askAndWrite(questions, writes);
        settleQuestions(questions, rows);
        settleWrites(writes, rows);
      } catch (error) {
        for (const pending of [...questions, ...writes]) pending.settle.reject(error);
      }
    }
    this.running = false;
  }

  /**
   * One statement: which of the asked ids exist, and the insert of the new ones. The question
   * sees the table as it was before this statement's insert, as if it had been asked first.
   */
  private askAndWrite(
    questions: readonly Pending<boolean>[],
    writes: readonly PendingWrite[],
  ): Promise<LedgerRow[]> {
    return this.db.query(
      `WITH found AS (
         SELECT d.integration_id, d.delivery_id
           FROM unnest($1::text[], $2::text[]) AS asked (integration_id, delivery_id)
           JOIN inbound_deliveries AS d USING (integration_id, delivery_id)
       ), inserted AS (
         INSERT INTO inbound_deliveries (integration_id, delivery_id, event_id)
         SELECT * FROM unnest($3::text[], $4::text[], $5::text[])
         ON CONFLICT DO NOTHING
         RETURNING integration_id, delivery_id
       )
       SELECT 'found' AS kind, integration_id, delivery_id FROM found
       UNION ALL
       SELECT 'inserted' AS kind, integration_id, delivery_id FROM inserted`,
      [
        questions.map((pending) => pending.integrationId),
        questions.map((pending) => pending.deliveryId),
        writes.map((pending) => pending.integrationId),
        writes.map((pending) => pending.deliveryId),
        writes.map((pending) => pending.eventId),
      ],
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

function settleQuestions(questions: readonly Pending<boolean>[], rows: readonly LedgerRow[]): void {
  const found = new Set(
    rows
      .filter((row) => row.kind === 'found')
      .map((row) => deliveryKey(row.integration_id, row.delivery_id)),
  );
  for (const pending of questions) {
    pending.settle.resolve(found.has(deliveryKey(pending.integrationId, pending.deliveryId)));
  }
}

/** Per write, whether this statement inserted it: only the first of two identical ids. */
function settleWrites(writes: readonly PendingWrite[], rows: readonly LedgerRow[]): void {
  const inserted = new Set(
    rows
      .filter((row) => row.kind === 'inserted')
      .map((row) => deliveryKey(row.integration_id, row.delivery_id)),
  );
  for (const pending of writes) {
    pending.settle.resolve(inserted.delete(deliveryKey(pending.integrationId, pending.deliveryId)));
  }
}
