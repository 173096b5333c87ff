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
import { EXAMPLE_WORKFLOW_YAML, parseWorkflow } from '@kera/domain';
import { ConcurrencyError, EventPublisher } from '@kera/jetstream';
import { LOGGER, type Logger } from '@kera/service';
import { WorkflowRepository } from './workflow.repository';

const SOURCE = 'kera/workflow';
export const EXAMPLE_PROJECT = 'KER';

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
      await this.put({ project: EXAMPLE_PROJECT, yaml: EXAMPLE_WORKFLOW_YAML, actor: 'kera' }, 0);
      this.logger.info({ project: EXAMPLE_PROJECT }, 'example workflow loaded');
    } catch (error) {
      // Another instance seeded it first.
      if (!(error instanceof ConcurrencyError)) throw error;
    }
  }

  async put(command: PutWorkflowCommand, expectSeq?: number): Promise<WorkflowPutResult> {
    const project = checkProject(command.project);
    if (typeof command.yaml !== 'string') {
      throw new ValidationError('the workflow must be YAML text', [
        { message: 'body must be YAML text' },
      ]);
    }
    const parsed = parseWorkflow(command.yaml);
    if (!parsed.ok) {
      const count = parsed.errors.length;
      throw new ValidationError(
        `the workflow has ${count} problem${count === 1 ? '' : 's'}`,
        parsed.errors,
      );
    }

    const latest = await this.repository.latestVersion(project);
    const version = (latest?.version ?? 0) + 1;
    const orphaned = await this.repository.orphanedStates(project, parsed.definition);
    const data: WorkflowUpdatedData = {
      project,
      version,
      yaml: command.yaml,
      actor: command.actor ?? null,
      orphaned_states: orphaned,
    };
    const event = createEvent({
      type: EventTypes.workflowUpdated,
      source: SOURCE,
      subject: project,
      data,
    });
    const { seq } = await this.publisher.append(this.naming.workflowEvents(project), event, {
      expectedLastSubjectSequence: expectSeq ?? latest?.streamSeq ?? 0,
    });

    await this.store(event, seq);
    if (orphaned.length > 0) {
      this.logger.warn(
        { project, version, orphaned_states: orphaned },
        'tickets are in states the workflow no longer has',
      );
    }
    return { project, version, orphaned_states: orphaned };
  }

  async get(command: GetWorkflowCommand): Promise<WorkflowView> {
    const project = checkProject(command.project);
    const current = await this.repository.current(project);
    if (!current) throw new NotFoundError(`project ${project} has no workflow`);
    return { project, version: current.version, yaml: current.yaml, updated_at: current.createdAt };
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

function checkProject(value: unknown): string {
  if (typeof value !== 'string' || !PROJECT_KEY.test(value)) {
    throw new ValidationError('invalid project key', [
      { field: 'project', message: `project key must match ${PROJECT_KEY.source}` },
    ]);
  }
  return value;
}
