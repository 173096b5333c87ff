import { Module } from '@nestjs/common';
import { IntegrationProjection } from './integration-projection';
import { IntegrationsController } from './integrations.controller';
import { IntegrationsRepository } from './integrations.repository';
import { IntegrationsService } from './integrations.service';

/** Integrations and their REST API; the repository and the in-memory directory are shared with the inbound route. */
@Module({
  controllers: [IntegrationsController],
  providers: [IntegrationsRepository, IntegrationProjection, IntegrationsService],
  exports: [IntegrationsRepository, IntegrationProjection],
})
export class IntegrationsModule {}
