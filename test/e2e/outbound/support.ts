import { stringify } from 'yaml';
import { eventually, type RunningSystem } from '@kera/testing';

/** A send_webhook action as written in a workflow. */
export interface ActionSpec {
  url: string;
  secret?: string;
  headers?: Record<string, string>;
  timeout_ms?: number;
  retry?: { attempts: number };
}

/** One recorded attempt, as `GET /api/deliveries` lists it. */
export interface Attempt {
  delivery_id: string;
  attempt: number;
  ticket_id: string;
  event_id: string;
  action_index: number;
  url: string;
  status: 'succeeded' | 'failed';
  status_code: number | null;
  duration_ms: number;
  error: { class: string; message: string } | null;
  response_excerpt: string;
  redelivery: boolean;
  attempted_at: string;
}

/** The API calls the outbound tests make, against one running system. */
export class OutboundApi {
  constructor(private readonly system: RunningSystem) {}

  /** A workflow `todo -> done` whose transition runs `actions`. */
  async putWorkflow(project: string, actions: ActionSpec[]): Promise<void> {
    const yaml = stringify({
      states: ['todo', 'done'],
      initial: 'todo',
      transitions: [
        { from: 'todo', to: 'done', actions: actions.map((a) => ({ type: 'send_webhook', ...a })) },
      ],
    });
    const response = await this.system.api(`/api/projects/${project}/workflow`, {
      method: 'PUT',
      headers: { 'content-type': 'application/yaml' },
      body: yaml,
    });
    if (response.status !== 200) throw new Error(`workflow: ${await response.text()}`);
  }

  /** Opens a ticket and moves it to done; returns the ticket id and the transition event id. */
  async transitionedTicket(
    project: string,
    title = 'Fix login timeout',
    fields: Record<string, unknown> = {},
  ): Promise<{ ticket: string; eventId: string; time: string }> {
    const created = await this.json('/api/tickets', 'POST', { project, title, fields });
    const id = created.id as string;
    const moved = await this.json(`/api/tickets/${id}/transitions`, 'POST', {
      to: 'done',
      actor: 'max@example.com',
    });
    const event = moved.event as { id: string; time: string };
    return { ticket: id, eventId: event.id, time: event.time };
  }

  /** `GET /api/deliveries` with these query parameters; throws unless 200. */
  async deliveries(
    query: Record<string, string>,
  ): Promise<{ items: Attempt[]; next: string | null }> {
    const response = await this.system.api(`/api/deliveries?${new URLSearchParams(query)}`);
    if (response.status !== 200) throw new Error(`deliveries: ${await response.text()}`);
    return (await response.json()) as { items: Attempt[]; next: string | null };
  }

  /** Waits until the ticket's delivery log holds `count` attempts; newest first. */
  attempts(ticket: string, count: number, timeoutMs = 30_000): Promise<Attempt[]> {
    return eventually(
      async () => {
        const { items } = await this.deliveries({ ticket, limit: '200' });
        return items.length >= count ? items : undefined;
      },
      timeoutMs,
      `${count} recorded attempts for ${ticket}`,
    );
  }

  private async json(path: string, method: string, body: unknown) {
    const response = await this.system.api(path, {
      method,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (response.status >= 300) throw new Error(`${method} ${path}: ${await response.text()}`);
    return (await response.json()) as Record<string, unknown>;
  }
}

/** Resolves after `ms`; for giving the system time to do something it must not do. */
export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
