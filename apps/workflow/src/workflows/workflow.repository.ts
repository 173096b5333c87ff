import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { WorkflowDefinition } from '@kera/domain';

export interface StoredWorkflow {
  project: string;
  version: number;
  yaml: string;
  definition: WorkflowDefinition;
  streamSeq: number;
  createdAt: string;
}

/** The workflow read model: every accepted version of every project's workflow. */
@Injectable()
export class WorkflowRepository {
  /** Versions never change once stored, so their parsed definitions are cached. */
  private readonly cache = new Map<string, StoredWorkflow>();

  constructor(private readonly db: DataSource) {}

  async latestVersion(project: string): Promise<{ version: number; streamSeq: number } | null> {
    const rows: { version: number; stream_seq: string }[] = await this.db.query(
      `SELECT version, stream_seq FROM workflow_versions
        WHERE project = $1 ORDER BY version DESC LIMIT 1`,
      [project],
    );
    const row = rows[0];
    return row ? { version: row.version, streamSeq: Number(row.stream_seq) } : null;
  }

  async current(project: string): Promise<StoredWorkflow | null> {
    const latest = await this.latestVersion(project);
    return latest ? this.version(project, latest.version) : null;
  }

  async version(project: string, version: number): Promise<StoredWorkflow | null> {
    const key = `${project}@${version}`;
    const cached = this.cache.get(key);
    if (cached) return cached;

    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT project, version, yaml, definition, stream_seq, created_at
         FROM workflow_versions WHERE project = $1 AND version = $2`,
      [project, version],
    );
    const row = rows[0];
    if (!row) return null;
    const stored: StoredWorkflow = {
      project: row.project as string,
      version: row.version as number,
      yaml: row.yaml as string,
      definition: row.definition as WorkflowDefinition,
      streamSeq: Number(row.stream_seq),
      createdAt: (row.created_at as Date).toISOString(),
    };
    this.cache.set(key, stored);
    return stored;
  }

  async hasAny(): Promise<boolean> {
    const rows: unknown[] = await this.db.query('SELECT 1 FROM workflow_versions LIMIT 1');
    return rows.length > 0;
  }

  /** Idempotent: a version already stored (by the command or the projector) is kept. */
  async insert(workflow: StoredWorkflow, eventId: string, actor: string | null): Promise<void> {
    await this.db.query(
      `INSERT INTO workflow_versions
         (project, version, yaml, definition, event_id, stream_seq, actor, created_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (project, version) DO NOTHING`,
      [
        workflow.project,
        workflow.version,
        workflow.yaml,
        JSON.stringify(workflow.definition),
        eventId,
        workflow.streamSeq,
        actor,
        workflow.createdAt,
      ],
    );
  }

  /** States of the project's tickets that the given definition does not have. */
  async orphanedStates(project: string, definition: WorkflowDefinition): Promise<string[]> {
    const rows: { state: string }[] = await this.db.query(
      `SELECT DISTINCT state FROM tickets WHERE project = $1 AND NOT (state = ANY($2)) ORDER BY state`,
      [project, definition.states],
    );
    return rows.map((row) => row.state);
  }
}
