import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * gateway, inbound delivery ids: how far into the INBOUND stream the ledger
 * (`inbound_deliveries`) has been written. The ledger is projected from the
 * stream; a row and the position past it are written in one statement, so
 * after a crash the projection resumes exactly where its last write ended.
 */
export class InboundLedger1767000006000 implements MigrationInterface {
  name = 'InboundLedger1767000006000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE inbound_ledger_positions (
        stream text PRIMARY KEY,
        seq bigint NOT NULL
      )`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE IF EXISTS inbound_ledger_positions');
  }
}
