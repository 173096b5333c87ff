import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { EventTypes, TICKET_ID } from '@kera/contracts';
import type { StreamMessage } from '@kera/jetstream';
import { WORKFLOW_CONSUMERS } from './consumers';
import { TicketsService } from './tickets/tickets.service';
import { WorkflowsService } from './workflows/workflows.service';

/**
 * Keeps the read models complete when a command's own write did not happen
 * (the process died between append and store). In the normal case each
 * event is already stored and this costs one indexed read.
 */
@Controller()
export class ProjectionsController {
  constructor(
    private readonly tickets: TicketsService,
    private readonly workflows: WorkflowsService,
  ) {}

  @EventPattern(WORKFLOW_CONSUMERS.tickets.name, { concurrency: 16 })
  async ticketEvent(@Payload() message: StreamMessage): Promise<void> {
    // The subject names the ticket whatever the message holds; one that names
    // no ticket is skipped rather than redelivered for ever.
    const ticketId = message.subject.slice(message.subject.lastIndexOf('.') + 1);
    if (!TICKET_ID.test(ticketId)) return;
    await this.tickets.repair(ticketId, message.seq);
  }

  @EventPattern(WORKFLOW_CONSUMERS.workflows.name)
  async workflowEvent(@Payload() message: StreamMessage): Promise<void> {
    if (message.event?.type !== EventTypes.workflowUpdated) return;
    await this.workflows.store(message.event, message.seq);
  }
}
