import { Module } from '@nestjs/common';
import { AuditController } from './audit/audit.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { DeliveriesModule } from './deliveries/deliveries.module';
import { InboundModule } from './inbound/inbound.module';
import { IntegrationsModule } from './integrations/integrations.module';
import { DeliveryStatsController } from './stats/delivery-stats.controller';
import { TicketsController } from './tickets/tickets.controller';

@Module({
  imports: [IntegrationsModule, InboundModule, DeliveriesModule],
  controllers: [TicketsController, AuditController, DashboardController, DeliveryStatsController],
})
export class GatewayModule {}
