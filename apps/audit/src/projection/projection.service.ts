import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { Naming, STREAMS } from '@kera/contracts';
import type { KeraConfig, Logger } from '@kera/config';
import { KERA_CONFIG, LOGGER, MetricsRegistry, NATS_CONNECTION } from '@kera/service';
import { removeLegacyDurables } from '../consumers';
import { AuditProjection } from './audit-projection';
import { ProjectionMetrics, readProjectionLag } from './projection-metrics';

/** Runs the audit projection for as long as the service runs. */
@Injectable()
export class ProjectionService implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly projection: AuditProjection;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(KERA_CONFIG) config: KeraConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly naming: Naming,
    metrics: MetricsRegistry,
    db: DataSource,
  ) {
    const readLag = async () =>
      readProjectionLag({
        jsm: await nc.jetstreamManager({ checkAPI: false }),
        naming,
        db,
        streams: STREAMS,
      });
    this.projection = new AuditProjection({
      nc,
      naming,
      databaseUrl: config.databaseUrl,
      instanceId: config.instanceId,
      logger,
      metrics: new ProjectionMetrics(metrics.registry, readLag),
    });
  }

  async onApplicationBootstrap(): Promise<void> {
    await removeLegacyDurables(
      await this.nc.jetstreamManager({ checkAPI: false }),
      this.naming,
    ).catch((error: unknown) =>
      this.logger.warn({ err: error }, 'audit: could not remove old durables'),
    );
    this.projection.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.projection.stop();
  }
}
