import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { Naming } from '@kera/contracts';
import type { KeraConfig, Logger } from '@kera/config';
import { CommandClient, EventPublisher } from '@kera/jetstream';
import { MetricsRegistry } from './metrics';
import { KERA_CONFIG, LOGGER, NATS_CONNECTION, SERVICE_NAME } from './tokens';

export interface Infrastructure {
  service: string;
  config: KeraConfig;
  logger: Logger;
  nc: NatsConnection;
  dataSource: DataSource;
  naming: Naming;
}

/** Closes the connections last, after Nest stopped the transports and HTTP server. */
class ConnectionCloser implements OnApplicationShutdown {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(DataSource) private readonly dataSource: DataSource,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.nc.drain().catch(() => undefined);
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

/** Provides the connections opened at start-up to every module of a service. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(infra: Infrastructure): DynamicModule {
    return {
      module: InfrastructureModule,
      providers: [
        { provide: SERVICE_NAME, useValue: infra.service },
        { provide: KERA_CONFIG, useValue: infra.config },
        { provide: LOGGER, useValue: infra.logger },
        { provide: NATS_CONNECTION, useValue: infra.nc },
        { provide: DataSource, useValue: infra.dataSource },
        { provide: Naming, useValue: infra.naming },
        { provide: EventPublisher, useFactory: () => new EventPublisher(infra.nc) },
        { provide: CommandClient, useFactory: () => new CommandClient(infra.nc, infra.naming) },
        MetricsRegistry,
        ConnectionCloser,
      ],
      exports: [
        SERVICE_NAME,
        KERA_CONFIG,
        LOGGER,
        NATS_CONNECTION,
        DataSource,
        Naming,
        EventPublisher,
        CommandClient,
        MetricsRegistry,
      ],
    };
  }
}
