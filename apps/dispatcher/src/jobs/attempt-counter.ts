import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

interface Asked {
  deliveryId: string;
  resolve(attempt: number): void;
  reject(error: unknown): void;
}

/**
 * Hands out attempt numbers per delivery id: 1, 2, 3, … in the order attempts start, each
 * number once, however many dispatcher instances attempt the same delivery at the same time.
 * The number is asked for as the attempt starts, so an attempt cut short by a crash leaves a
 * gap. The numbers asked for in one turn of the event loop are taken in one statement.
 */
@Injectable()
export class AttemptCounter {
  /** Whether the last numbers asked for were given: false while Postgres does not answer. */
  private answering = true;
  private asked: Asked[] = [];

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

  private next(deliveryId: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      if (this.asked.length === 0) setImmediate(() => void this.numberAsked());
      this.asked.push({ deliveryId, resolve, reject });
    });
  }

  private async numberAsked(): Promise<void> {
    let asked = this.asked;
    this.asked = [];
    // One statement may not update a row twice: a delivery asked for twice in one turn (two
    // attempts starting at once) gets its second number from the next statement.
    while (asked.length > 0) {
      const batch = new Map<string, Asked>();
      const later: Asked[] = [];
      for (const one of asked) {
        if (batch.has(one.deliveryId)) later.push(one);
        else batch.set(one.deliveryId, one);
      }
      await this.numberBatch(batch);
      asked = later;
    }
  }

  private async numberBatch(batch: Map<string, Asked>): Promise<void> {
    let numbers: Map<string, number>;
    try {
      // Rows are locked in id order, so that two instances numbering the same deliveries at
      // once cannot deadlock.
      const rows: { delivery_id: string; attempts: number }[] = await this.db.query(
        `INSERT INTO delivery_attempt_counters (delivery_id, attempts)
         SELECT id, 1 FROM unnest($1::text[]) AS asked(id) ORDER BY id
         ON CONFLICT (delivery_id) DO UPDATE
           SET attempts = delivery_attempt_counters.attempts + 1, updated_at = now()
         RETURNING delivery_id, attempts`,
        [[...batch.keys()]],
      );
      this.answering = true;
      numbers = new Map(rows.map((row) => [row.delivery_id, Number(row.attempts)]));
    } catch (error) {
      this.answering = false;
      for (const one of batch.values()) one.reject(error);
      return;
    }
    for (const [deliveryId, one] of batch) {
      const number = numbers.get(deliveryId);
      if (number === undefined) one.reject(new Error('the attempt counter returned no number'));
      else one.resolve(number);
    }
  }
}
