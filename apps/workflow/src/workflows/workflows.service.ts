import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import {
  EventTypes,
  NotFoundError,
  PROJECT_KEY,
  ValidationError,
  createEvent,
  type GetWorkflowCommand,
  type KeraEvent,
  type PutWorkflowCommand,
  type WorkflowPutResult,
  type WorkflowUpdatedData,
  type WorkflowView,
  Naming,
} from '@kera/contracts';
import { EXAMPLE_WORKFLOW_YAML, parseWorkflow, type WorkflowDefinition } from '@kera/domain';
import { ConcurrencyError, EventPublisher } from '@kera/jetstream';
import { LOGGER, type Logger } from '@kera/service';
import { WorkflowRepository } from './workflow.repository';

const SOURCE = 'kera/workflow';
export const EXAMPLE_PROJECT = 'KER';
const ACTOR_MAX = 320;

export interface PutOptions {
  /** Correlation id of the request that asked for the change. */
  correlationId?: string;
  /** The last sequence to expect on the project's subject, instead of the stored version's. */
  expectSeq?: number;
}

/** Owns each project's workflow: validates, versions and stores it as events. */
@Injectable()
export class WorkflowsService implements OnApplicationBootstrap {
  constructor(
    private readonly repository: WorkflowRepository,
    private readonly publisher: EventPublisher,
    private readonly naming: Naming,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** A new installation gets the example workflow, so that `KER` works out of the box. */
  async onApplicationBootstrap(): Promise<void> {
    if (await this.repository.hasAny()) return;
    try {
      const example = { project: EXAMPLE_PROJECT, yaml: EXAMPLE_WORKFLOW_YAML, actor: 'kera' };
      await this.put(example, { expectSeq: 0 });
      this.logger.info({ project: EXAMPLE_PROJECT }, 'example workflow loaded');
    } catch (error) {
      // Another instance seeded it first.
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }

  /**
   * Validates the YAML and appends it as the project's next version,
   * expecting the latest stored version's sequence as the last on the
   * project's subject: of two concurrent puts, one answers 409. An invalid
   * workflow is refused whole (422, every problem) and changes nothing.
   * Versions are counted from the read model: while it misses a stored
   * version (its write failed and the projector has not yet caught up), a
   * put answers 409 rather than reuse the number.
   */
  async put(command: PutWorkflowCommand, options: PutOptions = {}): Promise<WorkflowPutResult> {
    const project = checkProject(command.project);
    const actor = checkActor(command.actor);
    const definition = checkWorkflow(command.yaml);

    const latest = await this.repository.latestVersion(project);
    const version = (latest?.version ?? 0) + 1;
    const orphaned = await this.repository.orphanedStates(project, definition);
    const data: WorkflowUpdatedData = {
      project,
      version,
      yaml: command.yaml,
      actor,
      orphaned_states: orphaned,
    };
    const event = createEvent({
      type: EventTypes.workflowUpdated,
      source: SOURCE,
      subject: project,
      data,
      correlationId: options.correlationId,
    });
    const { seq } = await this.publisher.append(this.naming.workflowEvents(project), event, {
      expectedLastSubjectSequence: options.expectSeq ?? latest?.streamSeq ?? 0,
    });

    await this.writeThrough(event, seq);
    if (orphaned.length > 0) {
      this.logger.warn(
        { project, version, orphaned_states: orphaned },
        'tickets are in states the workflow no longer has',
      );
    }
    return { project, version, orphaned_states: orphaned };
  }

  /** The current version, with the YAML exactly as it was put. */
  async get(command: GetWorkflowCommand): Promise<WorkflowView> {
    const { project } = command;
    const known = typeof project === 'string' && PROJECT_KEY.test(project);
    const current = known ? await this.repository.current(project) : null;
    if (!current) throw new NotFoundError(`project ${JSON.stringify(project)} has no workflow`);
    return {
      project: current.project,
      version: current.version,
      yaml: current.yaml,
      updated_at: current.createdAt,
    };
  }

  /**
   * The version is in the stream, so the put has succeeded whatever happens
   * here: the projector stores what cannot be stored now.
   */
  private async writeThrough(event: KeraEvent, seq: number): Promise<void> {
    try {
      await this.store(event, seq);
    } catch (error) {
      this.logger.warn(
        { err: error, event_id: event.id, seq },
        'workflow version not stored; the projector will store it',
      );
    }
  }

  /** Stores a workflow event in the read model; used by the command and the projector. */
  async store(event: KeraEvent, seq: number): Promise<void> {
    const data = event.data as WorkflowUpdatedData;
    const parsed = parseWorkflow(data.yaml);
    if (!parsed.ok) {
      this.logger.error(
        { event_id: event.id, project: data.project },
        'stored workflow no longer parses',
      );
      return;
    }
    await this.repository.insert(
      {
        project: data.project,
        version: data.version,
        yaml: data.yaml,
        definition: parsed.definition,
        streamSeq: seq,
        createdAt: event.time,
      },
      event.id,
      data.actor,
    );
  }
}

/** The definition, or a 422 that lists every problem of the YAML with line and column. */
function checkWorkflow(yaml: unknown): WorkflowDefinition {
  if (typeof yaml !== 'string') {
    throw new ValidationError('the workflow must be YAML text', [
      { field: 'yaml', message: 'yaml must be the workflow as YAML text' },
    ]);
  }
  const parsed = parseWorkflow(yaml);
  if (parsed.ok) return parsed.definition;

  const count = parsed.errors.length;
  throw new ValidationError(
    `the workflow has ${count} problem${count === 1 ? '' : 's'}`,
    parsed.errors,
  );
}

function checkActor(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || value.length > ACTOR_MAX) {
    throw new ValidationError('invalid actor', [
      { field: 'actor', message: `actor must be a string of at most ${ACTOR_MAX} characters` },
    ]);
  }
  return value;
}

function checkProject(value: unknown): string {
  if (typeof value !== 'string' || !PROJECT_KEY.test(value)) {
    throw new ValidationError('invalid project key', [
      { field: 'project', message: `project key must match ${PROJECT_KEY.source}` },
    ]);
  }
  return value;
}
