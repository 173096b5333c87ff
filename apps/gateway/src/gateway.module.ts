import { Module } from '@nestjs/common';
import { AuditController } from './audit/audit.controller';
import { TicketsController } from './tickets/tickets.controller';

@Module({ controllers: [TicketsController, AuditController] })
export class GatewayModule {}
