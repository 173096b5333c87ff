import {
  Catch,
  Controller,
  Inject,
  UseFilters,
  type PipeTransform,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { Msg } from 'nats';
import { throwError, type Observable } from 'rxjs';
import {
  BadRequestError,
  KeraError,
  UnavailableError,
  isRecord,
  type CreateTicketCommand,
  type GetTicketCommand,
  type GetWorkflowCommand,
  type PutWorkflowCommand,
  type TransitionTicketCommand,
  type UpdateTicketCommand,
} from '@kera/contracts';
import { EVENT_HEADERS, type JetStreamRpcContext } from '@kera/jetstream';
import { LOGGER, type Logger } from '@kera/service';
import { TicketsService } from './tickets/tickets.service';
import { WorkflowsService } from './workflows/workflows.service';

/** SQLSTATEs of a Postgres that is unreachable, shutting down or out of connections. */
const DATABASE_DOWN_STATES = /^(08[0-9A-Z]{3}|57P0[1-3]|53300)$/;
/** Socket errors, seen when Postgres cannot be reached. */
const NETWORK_DOWN_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']);
/** What the Postgres pool says when a connection breaks or cannot be had in time. */
const DATABASE_DOWN_MESSAGES = /^(Connection terminated|timeout exceeded when trying to connect)/;
/** Codes of the nats client when the server is away or does not answer in time. */
const NATS_DOWN_CODES = new Set(['TIMEOUT', '503', 'CONNECTION_CLOSED', 'DISCONNECT']);

/**
 * The error a command answers with. Errors the caller can act on pass as
 * they are; a store that is not answering becomes 503 (try again), because
 * nothing was wrong with the command. Anything else stays a fault of ours
 * (a logged 500).
 */
export function commandError(error: unknown): unknown {
  if (error instanceof KeraError || typeof error !== 'object' || error === null) return error;
  const { code, message } = error as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';

  if (typeof code === 'string' && NATS_DOWN_CODES.has(code)) {
    return new UnavailableError('the event store (NATS JetStream) is not answering; try again');
  }
  const databaseDown =
    (typeof code === 'string' &&
      (DATABASE_DOWN_STATES.test(code) || NETWORK_DOWN_CODES.has(code))) ||
    DATABASE_DOWN_MESSAGES.test(text);
  return databaseDown
    ? new UnavailableError('the database (Postgres) is not answering; try again')
    : error;
}

/** Answers an outage of NATS or Postgres with 503 and a warning in the log. */
@Catch()
export class CommandErrorFilter implements RpcExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown): Observable<never> {
    const answer = commandError(exception);
    if (answer !== exception) this.logger.warn({ err: exception }, 'command failed: store down');
    return throwError(() => answer);
  }
}

/** A command's body must be a JSON object; anything else is a bad request, as over HTTP. */
export class CommandObject implements PipeTransform {
  transform(value: unknown): Record<string, unknown> {
    if (!isRecord(value)) throw new BadRequestError('the command body must be a JSON object');
    return value;
  }
}

/**
 * Request/reply commands of the workflow service on `<root>.cmd.ticket.*`
 * and `<root>.cmd.workflow.*`: the same validation and problems as the HTTP
 * API, which sends these very commands (see docs/commands.md).
 */
@Controller()
@UseFilters(CommandErrorFilter)
export class CommandsController {
  constructor(
    private readonly tickets: TicketsService,
    private readonly workflows: WorkflowsService,
  ) {}

  @MessagePattern('ticket.create')
  create(@Payload(CommandObject) command: CreateTicketCommand, @Ctx() ctx: JetStreamRpcContext) {
    return this.tickets.create(command, correlation(ctx));
  }

  @MessagePattern('ticket.get')
  get(@Payload(CommandObject) command: GetTicketCommand) {
    return this.tickets.get(command);
  }

  @MessagePattern('ticket.update')
  update(@Payload(CommandObject) command: UpdateTicketCommand, @Ctx() ctx: JetStreamRpcContext) {
    return this.tickets.update(command, correlation(ctx));
  }

  @MessagePattern('ticket.transition')
  transition(
    @Payload(CommandObject) command: TransitionTicketCommand,
    @Ctx() ctx: JetStreamRpcContext,
  ) {
    return this.tickets.transition(command, correlation(ctx));
  }

  @MessagePattern('workflow.put')
  putWorkflow(
    @Payload(CommandObject) command: PutWorkflowCommand,
    @Ctx() ctx: JetStreamRpcContext,
  ) {
    return this.workflows.put(command, { correlationId: correlation(ctx) });
  }

  @MessagePattern('workflow.get')
  getWorkflow(@Payload(CommandObject) command: GetWorkflowCommand) {
    return this.workflows.get(command);
  }
}

function correlation(ctx: JetStreamRpcContext): string | undefined {
  const msg = ctx.getArgByIndex(0) as Msg;
  return msg.headers?.get(EVENT_HEADERS.correlation) || undefined;
}
