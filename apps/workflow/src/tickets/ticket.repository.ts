import { Inject, Injectable } from '@nestjs/common';
import type { JetStreamManager, NatsConnection } from 'nats';
import { DataSource } from 'typeorm';
import { Naming, parseEvent } from '@kera/contracts';
import { evolve, type TicketState } from '@kera/domain';
import { nextOnSubject } from '@kera/jetstream';
import { NATS_CONNECTION } from '@kera/service';

/** Tickets whose last saved version is remembered (the most recently saved ones). */
const SAVED_MEMORY = 10_000;

/**
 * Event-sourced ticket storage. The Postgres row is a snapshot at
 * `version` (a stream sequence); loading reads the snapshot and then only
 * the ticket's events stored after it, so a long history is never replayed
 * per command.
 */
@Injectable()
export class TicketRepository {
  private jsm: JetStreamManager | null = null;
  /**
   * Versions this process saw stored, per ticket (most recently saved last). A stored version
   * never goes down (see `save`), so one remembered here is a lower bound of the stored one.
   */
  private readonly saved = new Map<string, number>();

  constructor(
    private readonly db: DataSource,
    private readonly naming: Naming,
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
  ) {}

  /** The snapshot as stored, possibly behind the stream. */
  async snapshot(id: string): Promise<TicketState | null> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT ${SNAPSHOT_COLUMNS} FROM tickets WHERE id = $1`,
      [id],
    );
    const row = rows[0];
    return row ? fromRow(row) : null;
  }

  /**
   * The snapshot as stored, with the latest version of its project's workflow: what a command
   * is decided on, in one round trip. The workflow version is null when the project has none.
   */
  async snapshotForCommand(
    id: string,
  ): Promise<{ ticket: TicketState; workflowVersion: number | null } | null> {
    const rows: Record<string, unknown>[] = await this.db.query(
      `SELECT ${SNAPSHOT_COLUMNS},
              (SELECT w.version FROM workflow_versions w
                WHERE w.project = t.project ORDER BY w.version DESC LIMIT 1) AS workflow_version
         FROM tickets t WHERE t.id = $1`,
      [id],
    );
    const row = rows[0];
    if (!row) return null;
    const workflowVersion = row.workflow_version as number | null;
    return { ticket: fromRow(row), workflowVersion };
  }

  /** The snapshot brought up to date with the stream. */
  async load(id: string): Promise<TicketState | null> {
    return this.catchUp(id, await this.snapshot(id));
  }

  /**
   * Applies the ticket's events stored after the given state, one direct get
   * each. A message that is not a Kera event changes nothing but still moves
   * the version on, as the next append must name the subject's last sequence.
   */
  async catchUp(id: string, state: TicketState | null): Promise<TicketState | null> {
    const jsm = await this.manager();
    const stream = this.naming.stream('TICKETS');
    const subject = this.naming.ticketEvents(id);
    let current = state;
    let from = (state?.version ?? 0) + 1;

    for (;;) {
      const message = await nextOnSubject(jsm, stream, subject, from);
      if (!message) return current;
      const event = parseEvent(message.data);
      if (event) current = evolve(current, event, message.seq);
      else if (current) current = { ...current, version: message.seq };
      from = message.seq + 1;
    }
  }

  /** Writes the snapshot unless a newer one is already stored. */
  async save(ticket: TicketState): Promise<void> {
    await this.db.query(
      `INSERT INTO tickets
         (id, project, number, title, state, fields, links, pipeline, version, created_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
       ON CONFLICT (id) DO UPDATE SET
         title = EXCLUDED.title, state = EXCLUDED.state, fields = EXCLUDED.fields,
         links = EXCLUDED.links, pipeline = EXCLUDED.pipeline, version = EXCLUDED.version,
         updated_at = EXCLUDED.updated_at
       WHERE tickets.version < EXCLUDED.version`,
      [
        ticket.id,
        ticket.project,
        ticket.number,
        ticket.title,
        ticket.state,
        JSON.stringify(ticket.fields),
        JSON.stringify(ticket.links),
        ticket.pipeline ? JSON.stringify(ticket.pipeline) : null,
        ticket.version,
        ticket.created_at,
        ticket.updated_at,
      ],
    );
    this.rememberSaved(ticket.id, ticket.version);
  }

  /** The stream sequence the stored snapshot is at; null when none is stored. */
  /**
   * True when this process knows the stored snapshot is at `version` or later, without asking
   * Postgres: it saved that version, or a later one, itself. False means "not known".
   */
  storedAtLeast(id: string, version: number): boolean {
    return (this.saved.get(id) ?? 0) >= version;
  }

  async storedVersion(id: string): Promise<number | null> {
    const rows: { version: string }[] = await this.db.query(
      'SELECT version FROM tickets WHERE id = $1',
      [id],
    );
    return rows[0] ? Number(rows[0].version) : null;
  }

  /** The highest ticket number stored for the project; 0 when it has none. */
  async highestNumber(project: string): Promise<number> {
    const rows: { max: number | null }[] = await this.db.query(
      'SELECT max(number) AS max FROM tickets WHERE project = $1',
      [project],
    );
    return rows[0]?.max ?? 0;
  }

  private rememberSaved(id: string, version: number): void {
    const known = this.saved.get(id) ?? 0;
    this.saved.delete(id);
    this.saved.set(id, Math.max(known, version));
    if (this.saved.size > SAVED_MEMORY) this.saved.delete(this.saved.keys().next().value as string);
  }

  private async manager(): Promise<JetStreamManager> {
    this.jsm ??= await this.nc.jetstreamManager();
    return this.jsm;
  }
}

/** The columns `fromRow` reads. */
const SNAPSHOT_COLUMNS =
  'id, project, number, title, state, fields, links, pipeline, version, created_at, updated_at';

function fromRow(row: Record<string, unknown>): TicketState {
  return {
    id: row.id as string,
    project: row.project as string,
    number: row.number as number,
    title: row.title as string,
    state: row.state as string,
    fields: row.fields as TicketState['fields'],
    links: row.links as TicketState['links'],
    pipeline: (row.pipeline as TicketState['pipeline']) ?? null,
    version: Number(row.version),
    created_at: (row.created_at as Date).toISOString(),
    updated_at: (row.updated_at as Date).toISOString(),
  };
}
