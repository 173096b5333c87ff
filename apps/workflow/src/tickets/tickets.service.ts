import { Inject, Injectable } from '@nestjs/common';
import {
  ConflictError,
  EventTypes,
  Naming,
  NotFoundError,
  PROJECT_KEY,
  TICKET_ID,
  UnavailableError,
  ValidationError,
  createEvent,
  type CreateTicketCommand,
  type GetTicketCommand,
  type KeraEvent,
  type NewEvent,
  type PipelineView,
  type TicketLink,
  type TicketTransitionedData,
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
import { LOGGER, type Logger } from '@kera/service';
import {
  decideAutomatedMove,
  decideLink,
  decidePipeline,
  decideUnlink,
  type EventOrigin,
  type GitTrigger,
} from '../automation/ticket-changes';
import { WorkflowRepository } from '../workflows/workflow.repository';
import { KeyedQueue } from './keyed-queue';
import { TicketRepository } from './ticket.repository';

const SOURCE = 'kera/workflow';
/** Ticket numbers tried before giving up when other instances keep taking them. */
const MAX_NUMBER_ATTEMPTS = 100;
/**
 * A creation that waited this long behind others of its project is refused
 * without creating anything: its caller has most likely stopped waiting
 * (the gateway waits 10 s) and would otherwise not learn of the ticket.
 */
const CREATION_QUEUE_LIMIT_MS = 5_000;

/** What a decision asks to append; git automation also sets the event's id and cause. */
type Decision = Pick<NewEvent<unknown>, 'type' | 'data' | 'id' | 'causationId'>;
type Decide<D> = (ticket: TicketState) => D | Promise<D>;
/**
 * A person's command: decided on the ticket and, when it needs it, on the project's current
 * workflow (`workflow()` loads it at most once per command).
 */
type DecideCommand = (
  ticket: TicketState,
  workflow: () => Promise<CurrentWorkflow>,
) => Decision | Promise<Decision>;

/**
 * Handles ticket commands: load the ticket as its stream has it now (the
 * stored snapshot plus the events after it), decide, append with the
 * ticket's version as the expected last subject sequence, write the view
 * through. Of two concurrent commands on one ticket only one is stored; the
 * other answers 409 and stores nothing.
 */
@Injectable()
export class TicketsService {
  /** Creations of one project run one at a time per instance, so they never race each other. */
  private readonly creations = new KeyedQueue({
    maxWaitMs: CREATION_QUEUE_LIMIT_MS,
    tooLate: creationsBacklogged,
  });
  /** One repair per ticket at a time: a burst of events is caught up once, not once each. */
  private readonly repairs = new KeyedQueue();

  constructor(
    private readonly tickets: TicketRepository,
    private readonly workflows: WorkflowRepository,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async create(command: CreateTicketCommand, correlationId?: string): Promise<TicketView> {
    const project = checkProject(command.project);
    const workflow = await this.currentWorkflow(project);

    const ticket = await this.creations.run(project, () =>
      this.claimNumber(command, workflow, correlationId),
    );
    return toView(ticket, workflow.definition);
  }

  async get(command: GetTicketCommand): Promise<TicketView> {
    const ticket = await this.existing(command.ticket_id);
    return this.view(ticket);
  }

  async update(command: UpdateTicketCommand, correlationId?: string): Promise<TicketView> {
    const change = { title: command.title, fields: command.fields, actor: command.actor };
    const stored = await this.decideAndStore(
      command.ticket_id,
      (ticket) => ({ type: EventTypes.ticketUpdated, data: decideUpdate(ticket, change) }),
      correlationId,
    );

    return this.view(stored.ticket);
  }

  async transition(
    command: TransitionTicketCommand,
    correlationId?: string,
  ): Promise<TransitionResult> {
    const move = { to: command.to, actor: command.actor };
    // What the stored decision was made of (the last one decided).
    let decided: { data: TicketTransitionedData; workflow: CurrentWorkflow } | undefined;
    const { ticket: next, event } = await this.decideAndStore(
      command.ticket_id,
      async (ticket, currentWorkflow) => {
        const workflow = decided?.workflow ?? (await currentWorkflow());
        const data = decideTransition(ticket, move, workflow, new Date());
        decided = { data, workflow };
        return { type: EventTypes.ticketTransitioned, data };
      },
      correlationId,
    );
    const { data, workflow } = decided as {
      data: TicketTransitionedData;
      workflow: CurrentWorkflow;
    };

    return {
      ticket: toView(next, workflow.definition),
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

  /**
   * Brings the stored view up to the event at `seq` when the command that
   * appended it could not write it (a crash, or Postgres not answering).
   */
  repair(ticketId: string, seq: number): Promise<void> {
    // Usually the command that appended the event wrote the view itself, in this process.
    if (this.tickets.storedAtLeast(ticketId, seq)) return Promise.resolve();
    return this.repairs.run(ticketId, async () => {
      const stored = await this.tickets.storedVersion(ticketId);
      if (stored !== null && stored >= seq) return;
      const ticket = await this.tickets.load(ticketId);
      if (ticket) await this.tickets.save(ticket);
    });
  }

  /**
   * A person's command: decided on the stored snapshot and appended expecting the snapshot's
   * version, without first asking the stream for later events (there nearly never are any).
   * When the stream has moved on, JetStream refuses the append; and a decision refused on the
   * snapshot may be one the later events allow. In both cases the ticket is caught up with the
   * stream and decided once more, which is what reading it up to date first would have given.
   * A change that lands after that still answers 409.
   */
  private async decideAndStore(
    ticketId: unknown,
    decide: DecideCommand,
    correlationId: string | undefined,
  ): Promise<{ ticket: TicketState; event: KeraEvent }> {
    if (typeof ticketId !== 'string' || !TICKET_ID.test(ticketId)) {
      throw new NotFoundError(`no ticket ${JSON.stringify(ticketId)}`);
    }
    // The snapshot and the number of its project's latest workflow come in one round trip.
    const stored = await this.tickets.snapshotForCommand(ticketId);
    if (!stored) {
      const ticket = await this.existing(ticketId);
      return this.store(
        ticket,
        await decide(ticket, () => this.currentWorkflow(ticket.project)),
        correlationId,
      );
    }
    const { ticket: snapshot, workflowVersion } = stored;
    const workflow = () => this.workflowAt(snapshot.project, workflowVersion);

    let refusal: unknown;
    try {
      return await this.store(snapshot, await decide(snapshot, workflow), correlationId);
    } catch (error) {
      // Only a refused decision (409, 422) or append (409, ConcurrencyError): after any other
      // failure the event may be stored, and deciding again could store the change twice.
      if (!(error instanceof ConflictError || error instanceof ValidationError)) throw error;
      refusal = error;
    }
    const current = (await this.tickets.catchUp(ticketId, snapshot)) as TicketState;
    if (current.version === snapshot.version) throw refusal;
    return this.store(current, await decide(current, workflow), correlationId);
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

  /**
   * Automation's change, decided once more on the caught-up ticket when a
   * concurrent change won: unlike a person's command, it still applies.
   */
  private async appendTo(
    start: TicketState,
    correlationId: string | undefined,
    decide: Decide<Decision | null>,
  ): Promise<{ ticket: TicketState; event: KeraEvent | null }> {
    let ticket = start;
    for (let attempt = 1; ; attempt += 1) {
      const decision = await decide(ticket);
      if (decision === null) return { ticket, event: null };
      try {
        return await this.store(ticket, decision, correlationId);
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt > 1) throw error;
        ticket = (await this.tickets.catchUp(ticket.id, ticket)) as TicketState;
      }
    }
  }

  /**
   * Appends the decided event expecting the ticket's version as the last
   * sequence on its subject (ConcurrencyError when another change came
   * first), then writes the view through.
   */
  private async store(
    ticket: TicketState,
    decision: Decision,
    correlationId: string | undefined,
  ): Promise<{ ticket: TicketState; event: KeraEvent }> {
    const event = createEvent({ ...decision, source: SOURCE, subject: ticket.id, correlationId });
    const { seq, duplicate } = await this.publisher.append(
      this.naming.ticketEvents(ticket.id),
      event,
      { expectedLastSubjectSequence: ticket.version },
    );
    // A derived event id stored before: the change is in the stream already.
    if (duplicate) return { ticket: (await this.tickets.load(ticket.id)) ?? ticket, event };

    const next = evolve(ticket, event, seq) as TicketState;
    await this.writeThrough(next);
    return { ticket: next, event };
  }

  /**
   * The event is stored, so the command has succeeded whatever happens here:
   * a view that cannot be written now is written by the projector
   * (`repair`), which retries until Postgres answers again.
   */
  private async writeThrough(ticket: TicketState): Promise<void> {
    try {
      await this.tickets.save(ticket);
    } catch (error) {
      this.logger.warn(
        { err: error, ticket: ticket.id, version: ticket.version },
        'ticket view not written; the projector will write it',
      );
    }
  }

  /**
   * Claims the project's next number: the created event is appended on the
   * new ticket's subject expecting it empty, so of two instances that try
   * one number only one stores it. Numbers are tried upwards from the
   * highest stored one; as every lower number is taken, none is skipped,
   * and after a lost claim that highest number is read again so that an
   * instance that fell behind catches up in a step.
   */
  private async claimNumber(
    command: CreateTicketCommand,
    workflow: CurrentWorkflow,
    correlationId: string | undefined,
  ): Promise<TicketState> {
    const { project } = command;
    let number = (await this.tickets.highestNumber(project)) + 1;

    for (let attempt = 1; attempt <= MAX_NUMBER_ATTEMPTS; attempt += 1) {
      const ticket = await this.claim(command, workflow, number, correlationId);
      if (ticket) return ticket;
      number = Math.max(number + 1, (await this.tickets.highestNumber(project)) + 1);
    }
    throw new ConflictError(`other instances kept taking ${project}'s next number; try again`);
  }

  /** The new ticket, or null when another instance took the number first. */
  private async claim(
    command: CreateTicketCommand,
    workflow: CurrentWorkflow,
    number: number,
    correlationId: string | undefined,
  ): Promise<TicketState | null> {
    const { project, title, fields, actor } = command;
    const id = `${project}-${number}`;
    const data = decideCreate({ project, title, fields, actor }, id, number, workflow);
    const event = createEvent({
      type: EventTypes.ticketCreated,
      source: SOURCE,
      subject: id,
      data,
      correlationId,
    });

    const seq = await this.appendFirst(id, event);
    if (seq === null) return null;

    const ticket = evolve(null, event, seq) as TicketState;
    await this.writeThrough(ticket);
    return ticket;
  }

  /** Appends on a new ticket's subject, expecting it empty: the sequence, or null when taken. */
  private async appendFirst(id: string, event: KeraEvent): Promise<number | null> {
    try {
      const subject = this.naming.ticketEvents(id);
      const { seq } = await this.publisher.append(subject, event, {
        expectedLastSubjectSequence: 0,
      });
      return seq;
    } catch (error) {
      if (error instanceof ConcurrencyError) return null;
      throw error;
    }
  }

  private async existing(ticketId: unknown): Promise<TicketState> {
    if (typeof ticketId !== 'string' || !TICKET_ID.test(ticketId)) {
      throw new NotFoundError(`no ticket ${JSON.stringify(ticketId)}`);
    }
    const ticket = await this.tickets.load(ticketId);
    if (!ticket) throw new NotFoundError(`no ticket ${ticketId}`);
    return ticket;
  }

  /** The view with `state_orphaned` judged against the project's current workflow. */
  private async view(ticket: TicketState): Promise<TicketView> {
    const workflow = await this.workflows.current(ticket.project);
    return toView(ticket, workflow?.definition ?? null);
  }

  /**
   * The given version of the project's workflow (definitions are cached, so usually no query),
   * the latest when the version is unknown; refused as `currentWorkflow` when there is none.
   */
  private async workflowAt(project: string, version: number | null): Promise<CurrentWorkflow> {
    const workflow = version === null ? null : await this.workflows.version(project, version);
    if (!workflow) return this.currentWorkflow(project);
    return { version: workflow.version, definition: workflow.definition };
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

function creationsBacklogged(project: string): UnavailableError {
  return new UnavailableError(
    `creations of ${project} tickets are backed up behind a slow event store; ` +
      'nothing was created, try again',
  );
}

function checkProject(project: unknown): string {
  if (typeof project !== 'string' || !PROJECT_KEY.test(project)) {
    throw new ValidationError('invalid project', [
      { field: 'project', message: `project must be a key matching ${PROJECT_KEY.source}` },
    ]);
  }
  return project;
}
