import 'reflect-metadata';
import { Module, type DynamicModule, type INestApplication, type Type } from '@nestjs/common';
import { APP_FILTER, NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Naming } from '@kera/contracts';
import { ConfigError, createLogger, loadConfig, type KeraConfig, type Logger } from '@kera/config';
import {
  JetStreamTransport,
  NatsUnavailableError,
  connectNats,
  jetStreamManager,
  provisionConsumers,
  provisionStreams,
  type ConsumerSpec,
} from '@kera/jetstream';
import { DatabaseUnavailableError, openDatabase, redactUrl } from '@kera/persistence';
import { registerConsumerLag } from './consumer-lag';
import { HealthModule } from './health.controller';
import { MetricsRegistry } from './metrics';
import { KeraExceptionFilter } from './problem.filter';
import { InfrastructureModule, type Infrastructure } from './infrastructure.module';
import { NestLogger } from './nest-logger';
import { installRequestLogging } from './request-logging';

export interface ServiceDefinition {
  /** `gateway`, `workflow`, `dispatcher` or `audit`. */
  name: string;
  /** The service's own feature module. */
  module: Type | DynamicModule;
  /** Durable consumers its `@EventPattern` handlers read. */
  consumers: readonly ConsumerSpec[] | ((config: KeraConfig) => readonly ConsumerSpec[]);
  /** HTTP port when neither PORT (gateway) nor KERA_HEALTH_PORT says. */
  port: (config: KeraConfig) => number;
  /** Extra set-up of the HTTP application before it listens. */
  configureHttp?: (app: NestFastifyApplication, infra: Infrastructure) => void | Promise<void>;
  /** Largest request body the HTTP server reads (default 1 MiB). */
  bodyLimit?: (config: KeraConfig) => number;
}

export interface RunningService {
  app: INestApplication;
  infra: Infrastructure;
  url: string;
}

/**
 * Starts one service: validated configuration, NATS with JetStream, streams
 * and consumers, Postgres with migrations, then the Nest application with
 * its HTTP server and JetStream transport. A missing dependency ends the
 * process with one line that says what to do.
 */
export async function runService(definition: ServiceDefinition): Promise<RunningService> {
  try {
    return await startService(definition);
  } catch (error) {
    if (isStartupError(error)) {
      process.stderr.write(`kera-${definition.name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
}

async function startService(definition: ServiceDefinition): Promise<RunningService> {
  const config = loadConfig();
  const logger = createLogger(definition.name, config.logLevel);
  const naming = new Naming({ subjectRoot: config.subjectRoot, streamPrefix: config.streamPrefix });

  const nc = await connectNats({
    url: config.natsUrl,
    name: `kera-${definition.name}-${config.instanceId}`,
    logger,
  });
  const jsm = await jetStreamManager(nc, config.natsUrl);
  const notes = await provisionStreams(
    jsm,
    naming,
    config.streamReplicas,
    config.jetstreamMaxBytes,
  );
  for (const note of notes) logger.warn(note);
  const consumers =
    typeof definition.consumers === 'function'
      ? definition.consumers(config)
      : definition.consumers;
  await provisionConsumers(jsm, naming, consumers);

  const dataSource = await openDatabase({
    url: config.databaseUrl,
    applicationName: `kera-${definition.name}`,
  });
  const infra: Infrastructure = {
    service: definition.name,
    config,
    logger,
    nc,
    dataSource,
    naming,
  };

  const app = await createApp(definition, infra, consumers);
  registerConsumerLag(app.get(MetricsRegistry).registry, { jsm, naming, consumers });
  const port = definition.port(config);
  await app.listen(port, '0.0.0.0');
  const url = await app.getUrl();
  logger.info(
    { url, nats: config.natsUrl, database: redactUrl(config.databaseUrl) },
    `${definition.name} started`,
  );
  return { app, infra, url: url.replace('[::1]', '127.0.0.1').replace('0.0.0.0', '127.0.0.1') };
}

async function createApp(
  definition: ServiceDefinition,
  infra: Infrastructure,
  consumers: readonly ConsumerSpec[],
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: definition.bodyLimit?.(infra.config) ?? 1024 * 1024,
    // The recorded source address is the peer's own: X-Forwarded-For is
    // whatever a sender writes unless a proxy in front rewrites it.
    trustProxy: false,
    // A sender may not hold a connection (and up to the body limit of
    // memory) open indefinitely.
    requestTimeout: 60_000,
    connectionTimeout: 60_000,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    rootModule(definition, infra),
    adapter,
    {
      bufferLogs: true,
      abortOnError: false,
    },
  );
  app.useLogger(new NestLogger(infra.logger));
  installRequestLogging(app.getHttpAdapter().getInstance(), infra.logger);
  app.enableShutdownHooks();
  await definition.configureHttp?.(app, infra);

  const transport = new JetStreamTransport({
    nc: infra.nc,
    naming: infra.naming,
    service: definition.name,
    consumers,
    logger: infra.logger,
  });
  app.connectMicroservice({ strategy: transport });
  await app.startAllMicroservices();
  return app;
}

function rootModule(definition: ServiceDefinition, infra: Infrastructure): DynamicModule {
  @Module({})
  class ServiceRootModule {}

  return {
    module: ServiceRootModule,
    providers: [{ provide: APP_FILTER, useClass: KeraExceptionFilter }],
    imports: [InfrastructureModule.forRoot(infra), HealthModule, definition.module],
  };
}

function isStartupError(error: unknown): error is Error {
  return (
    error instanceof ConfigError ||
    error instanceof NatsUnavailableError ||
    error instanceof DatabaseUnavailableError
  );
}

export type { Logger };
