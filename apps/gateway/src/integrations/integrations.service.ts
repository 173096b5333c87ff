import { Inject, Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import {
  EventTypes,
  Naming,
  NotFoundError,
  createEvent,
  type CreatedIntegration,
  type IntegrationCreatedData,
  type IntegrationRevokedData,
  type IntegrationRotatedData,
  type IntegrationView,
} from '@kera/contracts';
import type { KeraConfig } from '@kera/config';
import { EventPublisher } from '@kera/jetstream';
import { KERA_CONFIG, LOGGER, type Logger } from '@kera/service';
import { hashUrlToken, newSecret, newUrlToken } from './credentials';
import type { NewIntegration } from './integration-input';
import { IntegrationProjection } from './integration-projection';
import { IntegrationsRepository, type ListPosition } from './integrations.repository';
import { inboundUrl } from './inbound-url';
import { encodeCursor } from './list-page';
import { slugFromName } from './slug';

const SOURCE = 'kera/gateway';

/** The answer to a rotation: the new secret, shown only here. */
export interface RotatedSecret {
  secret: string;
  previous_secret_expires_at: string;
}

/**
 * Creates, lists, rotates and revokes integrations. Each change is stored in Postgres and its
 * event appended to the INTEGRATIONS stream in one step: the row is committed only after the
 * event is stored, so the audit trail never misses a change that took effect. Every gateway's
 * integration directory hears the event and reads the row again once it is committed.
 */
@Injectable()
export class IntegrationsService {
  constructor(
    private readonly repository: IntegrationsRepository,
    private readonly directory: IntegrationProjection,
    private readonly db: DataSource,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
    @Inject(KERA_CONFIG) private readonly config: KeraConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(input: NewIntegration): Promise<CreatedIntegration> {
    const id = randomUUID();
    const token = newUrlToken();
    const secret = newSecret(input.provider);
    const createdAt = new Date();

    const slug = await this.db.transaction(async (tx) => {
      const record = { id, ...input, tokenHash: hashUrlToken(token), secret, createdAt };
      const stored = await this.repository.insert(
        tx,
        record,
        slugFromName(input.name, input.provider),
      );
      await this.append<IntegrationCreatedData>(EventTypes.integrationCreated, id, {
        integration_id: id,
        provider: input.provider,
        name: input.name,
        slug: stored,
        project: input.project,
      });
      return stored;
    });
    // Every gateway hears the event; this one also learns it after the commit, without NATS.
    this.directory.created(slug);

    this.logger.info({ integration: id, slug, provider: input.provider }, 'integration created');
    return {
      id,
      provider: input.provider,
      name: input.name,
      slug,
      project: input.project,
      url: inboundUrl(this.config.publicUrl, slug, token),
      secret,
      created_at: createdAt.toISOString(),
    };
  }

  async list(
    limit: number,
    after: ListPosition | null,
  ): Promise<{ items: IntegrationView[]; next: string | null }> {
    const rows = await this.repository.list(limit, after);
    const items = rows.slice(0, limit);
    const last = items[items.length - 1];
    const next =
      rows.length > limit && last
        ? encodeCursor({ createdAt: new Date(last.created_at), id: last.id })
        : null;
    return { items, next };
  }

  async get(id: string): Promise<IntegrationView> {
    const view = await this.repository.get(id);
    if (!view) throw notFound();
    return view;
  }

  /** Gives the integration a new secret; the previous one keeps verifying for the grace period. */
  async rotate(id: string): Promise<RotatedSecret> {
    const rotated = await this.db.transaction(async (tx) => {
      const provider = await this.repository.lockActive(tx, id);
      if (provider === null) throw notFound();
      const secret = newSecret(provider);
      const expiresAt = await this.repository.rotate(
        tx,
        id,
        secret,
        this.config.rotationGraceSeconds,
      );
      await this.append<IntegrationRotatedData>(EventTypes.integrationRotated, id, {
        integration_id: id,
        previous_secret_expires_at: expiresAt.toISOString(),
      });
      return { secret, previous_secret_expires_at: expiresAt.toISOString() };
    });
    this.directory.changed(id);

    this.logger.info({ integration: id }, 'integration secret rotated');
    return rotated;
  }

  /** Revokes the integration: from the moment this returns, its URL answers 404. */
  async revoke(id: string): Promise<void> {
    const slug = await this.db.transaction(async (tx) => {
      const slug = await this.repository.revoke(tx, id);
      if (slug === null) throw notFound();
      await this.append<IntegrationRevokedData>(EventTypes.integrationRevoked, id, {
        integration_id: id,
        slug,
      });
      return slug;
    });
    this.directory.changed(id, slug);
    this.logger.info({ integration: id }, 'integration revoked');
  }

  private async append<T>(type: string, id: string, data: T): Promise<void> {
    const event = createEvent({ type, source: SOURCE, subject: id, data });
    await this.publisher.append(this.naming.integrationEvents(id), event);
  }
}

function notFound(): NotFoundError {
  return new NotFoundError('there is no active integration with this id');
}
