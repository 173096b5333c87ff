import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * How long an accepted delivery id is remembered. GitHub lets a person redeliver a delivery
 * (same X-GitHub-Delivery) for 3 days; ids are kept for 7, and a delivery sent again after
 * that is accepted as new.
 */
export const DELIVERY_ID_RETENTION_SECONDS = 7 * 24 * 60 * 60;

/** Most delivery ids asked about in one statement. */
const MAX_BATCH = 500;
/** How long the first question waits for others to join its statement. */
const LINGER_MS = 1;
/** Event ids read from Postgres at once when the gateway builds its filter. */
const LOAD_PAGE = 20_000;

/** A question waiting for the next statement, and the caller waiting for it. */
interface Question {
  integrationId: string;
  deliveryId: string;
  settle: { resolve(value: boolean): void; reject(error: unknown): void };
}

/** An accepted delivery as the INBOUND stream holds it, to be written into the ledger. */
export interface LedgerRow {
  integrationId: string;
  deliveryId: string;
  eventId: string;
}

interface FoundRow {
  integration_id: string;
  delivery_id: string;
}

/**
 * The ledger of delivery ids accepted per integration: the deduplication that outlives
 * JetStream's two-minute duplicate window. A row exists only for a delivery whose event the
 * INBOUND stream holds: rows are projected from the stream (see `InboundLedger`), together
 * with the stream position they reach, in one statement.
 *
 * Questions ("accepted before?") share round trips: one statement runs at a time, answering
 * every question that arrived since the last one began. A statement that fails (Postgres
 * down) fails every question in it.
 */
@Injectable()
export class InboundDeliveries {
  private questions: Question[] = [];
  private running = false;

  constructor(private readonly db: DataSource) {}

  /** Whether the ledger holds this delivery id of the integration. */
  wasAccepted(integrationId: string, deliveryId: string): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.questions.push({ integrationId, deliveryId, settle: { resolve, reject } });
      this.schedule();
    });
  }

  /**
   * The stream position the ledger was written up to; set to `initial` first when none was
   * recorded (a new installation, or one whose ledger was written by each request before).
   */
  async startPosition(stream: string, initial: number): Promise<number> {
    const rows: { seq: string }[] = await this.db.query(
      `WITH added AS (
         INSERT INTO inbound_ledger_positions (stream, seq) VALUES ($1, $2)
         ON CONFLICT (stream) DO NOTHING
         RETURNING seq
       )
       SELECT seq FROM added
       UNION ALL
       SELECT seq FROM inbound_ledger_positions WHERE stream = $1`,
      [stream, initial],
    );
    return Number(rows[0]?.seq ?? initial);
  }

  /**
   * Writes accepted deliveries and, in the same statement, the stream position they reach.
   * Rows written before (by another gateway, or before a crash) are left as they are; the
   * position never moves back. Deliveries of an integration no longer in the table are skipped.
   */
  async write(stream: string, rows: readonly LedgerRow[], position: number): Promise<void> {
    await this.db.query(
      `WITH written AS (
         INSERT INTO inbound_deliveries (integration_id, delivery_id, event_id)
         SELECT row.integration_id, row.delivery_id, row.event_id
           FROM unnest($1::text[], $2::text[], $3::text[])
                AS row (integration_id, delivery_id, event_id)
          WHERE EXISTS (SELECT 1 FROM integrations AS i WHERE i.id = row.integration_id)
         ON CONFLICT DO NOTHING
         RETURNING 1
       )
       INSERT INTO inbound_ledger_positions (stream, seq) VALUES ($4, $5)
       ON CONFLICT (stream) DO UPDATE
         SET seq = GREATEST(inbound_ledger_positions.seq, EXCLUDED.seq)`,
      [
        rows.map((row) => row.integrationId),
        rows.map((row) => row.deliveryId),
        rows.map((row) => row.eventId),
        stream,
        position,
      ],
    );
  }

  /** How many delivery ids the ledger holds. */
  async count(): Promise<number> {
    const rows: { count: string }[] = await this.db.query(
      'SELECT count(*) AS count FROM inbound_deliveries',
    );
    return Number(rows[0]?.count ?? 0);
  }

  /** Hands every event id in the ledger to `take`, a page at a time. */
  async eachEventId(take: (eventIds: readonly string[]) => void): Promise<void> {
    let after: [string, string] = ['', ''];
    for (;;) {
      const rows: { integration_id: string; delivery_id: string; event_id: string }[] =
        await this.db.query(
          `SELECT integration_id, delivery_id, event_id FROM inbound_deliveries
            WHERE (integration_id, delivery_id) > ($1, $2)
            ORDER BY integration_id, delivery_id
            LIMIT $3`,
          [after[0], after[1], LOAD_PAGE],
        );
      take(rows.map((row) => row.event_id));
      const last = rows[rows.length - 1];
      if (last === undefined || rows.length < LOAD_PAGE) return;
      after = [last.integration_id, last.delivery_id];
    }
  }

  private schedule(): void {
    if (this.running) return;
    this.running = true;
    // Waiting a millisecond before asking lets the questions of that millisecond share a
    // statement: a statement costs the gateway and Postgres far more than the rows in it.
    setTimeout(() => void this.runWaiting(), LINGER_MS);
  }

  private async runWaiting(): Promise<void> {
    while (this.questions.length > 0) {
      const questions = this.questions.splice(0, MAX_BATCH);
      try {
        const rows: FoundRow[] = await this.db.query(
          `SELECT d.integration_id, d.delivery_id
             FROM unnest($1::text[], $2::text[]) AS asked (integration_id, delivery_id)
             JOIN inbound_deliveries AS d USING (integration_id, delivery_id)`,
          [
            questions.map((pending) => pending.integrationId),
            questions.map((pending) => pending.deliveryId),
          ],
        );
        settleQuestions(questions, rows);
      } catch (error) {
        for (const pending of questions) pending.settle.reject(error);
      }
    }
    this.running = false;
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

function deliveryKey(integrationId: string, deliveryId: string): string {
  return `${integrationId}\u0000${deliveryId}`;
}

function settleQuestions(questions: readonly Question[], rows: readonly FoundRow[]): void {
  const found = new Set(rows.map((row) => deliveryKey(row.integration_id, row.delivery_id)));
  for (const pending of questions) {
    pending.settle.resolve(found.has(deliveryKey(pending.integrationId, pending.deliveryId)));
  }
}
