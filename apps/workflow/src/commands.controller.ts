import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { Msg } from 'nats';
import type {
  CreateTicketCommand,
  GetTicketCommand,
  GetWorkflowCommand,
  PutWorkflowCommand,
  TransitionTicketCommand,
  UpdateTicketCommand,
} from '@kera/contracts';
import { EVENT_HEADERS, type JetStreamRpcContext } from '@kera/jetstream';
import { TicketsService } from './tickets/tickets.service';
import { WorkflowsService } from './workflows/workflows.service';

/** Request/reply commands of the workflow service; validation happens in the services. */
@Controller()
export class CommandsController {
  constructor(
    private readonly tickets: TicketsService,
    private readonly workflows: WorkflowsService,
  ) {}

  @MessagePattern('ticket.create')
  create(@Payload() command: CreateTicketCommand, @Ctx() ctx: JetStreamRpcContext) {
    return this.tickets.create(command, correlation(ctx));
  }

  @MessagePattern('ticket.get')
  get(@Payload() command: GetTicketCommand) {
    return this.tickets.get(command);
  }

  @MessagePattern('ticket.update')
  update(@Payload() command: UpdateTicketCommand, @Ctx() ctx: JetStreamRpcContext) {
    return this.tickets.update(command, correlation(ctx));
  }

  @MessagePattern('ticket.transition')
  transition(@Payload() command: TransitionTicketCommand, @Ctx() ctx: JetStreamRpcContext) {
    return this.tickets.transition(command, correlation(ctx));
  }

  @MessagePattern('workflow.put')
  putWorkflow(@Payload() command: PutWorkflowCommand) {
    return this.workflows.put(command);
  }

  @MessagePattern('workflow.get')
  getWorkflow(@Payload() command: GetWorkflowCommand) {
    return this.workflows.get(command);
  }
}

function correlation(ctx: JetStreamRpcContext): string | undefined {
  const msg = ctx.getArgByIndex(0) as Msg;
  return msg.headers?.get(EVENT_HEADERS.correlation) || undefined;
}
