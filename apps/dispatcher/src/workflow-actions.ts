import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { findTransition, type SendWebhookAction, type WorkflowDefinition } from '@kera/domain';

/**
 * The send_webhook actions of a transition, read from the workflow version
 * the transition fired under (versions are immutable, so they are cached).
 */
@Injectable()
export class WorkflowActions {
  private readonly cache = new Map<string, WorkflowDefinition>();

  constructor(private readonly db: DataSource) {}

  async forTransition(
    project: string,
    version: number,
    from: string,
    to: string,
  ): Promise<SendWebhookAction[] | null> {
    const definition = await this.definition(project, version);
    if (!definition) return null;
    return findTransition(definition, from, to)?.actions ?? [];
  }

  private async definition(project: string, version: number): Promise<WorkflowDefinition | null> {
    const key = `${project}@${version}`;
    const cached = this.cache.get(key);
    if (cached) return cached;

    const rows: { definition: WorkflowDefinition }[] = await this.db.query(
      'SELECT definition FROM workflow_versions WHERE project = $1 AND version = $2',
      [project, version],
    );
    const definition = rows[0]?.definition ?? null;
    if (definition) this.cache.set(key, definition);
    return definition;
  }
}
