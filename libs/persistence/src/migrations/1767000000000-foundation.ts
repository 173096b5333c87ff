import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The read models of every service and the audit store. Tables are owned by
 * one service each (named in the comment) but live in one database.
 */
export class Foundation1767000000000 implements MigrationInterface {
  name = 'Foundation1767000000000';

  async up(db: QueryRunner): Promise<void> {
    // Key/value settings of the installation (the admin token's hash).
    await db.query(`
      CREATE TABLE settings (
        key text PRIMARY KEY,
        value text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);

    // workflow service: current workflow per project and every version.
    await db.query(`
      CREATE TABLE workflow_versions (
        project text NOT NULL,
        version integer NOT NULL,
        yaml text NOT NULL,
        definition jsonb NOT NULL,
        event_id text NOT NULL,
        stream_seq bigint NOT NULL,
        actor text,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (project, version)
      )`);

    // workflow service: ticket view; `version` is the stream sequence of the
    // ticket's last event, the expectation of the next append.
    await db.query(`
      CREATE TABLE tickets (
        id text PRIMARY KEY,
        project text NOT NULL,
        number integer NOT NULL,
        title text NOT NULL,
        state text NOT NULL,
        fields jsonb NOT NULL DEFAULT '{}',
        links jsonb NOT NULL DEFAULT '[]',
        pipeline jsonb,
        version bigint NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        UNIQUE (project, number)
      )`);

    // dispatcher: one row per outbound attempt.
    await db.query(`
      CREATE TABLE deliveries (
        id bigserial PRIMARY KEY,
        outcome_event_id text NOT NULL UNIQUE,
        delivery_id text NOT NULL,
        attempt integer NOT NULL,
        event_id text NOT NULL,
        ticket_id text NOT NULL,
        action_index integer NOT NULL,
        url text NOT NULL,
        status text NOT NULL CHECK (status IN ('succeeded', 'failed')),
        status_code integer,
        duration_ms integer NOT NULL,
        error_class text,
        error_message text,
        response_excerpt text NOT NULL DEFAULT '',
        redelivery boolean NOT NULL DEFAULT false,
        attempted_at timestamptz NOT NULL
      )`);
    await db.query(`CREATE INDEX deliveries_delivery_id ON deliveries (delivery_id)`);
    await db.query(`CREATE INDEX deliveries_ticket ON deliveries (ticket_id, id DESC)`);
    await db.query(`CREATE INDEX deliveries_status ON deliveries (status, id DESC)`);

    // audit: the append-only, hash-chained trail of every stream's events.
    await db.query(`
      CREATE TABLE audit_entries (
        seq bigserial PRIMARY KEY,
        stream text NOT NULL,
        stream_seq bigint NOT NULL,
        event_id text NOT NULL,
        type text NOT NULL,
        time timestamptz NOT NULL,
        ticket_id text,
        integration_id text,
        actor text,
        correlation_id text,
        payload jsonb NOT NULL,
        prev_hash text NOT NULL,
        hash text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        UNIQUE (stream, stream_seq)
      )`);
    await db.query(
      `CREATE INDEX audit_ticket ON audit_entries (ticket_id, seq) WHERE ticket_id IS NOT NULL`,
    );
    await db.query(`CREATE INDEX audit_type ON audit_entries (type, seq)`);
    await db.query(
      `CREATE INDEX audit_integration ON audit_entries (integration_id, seq) WHERE integration_id IS NOT NULL`,
    );
    await db.query(`CREATE INDEX audit_time ON audit_entries (time, seq)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of [
      'audit_entries',
      'deliveries',
      'tickets',
      'workflow_versions',
      'settings',
    ]) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
