import type { InboundProvider } from '../inbound/verification';
import type { ActiveIntegrationRecord } from './integrations.repository';

/** What the inbound route needs of an integration: who it is and what verifies its deliveries. */
export interface ActiveIntegration {
  id: string;
  provider: InboundProvider;
  slug: string;
  project: string | null;
  tokenHash: Buffer;
  /** The current secret, then the previous one while it has not expired. */
  secrets: readonly string[];
  /** When the previous secret stops verifying (ms since the epoch); null without one. */
  previousSecretExpiresAt: number | null;
}

/** The secrets that verify a delivery received at `nowMs`. */
export function verifyingSecrets(integration: ActiveIntegration, nowMs: number): string[] {
  const { secrets, previousSecretExpiresAt } = integration;
  const previousValid = previousSecretExpiresAt !== null && nowMs < previousSecretExpiresAt;
  return previousValid ? [...secrets] : secrets.slice(0, 1);
}

export function toActiveIntegration(record: ActiveIntegrationRecord): ActiveIntegration {
  const { previousSecret, previousSecretExpiresAt } = record;
  return {
    id: record.id,
    provider: record.provider,
    slug: record.slug,
    project: record.project,
    tokenHash: record.tokenHash,
    secrets: previousSecret === null ? [record.secret] : [record.secret, previousSecret],
    previousSecretExpiresAt:
      previousSecret === null ? null : (previousSecretExpiresAt?.getTime() ?? null),
  };
}

/** Where the directory reads integrations: Postgres in the gateway. */
export interface IntegrationSource {
  /** The active integration at a slug; concurrent calls may share one statement. */
  findActive(slug: string): Promise<ActiveIntegration | null>;
  /** The active integration at a slug once the transaction that is changing it has ended. */
  findActiveSettled(slug: string): Promise<ActiveIntegration | null>;
}

export interface DirectoryLimits {
  /** How long an integration read from the database is used before it is read again. */
  maxAgeMs: number;
  /** How long "no integration has this slug" is believed. */
  missMaxAgeMs: number;
  /** Most unknown slugs remembered; the oldest is forgotten first. */
  maxMisses: number;
  /** After an event names a new slug, how long a miss for it is not remembered. */
  creationSettleMs: number;
}

export const DEFAULT_DIRECTORY_LIMITS: DirectoryLimits = {
  maxAgeMs: 10_000,
  missMaxAgeMs: 10_000,
  maxMisses: 10_000,
  creationSettleMs: 10_000,
};

interface Known {
  integration: ActiveIntegration;
  expiresAt: number;
}

type Found = ActiveIntegration | null;

/**
 * The active integrations by slug, as the inbound route sees them: a projection kept in memory
 * and current through the INTEGRATIONS stream, so that a delivery costs no database round trip
 * to find its integration.
 *
 * - A slug not held is read from the database (the source shares one statement among
 *   concurrent reads, so a flood of unknown slugs costs one statement at a time).
 * - What was read is used for at most `maxAgeMs`, an unknown slug believed for `missMaxAgeMs`
 *   (at most `maxMisses` of them): the bound on how stale a gateway can be when it missed an
 *   event, e.g. while it was disconnected from NATS.
 * - An event that rotates or revokes an integration is appended before its transaction
 *   commits. On such an event the slug is read again with `findActiveSettled`, which waits for
 *   that commit, and requests for the slug wait for that read. So a revocation answered 204 on
 *   one gateway is in force on every gateway that heard its event, and the event is out before
 *   the 204 is sent.
 * - A creation names a slug that may have been remembered as unknown: it is forgotten, and for
 *   `creationSettleMs` a miss for it is not remembered (the row may not be committed yet).
 * - Reads under way when an event arrives answer their own requests only and are not kept:
 *   they may have read the row as it was before the change.
 */
export class IntegrationDirectory {
  private readonly known = new Map<string, Known>();
  private readonly slugById = new Map<string, string>();
  /** Unknown slugs and until when they are believed unknown, oldest first. */
  private readonly unknown = new Map<string, number>();
  private readonly loading = new Map<string, Promise<Found>>();
  private readonly settling = new Map<string, number>();
  /** Counts the changes heard; a read started before the last one is not kept. */
  private epoch = 0;

  constructor(
    private readonly source: IntegrationSource,
    private readonly limits: DirectoryLimits = DEFAULT_DIRECTORY_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The active integration at `slug`, or null when there is none; a value when it is held. */
  find(slug: string): Found | Promise<Found> {
    const loading = this.loading.get(slug);
    if (loading !== undefined) return loading;

    const now = this.now();
    const known = this.known.get(slug);
    if (known !== undefined && now < known.expiresAt) return known.integration;
    const unknownUntil = this.unknown.get(slug);
    if (unknownUntil !== undefined && now < unknownUntil) return null;

    return this.load(slug, () => this.source.findActive(slug));
  }

  /** An integration was created: its slug may have been remembered as unknown. */
  created(slug: string): void {
    this.heardChange();
    const now = this.now();
    for (const [settled, until] of this.settling) if (until <= now) this.settling.delete(settled);
    this.settling.set(slug, now + this.limits.creationSettleMs);
    this.unknown.delete(slug);
  }

  /**
   * An integration was rotated or revoked (or is about to be: the event comes before the
   * commit). Its slug, when held, is read again once the change is committed.
   */
  changed(integrationId: string, slug?: string): void {
    this.heardChange();
    const held = slug ?? this.slugById.get(integrationId);
    if (held === undefined) return;

    this.forget(held);
    this.load(held, () => this.source.findActiveSettled(held)).catch(() => undefined);
  }

  /** Forgets everything, e.g. after the events of a disconnection were missed. */
  clear(): void {
    this.heardChange();
    this.known.clear();
    this.slugById.clear();
    this.unknown.clear();
  }

  /** How many slugs are held, known and unknown. */
  size(): { known: number; unknown: number } {
    return { known: this.known.size, unknown: this.unknown.size };
  }

  private heardChange(): void {
    this.epoch += 1;
    // Requests from now on must not join a read that may have seen the row before the change.
    this.loading.clear();
  }

  private load(slug: string, read: () => Promise<Found>): Promise<Found> {
    const startedIn = this.epoch;
    const settle = () => {
      if (this.loading.get(slug) === loading) this.loading.delete(slug);
    };
    const loading: Promise<Found> = read().then(
      (integration) => {
        settle();
        if (startedIn === this.epoch) this.keep(slug, integration);
        return integration;
      },
      (error: unknown) => {
        settle();
        throw error;
      },
    );
    this.loading.set(slug, loading);
    return loading;
  }

  private keep(slug: string, integration: Found): void {
    const now = this.now();
    this.forget(slug);
    if (integration !== null) {
      this.known.set(slug, { integration, expiresAt: now + this.limits.maxAgeMs });
      this.slugById.set(integration.id, slug);
      return;
    }

    const settlesAt = this.settling.get(slug);
    if (settlesAt !== undefined && now < settlesAt) return;
    this.settling.delete(slug);
    if (this.unknown.size >= this.limits.maxMisses) this.forgetOldestMiss();
    this.unknown.set(slug, now + this.limits.missMaxAgeMs);
  }

  private forget(slug: string): void {
    const known = this.known.get(slug);
    if (known !== undefined && this.slugById.get(known.integration.id) === slug) {
      this.slugById.delete(known.integration.id);
    }
    this.known.delete(slug);
    this.unknown.delete(slug);
  }

  /** A Map iterates in insertion order: its first key is the oldest miss. */
  private forgetOldestMiss(): void {
    const oldest = this.unknown.keys().next();
    if (!oldest.done) this.unknown.delete(oldest.value);
  }
}
