import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * dispatcher: what redelivery and attempt numbering need. Each attempt row keeps the TICKETS
 * stream sequence of its transition event (where a redelivery reads the payload from) and the
 * request it ran for; a counter per delivery id hands out attempt numbers atomically, so two
 * instances attempting one delivery at once never record the same number.
 */
export class Deliveries1767000002000 implements MigrationInterface {
  name = 'Deliveries1767000002000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(
      `ALTER TABLE deliveries ADD COLUMN event_seq bigint, ADD COLUMN request_id text`,
    );
    await db.query(`CREATE INDEX deliveries_latest ON deliveries (delivery_id, id DESC)`);
    await db.query(`DROP INDEX deliveries_delivery_id`);
    await db.query(`
      CREATE TABLE delivery_attempt_counters (
        delivery_id text PRIMARY KEY,
        attempts integer NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE IF EXISTS delivery_attempt_counters');
    await db.query(`CREATE INDEX deliveries_delivery_id ON deliveries (delivery_id)`);
    await db.query('DROP INDEX IF EXISTS deliveries_latest');
    await db.query('ALTER TABLE deliveries DROP COLUMN request_id, DROP COLUMN event_seq');
  }
}
