import { Module } from '@nestjs/common';
import { GitAutomationController } from './automation/git-automation.controller';
import { GitAutomationService } from './automation/git-automation.service';
import { GitLinksRepository } from './automation/git-links.repository';
import { InboundBodyReader } from './automation/inbound-body.reader';
import { CommandsController } from './commands.controller';
import { ProjectionsController } from './projections.controller';
import { TicketRepository } from './tickets/ticket.repository';
import { TicketsService } from './tickets/tickets.service';
import { WorkflowRepository } from './workflows/workflow.repository';
import { WorkflowsService } from './workflows/workflows.service';

@Module({
  controllers: [CommandsController, ProjectionsController, GitAutomationController],
  providers: [
    TicketRepository,
    TicketsService,
    WorkflowRepository,
    WorkflowsService,
    GitAutomationService,
    GitLinksRepository,
    InboundBodyReader,
  ],
})
export class WorkflowModule {}
