import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * audit: what makes the trail exactly-once, ordered and append-only.
 *
 * - `audit_checkpoints`: per stream, the last stream sequence projected; it
 *   moves in the same transaction as the entries it covers.
 * - `audit_chain_head`: the last entry's seq and hash. Writers of every
 *   stream lock this one row, which orders the chain, and verification
 *   compares the trail's end with it (a removed tail is noticed).
 * - `audit_anchors`: the last archived entry's seq and hash; verification
 *   starts there once older entries were moved out (docs/audit.md).
 * - `seq` is assigned by the writer (no sequence), so the trail has no gaps,
 *   and so is `recorded_at`, which never decreases along `seq`.
 * - Triggers refuse UPDATE, DELETE and TRUNCATE of entries and anchors, and
 *   the role `kera_app` gets no such privilege: services run as a member of
 *   it while migrations run as the owner.
 */
export class Audit1767000003000 implements MigrationInterface {
  name = 'Audit1767000003000';

  async up(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE TABLE audit_checkpoints (
        stream text PRIMARY KEY,
        last_seq bigint NOT NULL CHECK (last_seq >= 0),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await db.query(`
      CREATE TABLE audit_chain_head (
        singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
        seq bigint NOT NULL,
        hash text NOT NULL
      )`);
    await db.query(`
      INSERT INTO audit_chain_head (seq, hash)
      SELECT coalesce(max(seq), 0),
             coalesce((SELECT hash FROM audit_entries ORDER BY seq DESC LIMIT 1), repeat('0', 64))
        FROM audit_entries`);
    await db.query(`
      CREATE TABLE audit_anchors (
        seq bigint PRIMARY KEY CHECK (seq > 0),
        hash text NOT NULL,
        archived_at timestamptz NOT NULL DEFAULT now(),
        location text
      )`);

    await this.reshapeEntries(db);
    await this.refuseChanges(db);
    await this.grantApplicationRole(db);
  }

  private async reshapeEntries(db: QueryRunner): Promise<void> {
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN seq DROP DEFAULT`);
    await db.query(`DROP SEQUENCE IF EXISTS audit_entries_seq_seq`);
    // The writer sets it: it is part of the hashed content.
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN recorded_at DROP DEFAULT`);
    await db.query(`CREATE UNIQUE INDEX audit_event_id ON audit_entries (event_id)`);
    await db.query(
      `CREATE INDEX audit_actor ON audit_entries (actor, seq) WHERE actor IS NOT NULL`,
    );
    // Time ranges select by recorded_at, which never decreases along seq: a range of it is a
    // range of seq, found at its two ends. Event times are not in seq order, so an index on
    // them cannot bound a page in trail order.
    await db.query(`DROP INDEX IF EXISTS audit_time`);
    await db.query(`CREATE INDEX audit_recorded ON audit_entries (recorded_at, seq)`);
    // lz4 stores and reads jsonb payloads faster than pglz; servers built without it keep pglz.
    await db.query(`
      DO $$ BEGIN
        ALTER TABLE audit_entries ALTER COLUMN payload SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN NULL;
      END $$`);
  }

  private async refuseChanges(db: QueryRunner): Promise<void> {
    await db.query(`
      CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '% on % is refused: the audit trail is append-only', TG_OP, TG_TABLE_NAME
          USING HINT = 'Archive old entries as described in docs/audit.md.';
      END $$`);
    for (const table of ['audit_entries', 'audit_anchors']) {
      await db.query(`
        CREATE TRIGGER ${table}_no_change BEFORE UPDATE OR DELETE ON ${table}
          FOR EACH ROW EXECUTE FUNCTION audit_refuse_change()`);
      await db.query(`
        CREATE TRIGGER ${table}_no_truncate BEFORE TRUNCATE ON ${table}
          FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change()`);
    }
  }

  /**
   * `kera_app` (NOLOGIN) may read and write every table, and only read and
   * insert the trail. Roles are shared by every database of the server, so
   * it is created once; an owner that may not create roles leaves that to
   * an administrator (docs/audit.md) and the grants to a later run.
   */
  private async grantApplicationRole(db: QueryRunner): Promise<void> {
    await db.query(`
      DO $$ BEGIN
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kera_app') THEN
          CREATE ROLE kera_app NOLOGIN;
        END IF;
      EXCEPTION WHEN duplicate_object OR unique_violation OR insufficient_privilege THEN NULL;
      END $$`);
    await db.query(`
      DO $$ BEGIN
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kera_app') THEN
          GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO kera_app;
          GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO kera_app;
          ALTER DEFAULT PRIVILEGES IN SCHEMA public
            GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO kera_app;
          ALTER DEFAULT PRIVILEGES IN SCHEMA public
            GRANT USAGE, SELECT, UPDATE ON SEQUENCES TO kera_app;
          REVOKE UPDATE, DELETE, TRUNCATE ON audit_entries, audit_anchors FROM kera_app, PUBLIC;
          REVOKE INSERT ON audit_anchors FROM kera_app;
          REVOKE DELETE, TRUNCATE ON audit_checkpoints, audit_chain_head FROM kera_app, PUBLIC;
        END IF;
      END $$`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['audit_entries', 'audit_anchors']) {
      await db.query(`DROP TRIGGER IF EXISTS ${table}_no_change ON ${table}`);
      await db.query(`DROP TRIGGER IF EXISTS ${table}_no_truncate ON ${table}`);
    }
    await db.query(`DROP FUNCTION IF EXISTS audit_refuse_change()`);
    await db.query(`DROP INDEX IF EXISTS audit_recorded`);
    await db.query(`CREATE INDEX IF NOT EXISTS audit_time ON audit_entries (time, seq)`);
    await db.query(`DROP INDEX IF EXISTS audit_actor`);
    await db.query(`DROP INDEX IF EXISTS audit_event_id`);
    await db.query(`ALTER TABLE audit_entries ALTER COLUMN recorded_at SET DEFAULT now()`);
    await db.query(`CREATE SEQUENCE audit_entries_seq_seq OWNED BY audit_entries.seq`);
    await db.query(`SELECT setval('audit_entries_seq_seq', coalesce(max(seq), 0) + 1, false)
                      FROM audit_entries`);
    await db.query(
      `ALTER TABLE audit_entries ALTER COLUMN seq SET DEFAULT nextval('audit_entries_seq_seq')`,
    );
    await db.query('DROP TABLE IF EXISTS audit_anchors');
    await db.query('DROP TABLE IF EXISTS audit_chain_head');
    await db.query('DROP TABLE IF EXISTS audit_checkpoints');
  }
}
