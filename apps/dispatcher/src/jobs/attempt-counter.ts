import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/**
 * Hands out attempt numbers per delivery id: 1, 2, 3, … in the order attempts start, each
 * number once, however many dispatcher instances attempt the same delivery at the same time.
 * The number is taken before the POST, so an attempt cut short by a crash leaves a gap.
 */
@Injectable()
export class AttemptCounter {
  constructor(private readonly db: DataSource) {}

  async next(deliveryId: string): Promise<number> {
    const rows: { attempts: number }[] = await this.db.query(
      `INSERT INTO delivery_attempt_counters (delivery_id, attempts) VALUES ($1, 1)
       ON CONFLICT (delivery_id) DO UPDATE
         SET attempts = delivery_attempt_counters.attempts + 1, updated_at = now()
       RETURNING attempts`,
      [deliveryId],
    );
    return Number(rows[0]?.attempts);
  }
}
