import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Hands out attempt numbers per delivery id: 1, 2, 3, … in the order attempts start, each
 * number once, however many dispatcher instances attempt the same delivery at the same time.
 * The number is asked for as the attempt starts, so an attempt cut short by a crash leaves a
 * gap.
 */
@Injectable()
export class AttemptCounter {
  /** Whether the last number asked for was given: false while Postgres does not answer. */
  private answering = true;

  constructor(private readonly db: DataSource) {}

  /**
   * Asks for the attempt's number now. The POST does not need it (no header carries it), only
   * the outcome's record does, so while the counter answers the POST is sent without waiting
   * for it: a receiver gets its webhook a Postgres round trip sooner. While the counter fails,
   * the POST waits for its number, so that an attempt that cannot be numbered is not sent.
   */
  take(deliveryId: string): { number: Promise<number>; beforeSending: Promise<unknown> } {
    const sendAtOnce = this.answering;
    const number = this.next(deliveryId);
    // Awaited only after the POST: a failure must not count as unhandled meanwhile.
    if (sendAtOnce) number.catch(() => undefined);
    return { number, beforeSending: sendAtOnce ? Promise.resolve() : number };
  }

  async next(deliveryId: string): Promise<number> {
    try {
      const rows: { attempts: number }[] = await this.db.query(
        `INSERT INTO delivery_attempt_counters (delivery_id, attempts) VALUES ($1, 1)
         ON CONFLICT (delivery_id) DO UPDATE
           SET attempts = delivery_attempt_counters.attempts + 1, updated_at = now()
         RETURNING attempts`,
        [deliveryId],
      );
      this.answering = true;
      return Number(rows[0]?.attempts);
    } catch (error) {
      this.answering = false;
      throw error;
    }
  }
}
