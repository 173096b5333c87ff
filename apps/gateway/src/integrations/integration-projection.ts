import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Msg, NatsConnection, Subscription } from 'nats';
import { EventTypes, Naming, type KeraEvent } from '@kera/contracts';
import { LOGGER, NATS_CONNECTION, type Logger } from '@kera/service';
import { BatchedLookup } from '../inbound/batched-lookup';
import {
  IntegrationDirectory,
  toActiveIntegration,
  type ActiveIntegration,
  type IntegrationSource,
} from './integration-directory';
import { IntegrationsRepository } from './integrations.repository';

/** What the lifecycle events carry that the directory needs: never a secret. */
interface IntegrationEventData {
  integration_id?: string;
  slug?: string;
}

/**
 * The gateway's integration directory, kept current by every create, rotate and revoke that
 * the INTEGRATIONS stream carries. It listens with a plain subscription on the stream's
 * subjects: each event reaches it as the stream stores it. Events missed while NATS was away
 * cannot be told apart, so a disconnection forgets everything held; the directory's maximum
 * age bounds what any other miss could leave stale.
 */
@Injectable()
export class IntegrationProjection
  extends IntegrationDirectory
  implements OnApplicationBootstrap, OnApplicationShutdown
{
  private subscription: Subscription | null = null;
  private watching = true;

  constructor(
    repository: IntegrationsRepository,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly naming: Naming,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    super(postgresSource(repository));
  }

  onApplicationBootstrap(): void {
    this.subscription ??= this.nc.subscribe(`${this.naming.root}.evt.integration.>`, {
      callback: (error, message) => {
        if (error) this.logger.warn({ err: error }, 'integration events subscription failed');
        else this.hear(message);
      },
    });
    void this.forgetOnDisconnect();
  }

  onApplicationShutdown(): void {
    this.watching = false;
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  private hear(message: Msg): void {
    let event: KeraEvent<IntegrationEventData>;
    try {
      event = message.json<KeraEvent<IntegrationEventData>>();
    } catch {
      // Not an event this gateway can read: forget everything rather than risk keeping it.
      this.clear();
      return;
    }
    const id = event.data?.integration_id ?? event.subject;
    const slug = event.data?.slug;
    if (event.type === EventTypes.integrationCreated && slug !== undefined) this.created(slug);
    else this.changed(id, slug);
  }

  private async forgetOnDisconnect(): Promise<void> {
    for await (const status of this.nc.status()) {
      if (!this.watching) return;
      if (status.type === 'disconnect' || status.type === 'reconnect') this.clear();
    }
  }
}

/** Reads from Postgres, the lookups of concurrent requests in one statement. */
function postgresSource(repository: IntegrationsRepository): IntegrationSource {
  const lookup = new BatchedLookup<string, ActiveIntegration>(async (slugs) => {
    const records = await repository.findActive(slugs);
    return new Map(records.map((record) => [record.slug, toActiveIntegration(record)]));
  });
  return {
    findActive: async (slug) => (await lookup.get(slug)) ?? null,
    findActiveSettled: async (slug) => {
      const record = await repository.findActiveSettled(slug);
      return record === null ? null : toActiveIntegration(record);
    },
  };
}
