import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { Infrastructure } from '@kera/service';
import { AdminAuth } from './admin-auth';

const YAML_TYPES = [
  'application/yaml',
  'application/x-yaml',
  'text/yaml',
  'text/x-yaml',
  'text/plain',
];
const YAML_MAX_BYTES = 256 * 1024;

/** HTTP concerns of the gateway: auth, problem+json errors, YAML bodies, OpenAPI. */
export function configureGatewayHttp(app: NestFastifyApplication, infra: Infrastructure): void {
  const fastify = app.getHttpAdapter().getInstance();
  new AdminAuth(infra.config, infra.dataSource).install(fastify);
  fastify.addContentTypeParser(
    YAML_TYPES,
    { parseAs: 'string', bodyLimit: YAML_MAX_BYTES },
    (_request, body, done) => done(null, body),
  );

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Kera Webhooks')
      .setDescription(
        'Tickets, workflows, integrations, inbound and outbound webhooks, audit trail',
      )
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('api/docs', app, document, { jsonDocumentUrl: 'api/docs/openapi.json' });
}
