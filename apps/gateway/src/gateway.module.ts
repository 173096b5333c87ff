import { Module } from '@nestjs/common';
import { AuditController } from './audit/audit.controller';
import { DashboardController } from './dashboard/dashboard.controller';
import { DeliveryStatsController } from './stats/delivery-stats.controller';
import { TicketsController } from './tickets/tickets.controller';

@Module({
  controllers: [TicketsController, AuditController, DashboardController, DeliveryStatsController],
})
export class GatewayModule {}
