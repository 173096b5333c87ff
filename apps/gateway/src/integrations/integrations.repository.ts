import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';
import type { IntegrationView } from '@kera/contracts';
import type { InboundProvider } from '../inbound/verification';
import { firstFreeSlug } from './slug';

/** An active integration as stored: who it is and what verifies its deliveries. */
export interface ActiveIntegrationRecord {
  id: string;
  provider: InboundProvider;
  slug: string;
  project: string | null;
  tokenHash: Buffer;
  secret: string;
  /** The secret replaced by the last rotation, while it may still verify. */
  previousSecret: string | null;
  previousSecretExpiresAt: Date | null;
}

/** A new integration as it is stored; the slug is chosen on insert. */
export interface IntegrationRecord {
  id: string;
  provider: InboundProvider;
  name: string;
  project: string | null;
  tokenHash: Buffer;
  secret: string;
  createdAt: Date;
}

/** Deliveries to add to an integration's counts since they were last written. */
export interface DeliveryCount {
  integrationId: string;
  accepted: number;
  rejected: number;
  lastDeliveryAt: Date;
}

/** Where a page of the list starts: after this integration. */
export interface ListPosition {
  createdAt: Date;
  id: string;
}

/** Inserts that lose a race for a slug are retried with the next free one this many times. */
const SLUG_ATTEMPTS = 5;

const ACTIVE_COLUMNS = `id, provider, slug, project, token_sha256, secret, previous_secret,
  previous_secret_expires_at`;

const VIEW_COLUMNS = `id, provider, name, slug, project, created_at, rotated_at,
  CASE WHEN previous_secret_expires_at > now() THEN previous_secret_expires_at END
    AS previous_secret_expires_at,
  last_delivery_at, accepted_count, rejected_count`;

/**
 * The integrations table. Revoked integrations keep their row, so that a slug is never handed
 * out twice, but every read here except the slug search ignores them. An UPDATE whose rows are
 * wanted is wrapped in a SELECT: TypeORM answers a bare UPDATE with [rows, count].
 */
@Injectable()
export class IntegrationsRepository {
  constructor(private readonly db: DataSource) {}

  /** Stores a new integration under the first free slug derived from `slugBase`; returns it. */
  async insert(tx: EntityManager, record: IntegrationRecord, slugBase: string): Promise<string> {
    for (let attempt = 1; attempt <= SLUG_ATTEMPTS; attempt += 1) {
      const slug = firstFreeSlug(slugBase, await this.takenSlugs(tx, slugBase));
      const rows: unknown[] = await tx.query(
        `INSERT INTO integrations (id, provider, name, slug, project, token_sha256, secret, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
         ON CONFLICT (slug) DO NOTHING
         RETURNING id`,
        [
          record.id,
          record.provider,
          record.name,
          slug,
          record.project,
          record.tokenHash,
          record.secret,
          record.createdAt,
        ],
      );
      if (rows.length > 0) return slug;
    }
    throw new Error(`no free slug for ${slugBase} after ${SLUG_ATTEMPTS} attempts`);
  }

  /** Active integrations in creation order, after `after`; one more than `limit` tells of a next page. */
  async list(limit: number, after: ListPosition | null): Promise<IntegrationView[]> {
    const rows: IntegrationRow[] = after
      ? await this.db.query(
          `SELECT ${VIEW_COLUMNS} FROM integrations
            WHERE revoked_at IS NULL AND (created_at, id) > ($1, $2)
            ORDER BY created_at, id LIMIT $3`,
          [after.createdAt, after.id, limit + 1],
        )
      : await this.db.query(
          `SELECT ${VIEW_COLUMNS} FROM integrations
            WHERE revoked_at IS NULL ORDER BY created_at, id LIMIT $1`,
          [limit + 1],
        );
    return rows.map(toView);
  }

  async get(id: string): Promise<IntegrationView | null> {
    const rows: IntegrationRow[] = await this.db.query(
      `SELECT ${VIEW_COLUMNS} FROM integrations WHERE id = $1 AND revoked_at IS NULL`,
      [id],
    );
    return rows[0] ? toView(rows[0]) : null;
  }

  /** Locks an active integration's row for a change; its provider, or null when there is none. */
  async lockActive(tx: EntityManager, id: string): Promise<InboundProvider | null> {
    const rows: { provider: InboundProvider }[] = await tx.query(
      'SELECT provider FROM integrations WHERE id = $1 AND revoked_at IS NULL FOR UPDATE',
      [id],
    );
    return rows[0]?.provider ?? null;
  }

  /**
   * Makes `secret` the current secret of a locked, active integration; the one it replaces
   * keeps verifying for `graceSeconds`, and a secret replaced earlier stops verifying now.
   * Returns when the replaced secret expires.
   */
  async rotate(tx: EntityManager, id: string, secret: string, graceSeconds: number): Promise<Date> {
    const rows: { previous_secret_expires_at: Date }[] = await tx.query(
      `WITH rotated AS (
         UPDATE integrations
            SET previous_secret = secret,
                previous_secret_expires_at = now() + make_interval(secs => $3),
                secret = $2,
                rotated_at = now()
          WHERE id = $1
          RETURNING previous_secret_expires_at
       )
       SELECT previous_secret_expires_at FROM rotated`,
      [id, secret, graceSeconds],
    );
    const expiresAt = rows[0]?.previous_secret_expires_at;
    if (!expiresAt) throw new Error(`integration ${id} vanished while locked`);
    return expiresAt;
  }

  /** Revokes an integration and erases its secrets; its slug, or null when it is not active. */
  async revoke(tx: EntityManager, id: string): Promise<string | null> {
    const rows: { slug: string }[] = await tx.query(
      `WITH revoked AS (
         UPDATE integrations
            SET revoked_at = now(), secret = NULL, previous_secret = NULL,
                previous_secret_expires_at = NULL
          WHERE id = $1 AND revoked_at IS NULL
          RETURNING slug
       )
       SELECT slug FROM revoked`,
      [id],
    );
    return rows[0]?.slug ?? null;
  }

  /**
   * The active integrations at these slugs, as the inbound route keeps them in memory (see
   * IntegrationDirectory). The previous secret comes with its expiry, which the caller checks
   * on every use, so that a kept copy stops accepting it on time.
   */
  async findActive(slugs: readonly string[]): Promise<ActiveIntegrationRecord[]> {
    const rows: ActiveRow[] = await this.db.query(
      `SELECT ${ACTIVE_COLUMNS} FROM integrations
        WHERE slug = ANY($1::text[]) AND revoked_at IS NULL`,
      [slugs],
    );
    return rows.map(toActive);
  }

  /**
   * The active integration at a slug once no transaction holds its row any more. A rotation or
   * revocation appends its event before it commits: read with FOR SHARE, the row is read after
   * that commit (or rollback), never the version it replaces.
   */
  async findActiveSettled(slug: string): Promise<ActiveIntegrationRecord | null> {
    const rows: ActiveRow[] = await this.db.query(
      `SELECT ${ACTIVE_COLUMNS} FROM integrations
        WHERE slug = $1 AND revoked_at IS NULL
        FOR SHARE`,
      [slug],
    );
    return rows[0] ? toActive(rows[0]) : null;
  }

  /** Adds delivery counts to integrations and moves their last delivery time forward. */
  async addCounts(counts: readonly DeliveryCount[]): Promise<void> {
    if (counts.length === 0) return;
    await this.db.query(
      `UPDATE integrations AS i
          SET accepted_count = i.accepted_count + c.accepted,
              rejected_count = i.rejected_count + c.rejected,
              last_delivery_at = GREATEST(i.last_delivery_at, c.last_delivery_at)
         FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::timestamptz[])
           AS c (id, accepted, rejected, last_delivery_at)
        WHERE i.id = c.id`,
      [
        counts.map((count) => count.integrationId),
        counts.map((count) => count.accepted),
        counts.map((count) => count.rejected),
        counts.map((count) => count.lastDeliveryAt),
      ],
    );
  }

  private async takenSlugs(tx: EntityManager, base: string): Promise<Set<string>> {
    // Slugs hold only [a-z0-9-], so the base needs no LIKE escaping.
    const rows: { slug: string }[] = await tx.query(
      `SELECT slug FROM integrations WHERE slug = $1 OR slug LIKE $2`,
      [base, `${base}-%`],
    );
    return new Set(rows.map((row) => row.slug));
  }
}

interface IntegrationRow {
  id: string;
  provider: InboundProvider;
  name: string;
  slug: string;
  project: string | null;
  created_at: Date;
  rotated_at: Date | null;
  previous_secret_expires_at: Date | null;
  last_delivery_at: Date | null;
  accepted_count: string;
  rejected_count: string;
}

interface ActiveRow {
  id: string;
  provider: InboundProvider;
  slug: string;
  project: string | null;
  token_sha256: Buffer;
  secret: string;
  previous_secret: string | null;
  previous_secret_expires_at: Date | null;
}

function toActive(row: ActiveRow): ActiveIntegrationRecord {
  return {
    id: row.id,
    provider: row.provider,
    slug: row.slug,
    project: row.project,
    tokenHash: row.token_sha256,
    secret: row.secret,
    previousSecret: row.previous_secret,
    previousSecretExpiresAt: row.previous_secret_expires_at,
  };
}

function toView(row: IntegrationRow): IntegrationView {
  return {
    id: row.id,
    provider: row.provider,
    name: row.name,
    slug: row.slug,
    project: row.project,
    created_at: row.created_at.toISOString(),
    rotated_at: row.rotated_at?.toISOString() ?? null,
    previous_secret_expires_at: row.previous_secret_expires_at?.toISOString() ?? null,
    last_delivery_at: row.last_delivery_at?.toISOString() ?? null,
    accepted_count: Number(row.accepted_count),
    rejected_count: Number(row.rejected_count),
  };
}
