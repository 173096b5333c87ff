import { Module } from '@nestjs/common';
import { CommandsController } from './commands.controller';
import { ProjectionsController } from './projections.controller';
import { TicketRepository } from './tickets/ticket.repository';
import { TicketsService } from './tickets/tickets.service';
import { WorkflowRepository } from './workflows/workflow.repository';
import { WorkflowsService } from './workflows/workflows.service';

@Module({
  controllers: [CommandsController, ProjectionsController],
  providers: [TicketRepository, TicketsService, WorkflowRepository, WorkflowsService],
})
export class WorkflowModule {}
