import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * gateway: integrations (the inbound webhook URLs and their secrets) and the delivery ids
 * accepted through them, which make a redelivery a duplicate instead of a second event.
 */
export class Integrations1767000001000 implements MigrationInterface {
  name = 'Integrations1767000001000';

  async up(db: QueryRunner): Promise<void> {
    // Secrets are stored in clear because every delivery's HMAC is computed with them: access
    // to this database is what guards them. The URL token is kept only as its SHA-256 hash. A
    // revoked integration keeps its row, so its slug is never reused, with its secrets erased.
    await db.query(`
      CREATE TABLE integrations (
        id text PRIMARY KEY,
        provider text NOT NULL CHECK (provider IN ('github', 'gitlab', 'generic')),
        name text NOT NULL,
        slug text NOT NULL UNIQUE,
        project text,
        token_sha256 bytea NOT NULL,
        secret text,
        previous_secret text,
        previous_secret_expires_at timestamptz,
        created_at timestamptz NOT NULL DEFAULT now(),
        rotated_at timestamptz,
        revoked_at timestamptz,
        last_delivery_at timestamptz,
        accepted_count bigint NOT NULL DEFAULT 0,
        rejected_count bigint NOT NULL DEFAULT 0,
        CHECK ((revoked_at IS NULL) = (secret IS NOT NULL))
      )`);
    await db.query(
      `CREATE INDEX integrations_listing ON integrations (created_at, id) WHERE revoked_at IS NULL`,
    );

    // Delivery ids accepted per integration; rows older than the deduplication window are
    // deleted by the gateway.
    await db.query(`
      CREATE TABLE inbound_deliveries (
        integration_id text NOT NULL REFERENCES integrations (id),
        delivery_id text NOT NULL,
        event_id text NOT NULL,
        received_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (integration_id, delivery_id)
      )`);
    await db.query(`CREATE INDEX inbound_deliveries_age ON inbound_deliveries (received_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    await db.query('DROP TABLE IF EXISTS inbound_deliveries');
    await db.query('DROP TABLE IF EXISTS integrations');
  }
}
