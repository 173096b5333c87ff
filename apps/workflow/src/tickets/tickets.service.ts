import { Injectable } from '@nestjs/common';
import {
  EventTypes,
  Naming,
  NotFoundError,
  PROJECT_KEY,
  TICKET_ID,
  ValidationError,
  createEvent,
  isRecord,
  type CreateTicketCommand,
  type GetTicketCommand,
  type KeraEvent,
  type NewEvent,
  type PipelineView,
  type TicketLink,
  type TicketView,
  type TransitionResult,
  type TransitionTicketCommand,
  type UpdateTicketCommand,
} from '@kera/contracts';
import {
  decideCreate,
  decideTransition,
  decideUpdate,
  evolve,
  toView,
  type CurrentWorkflow,
  type TicketState,
} from '@kera/domain';
import { ConcurrencyError, EventPublisher } from '@kera/jetstream';
import {
  decideAutomatedMove,
  decideLink,
  decidePipeline,
  decideUnlink,
  type EventOrigin,
  type GitTrigger,
} from '../automation/ticket-changes';
import { WorkflowRepository } from '../workflows/workflow.repository';
import { TicketRepository } from './ticket.repository';

const SOURCE = 'kera/workflow';
/** Ticket numbers tried before giving up when other instances keep taking them. */
const MAX_NUMBER_ATTEMPTS = 100;

/** What a decision asks to append; git automation also sets the event's id and cause. */
type Decision = Pick<NewEvent<unknown>, 'type' | 'data' | 'id' | 'causationId'>;
type Decide<D> = (ticket: TicketState) => D | Promise<D>;

/** Handles ticket commands: load, decide, append with the expected sequence, store the view. */
@Injectable()
export class TicketsService {
  /** Next free number per project, and a queue that serialises creations per project. */
  private readonly nextNumber = new Map<string, number>();
  private readonly creating = new Map<string, Promise<unknown>>();

  constructor(
    private readonly tickets: TicketRepository,
    private readonly workflows: WorkflowRepository,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
  ) {}

  async create(command: CreateTicketCommand, correlationId?: string): Promise<TicketView> {
    if (!isRecord(command)) throw invalidBody();
    const project = command.project;
    if (typeof project !== 'string' || !PROJECT_KEY.test(project)) {
      throw new ValidationError('invalid project', [
        { field: 'project', message: `project must be a key matching ${PROJECT_KEY.source}` },
      ]);
    }
    const workflow = await this.currentWorkflow(project);
    return this.serialised(project, () => this.createNumbered(command, workflow, correlationId));
  }

  async get(command: GetTicketCommand): Promise<TicketView> {
    const ticket = await this.existing(command?.ticket_id);
    return toView(ticket);
  }

  async update(command: UpdateTicketCommand, correlationId?: string): Promise<TicketView> {
    if (!isRecord(command)) throw invalidBody();
    const { ticket } = await this.append(command.ticket_id, correlationId, (current) => ({
      type: EventTypes.ticketUpdated,
      data: decideUpdate(current, {
        title: command.title,
        fields: command.fields,
        actor: command.actor,
      }),
    }));
    return toView(ticket);
  }

  async transition(
    command: TransitionTicketCommand,
    correlationId?: string,
  ): Promise<TransitionResult> {
    if (!isRecord(command)) throw invalidBody();
    const { ticket, event } = await this.append(
      command.ticket_id,
      correlationId,
      async (current) => ({
        type: EventTypes.ticketTransitioned,
        data: decideTransition(
          current,
          { to: command.to, actor: command.actor },
          await this.currentWorkflow(current.project),
          new Date(),
        ),
      }),
    );
    const data = event.data as { from_state: string; to_state: string };
    return {
      ticket: toView(ticket),
      event: {
        id: event.id,
        type: event.type,
        from_state: data.from_state,
        to_state: data.to_state,
        time: event.time,
      },
    };
  }

  /** Links a PR/MR or commit, or updates the link with its key; null when already so. */
  link(
    ticketId: string,
    link: TicketLink,
    actor: string | null,
    origin: EventOrigin,
  ): Promise<KeraEvent | null> {
    return this.appendChange(ticketId, origin, (ticket) => decideLink(ticket, link, actor));
  }

  /** Removes the link with this key; null when the ticket has none. */
  unlink(
    ticketId: string,
    key: string,
    actor: string | null,
    origin: EventOrigin,
  ): Promise<KeraEvent | null> {
    return this.appendChange(ticketId, origin, (ticket) => decideUnlink(ticket, key, actor));
  }

  /** Shows a CI run's state on the ticket; null when it shows that state already. */
  recordPipeline(
    ticketId: string,
    pipeline: PipelineView,
    origin: EventOrigin,
  ): Promise<KeraEvent | null> {
    return this.appendChange(ticketId, origin, (ticket) => decidePipeline(ticket, pipeline));
  }

  /**
   * Makes the move the workflow's `git:` trigger names as an ordinary
   * transition, or records why it was skipped; null when there is nothing to do.
   */
  moveByAutomation(
    ticketId: string,
    trigger: GitTrigger,
    actor: string,
    origin: EventOrigin,
  ): Promise<KeraEvent | null> {
    return this.appendChange(ticketId, origin, async (ticket) =>
      decideAutomatedMove(
        ticket,
        await this.currentWorkflow(ticket.project),
        trigger,
        actor,
        new Date(),
      ),
    );
  }

  /** Rebuilds the stored view from the stream when it is behind (after a crash). */
  async repair(ticketId: string, seq: number): Promise<void> {
    const stored = await this.tickets.storedVersion(ticketId);
    if (stored !== null && stored >= seq) return;
    const ticket = await this.tickets.load(ticketId);
    if (ticket) await this.tickets.save(ticket);
  }

  /**
   * Decides on the stored view and appends with its version as the expected
   * last sequence. When the view was behind, the append fails; the ticket is
   * then caught up from the stream and decided once more, so a real
   * concurrent change surfaces as the decision's own 409.
   */
  private async append(
    ticketId: unknown,
    correlationId: string | undefined,
    decide: Decide<Decision>,
  ): Promise<{ ticket: TicketState; event: KeraEvent }> {
    return this.appendTo(await this.existing(ticketId, false), correlationId, decide);
  }

  /**
   * A change that may be in place already: decided on the ticket as its
   * stream has it now, and nothing is appended when the decision is null.
   */
  private async appendChange(
    ticketId: string,
    origin: EventOrigin,
    decide: Decide<Decision | null>,
  ): Promise<KeraEvent | null> {
    const ticket = await this.existing(ticketId);
    const { event } = await this.appendTo(ticket, origin.correlationId, async (current) => {
      const decision = await decide(current);
      return decision && { ...decision, id: origin.id, causationId: origin.causationId };
    });
    return event;
  }

  private appendTo(
    ticket: TicketState,
    correlationId: string | undefined,
    decide: Decide<Decision>,
  ): Promise<{ ticket: TicketState; event: KeraEvent }>;
  private appendTo(
    ticket: TicketState,
    correlationId: string | undefined,
    decide: Decide<Decision | null>,
  ): Promise<{ ticket: TicketState; event: KeraEvent | null }>;
  private async appendTo(
    start: TicketState,
    correlationId: string | undefined,
    decide: Decide<Decision | null>,
  ): Promise<{ ticket: TicketState; event: KeraEvent | null }> {
    let ticket = start;
    for (let attempt = 1; ; attempt += 1) {
      const decision = await decide(ticket);
      if (decision === null) return { ticket, event: null };
      const event = createEvent({ ...decision, source: SOURCE, subject: ticket.id, correlationId });
      try {
        const { seq, duplicate } = await this.publisher.append(
          this.naming.ticketEvents(ticket.id),
          event,
          { expectedLastSubjectSequence: ticket.version },
        );
        // A derived event id stored before: the change is in the stream already.
        if (duplicate) return { ticket: (await this.tickets.load(ticket.id)) ?? ticket, event };
        const next = evolve(ticket, event, seq) as TicketState;
        await this.tickets.save(next);
        return { ticket: next, event };
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt > 1) throw error;
        ticket = (await this.tickets.catchUp(ticket.id, ticket)) as TicketState;
      }
    }
  }

  private async createNumbered(
    command: CreateTicketCommand,
    workflow: CurrentWorkflow,
    correlationId: string | undefined,
  ): Promise<TicketView> {
    const project = command.project;
    let number = this.nextNumber.get(project) ?? (await this.tickets.highestNumber(project)) + 1;

    for (let attempt = 0; attempt < MAX_NUMBER_ATTEMPTS; attempt += 1, number += 1) {
      const id = `${project}-${number}`;
      const data = decideCreate(
        { project, title: command.title, fields: command.fields, actor: command.actor },
        id,
        number,
        workflow,
      );
      const event = createEvent({
        type: EventTypes.ticketCreated,
        source: SOURCE,
        subject: id,
        data,
        correlationId,
      });
      try {
        // Expecting sequence 0 claims the number: the subject must be empty.
        const { seq } = await this.publisher.append(this.naming.ticketEvents(id), event, {
          expectedLastSubjectSequence: 0,
        });
        this.nextNumber.set(project, number + 1);
        const ticket = evolve(null, event, seq) as TicketState;
        await this.tickets.save(ticket);
        return toView(ticket);
      } catch (error) {
        if (!(error instanceof ConcurrencyError)) throw error;
      }
    }
    throw new ConcurrencyError(this.naming.allTicketEvents(project), null);
  }

  private serialised<T>(project: string, work: () => Promise<T>): Promise<T> {
    const previous = this.creating.get(project) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(work);
    this.creating.set(project, next);
    void next
      .finally(() => {
        if (this.creating.get(project) === next) this.creating.delete(project);
      })
      .catch(() => undefined);
    return next;
  }

  private async existing(ticketId: unknown, fresh = true): Promise<TicketState> {
    if (typeof ticketId !== 'string' || !TICKET_ID.test(ticketId)) {
      throw new NotFoundError(`no ticket ${JSON.stringify(ticketId)}`);
    }
    const ticket = fresh
      ? await this.tickets.load(ticketId)
      : await this.tickets.snapshot(ticketId);
    const found = ticket ?? (fresh ? null : await this.tickets.load(ticketId));
    if (!found) throw new NotFoundError(`no ticket ${ticketId}`);
    return found;
  }

  private async currentWorkflow(project: string): Promise<CurrentWorkflow> {
    const workflow = await this.workflows.current(project);
    if (!workflow) {
      throw new ValidationError(`project ${project} has no workflow`, [
        { field: 'project', message: `project ${project} does not exist; put its workflow first` },
      ]);
    }
    return { version: workflow.version, definition: workflow.definition };
  }
}

function invalidBody(): ValidationError {
  return new ValidationError('the command must be a JSON object', [
    { message: 'expected a JSON object' },
  ]);
}
