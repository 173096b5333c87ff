import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * workflow service, git automation: what inbound git events leave behind for
 * later ones. Each table is derived from the INBOUND stream, so a lost row
 * costs at most one automation step, never a ticket event.
 */
export class GitAutomation1767000005000 implements MigrationInterface {
  name = 'GitAutomation1767000005000';

  async up(db: QueryRunner): Promise<void> {
    // Tickets that commits pushed to a branch close ("Fixes KER-1"): the merge
    // of that branch's pull/merge request moves them, so they wait here.
    await db.query(`
      CREATE TABLE git_branch_closes (
        provider text NOT NULL,
        repository_id text NOT NULL,
        branch text NOT NULL,
        ticket_id text NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, repository_id, branch, ticket_id)
      )`);

    // Which tickets a branch or a pull/merge request is linked to, so that a
    // pipeline of that branch or PR/MR finds them; `movable` says whether the
    // git automation may move the ticket (named, not only referenced).
    await db.query(`
      CREATE TABLE git_ticket_refs (
        provider text NOT NULL,
        repository_id text NOT NULL,
        ref_kind text NOT NULL CHECK (ref_kind IN ('branch', 'pull_request')),
        ref text NOT NULL,
        ticket_id text NOT NULL,
        movable boolean NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, repository_id, ref_kind, ref, ticket_id)
      )`);

    // Inbound deliveries whose effects are all stored: one processed again
    // (a redelivery, a replay) is recognised here and changes nothing.
    await db.query(`
      CREATE TABLE git_inbound_processed (
        integration_id text NOT NULL,
        delivery_id text NOT NULL,
        event_id text NOT NULL,
        processed_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (integration_id, delivery_id)
      )`);
    await db.query(`CREATE INDEX git_inbound_processed_at ON git_inbound_processed (processed_at)`);
  }

  async down(db: QueryRunner): Promise<void> {
    for (const table of ['git_inbound_processed', 'git_ticket_refs', 'git_branch_closes']) {
      await db.query(`DROP TABLE IF EXISTS ${table}`);
    }
  }
}
