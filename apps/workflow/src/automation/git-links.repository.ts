import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { GitRepository, GitProvider } from '@kera/domain';

/** A repository as the tables key it: by the provider's stable id, not its path. */
export interface RepositoryRef {
  provider: GitProvider;
  repository: Pick<GitRepository, 'id'>;
}

/** A ticket linked to a branch or PR/MR, and whether automation may move it. */
export interface RefTicket {
  ticket_id: string;
  movable: boolean;
}

export type RefKind = 'branch' | 'pull_request';

/**
 * What git automation remembers between inbound events (see the migration
 * GitAutomation1767000005000): closing words of pushed commits per branch,
 * which tickets a branch or PR/MR is linked to, and processed deliveries.
 */
@Injectable()
export class GitLinksRepository {
  constructor(private readonly db: DataSource) {}

  /** Projects that have a workflow: the only ones whose keys link. */
  async projects(): Promise<Set<string>> {
    const rows: { project: string }[] = await this.db.query(
      'SELECT DISTINCT project FROM workflow_versions',
    );
    return new Set(rows.map((row) => row.project));
  }

  /** Those of the given tickets that exist, in the order given. */
  async existingTickets(ids: readonly string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const rows: { id: string }[] = await this.db.query(
      'SELECT id FROM tickets WHERE id = ANY($1)',
      [ids],
    );
    const found = new Set(rows.map((row) => row.id));
    return ids.filter((id) => found.has(id));
  }

  async isProcessed(integrationId: string, deliveryId: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      'SELECT 1 FROM git_inbound_processed WHERE integration_id = $1 AND delivery_id = $2',
      [integrationId, deliveryId],
    );
    return rows.length > 0;
  }

  async markProcessed(integrationId: string, deliveryId: string, eventId: string): Promise<void> {
    await this.db.query(
      `INSERT INTO git_inbound_processed (integration_id, delivery_id, event_id)
       VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [integrationId, deliveryId, eventId],
    );
  }

  /** Forgets deliveries processed before `before`; the INBOUND stream no longer holds them. */
  async pruneProcessed(before: Date): Promise<void> {
    await this.db.query('DELETE FROM git_inbound_processed WHERE processed_at < $1', [before]);
  }

  async branchCloses(ref: RepositoryRef, branch: string): Promise<string[]> {
    const rows: { ticket_id: string }[] = await this.db.query(
      `SELECT ticket_id FROM git_branch_closes
        WHERE provider = $1 AND repository_id = $2 AND branch = $3 ORDER BY recorded_at`,
      [ref.provider, ref.repository.id, branch],
    );
    return rows.map((row) => row.ticket_id);
  }

  async addBranchCloses(ref: RepositoryRef, branch: string, tickets: string[]): Promise<void> {
    if (tickets.length === 0) return;
    await this.db.query(
      `INSERT INTO git_branch_closes (provider, repository_id, branch, ticket_id)
       SELECT $1, $2, $3, unnest($4::text[]) ON CONFLICT DO NOTHING`,
      [ref.provider, ref.repository.id, branch, tickets],
    );
  }

  /** Drops a branch's closing words once its merge has acted on them. */
  async clearBranchCloses(ref: RepositoryRef, branch: string): Promise<void> {
    await this.db.query(
      'DELETE FROM git_branch_closes WHERE provider = $1 AND repository_id = $2 AND branch = $3',
      [ref.provider, ref.repository.id, branch],
    );
  }

  /** Records (or updates) the tickets linked to a branch or PR/MR. */
  async recordRef(
    ref: RepositoryRef,
    kind: RefKind,
    name: string,
    tickets: readonly RefTicket[],
  ): Promise<void> {
    if (tickets.length === 0) return;
    await this.db.query(
      `INSERT INTO git_ticket_refs (provider, repository_id, ref_kind, ref, ticket_id, movable)
       SELECT $1, $2, $3, $4, t.ticket_id, t.movable
         FROM unnest($5::text[], $6::boolean[]) AS t(ticket_id, movable)
       ON CONFLICT (provider, repository_id, ref_kind, ref, ticket_id)
       DO UPDATE SET movable = EXCLUDED.movable, updated_at = now()`,
      [
        ref.provider,
        ref.repository.id,
        kind,
        name,
        tickets.map((ticket) => ticket.ticket_id),
        tickets.map((ticket) => ticket.movable),
      ],
    );
  }

  /** Forgets the given tickets of a branch or PR/MR, or all of them when none are given. */
  async forgetRef(
    ref: RepositoryRef,
    kind: RefKind,
    name: string,
    tickets?: readonly string[],
  ): Promise<void> {
    await this.db.query(
      `DELETE FROM git_ticket_refs
        WHERE provider = $1 AND repository_id = $2 AND ref_kind = $3 AND ref = $4
          AND ($5::text[] IS NULL OR ticket_id = ANY($5))`,
      [ref.provider, ref.repository.id, kind, name, tickets ?? null],
    );
  }

  /** The tickets linked to any of the given branch and PR/MR numbers. */
  async ticketsOf(
    ref: RepositoryRef,
    branch: string | null,
    numbers: readonly number[],
  ): Promise<RefTicket[]> {
    const rows: RefTicket[] = await this.db.query(
      `SELECT ticket_id, bool_or(movable) AS movable FROM git_ticket_refs
        WHERE provider = $1 AND repository_id = $2
          AND ((ref_kind = 'branch' AND ref = $3)
            OR (ref_kind = 'pull_request' AND ref = ANY($4::text[])))
        GROUP BY ticket_id ORDER BY min(updated_at), ticket_id`,
      [ref.provider, ref.repository.id, branch, numbers.map(String)],
    );
    return rows;
  }
}
