import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { connect, type NatsConnection } from 'nats';
import {
  EventTypes,
  createEvent,
  parseEvent,
  type InboundReceivedData,
  type KeraEvent,
  type TicketView,
} from '@kera/contracts';
import { EventPublisher, nextOnSubject } from '@kera/jetstream';
import { eventually, type RunningSystem } from '@kera/testing';

/**
 * Test helpers for git automation on a running system: tickets through the
 * API, and inbound webhooks published to the INBOUND stream the way the
 * gateway stores them (`kera.inbound.received` on `inboundAccepted`).
 */

export type Provider = 'github' | 'gitlab';

export interface DeliveryOptions {
  integration?: string;
  /** The integration's project restriction. */
  project?: string | null;
  /** GitHub's other delivery format: `payload=<json>` form-encoded. */
  form?: boolean;
  /** Keep the body in the object store instead of inline, as the gateway does for large ones. */
  inObjectStore?: boolean;
}

export class InboundDriver {
  private constructor(
    private readonly system: RunningSystem,
    private readonly nc: NatsConnection,
    private readonly publisher: EventPublisher,
  ) {}

  static async connect(system: RunningSystem): Promise<InboundDriver> {
    const nc = await connect({ servers: system.environment.natsUrl });
    return new InboundDriver(system, nc, new EventPublisher(nc));
  }

  /** Stores one verified delivery as the gateway would and returns its event. */
  async deliver(
    provider: Provider,
    eventName: string,
    payload: unknown,
    options: DeliveryOptions = {},
  ): Promise<KeraEvent<InboundReceivedData>> {
    const json = JSON.stringify(payload);
    const body = options.form ? new URLSearchParams({ payload: json }).toString() : json;
    const integration = options.integration ?? `int_${provider}`;
    const deliveryId = randomUUID();
    const data: InboundReceivedData = {
      integration_id: integration,
      provider,
      project: options.project ?? null,
      event: eventName,
      delivery_id: deliveryId,
      content_type: options.form ? 'application/x-www-form-urlencoded' : 'application/json',
      headers: {},
      body,
      body_encoding: 'utf8',
      body_object: null,
      body_sha256: createHash('sha256').update(body).digest('hex'),
      source_ip: '192.0.2.10',
      received_at: new Date().toISOString(),
    };
    if (options.inObjectStore) await this.storeBody(data, deliveryId);
    return this.publish(
      createEvent({
        type: EventTypes.inboundReceived,
        source: 'kera/gateway',
        subject: integration,
        data,
      }),
    );
  }

  /** Publishes an inbound event as it is (a redelivery when it was published before). */
  async publish(event: KeraEvent<InboundReceivedData>): Promise<KeraEvent<InboundReceivedData>> {
    const { naming } = this.system.environment;
    await this.publisher.append(
      naming.inboundAccepted(event.data.provider, event.data.integration_id),
      event,
    );
    return event;
  }

  /** Ticket events as stored in the TICKETS stream: one ticket's, or every ticket's. */
  async ticketEvents(ticketId?: string): Promise<KeraEvent<any>[]> {
    const { naming } = this.system.environment;
    const jsm = await this.nc.jetstreamManager();
    const subject = ticketId ? naming.ticketEvents(ticketId) : naming.allTicketEvents();
    const events: KeraEvent<any>[] = [];
    for (let seq = 1; ;) {
      const message = await nextOnSubject(jsm, naming.stream('TICKETS'), subject, seq);
      if (!message) return events;
      const event = parseEvent(message.data);
      if (event) events.push(event);
      seq = message.seq + 1;
    }
  }

  async close(): Promise<void> {
    const bucket = this.system.environment.naming.inboundBodies();
    const jsm = await this.nc.jetstreamManager();
    await jsm.streams.delete(`OBJ_${bucket}`).catch(() => undefined);
    await this.nc.close();
  }

  private async storeBody(data: InboundReceivedData, name: string): Promise<void> {
    const bucket = this.system.environment.naming.inboundBodies();
    const store = await this.nc.jetstream().views.os(bucket);
    const bytes = Buffer.from(data.body ?? '', 'utf8');
    await store.putBlob({ name }, bytes);
    data.body_object = { bucket, name, size: bytes.length };
    data.body = null;
    data.body_encoding = null;
  }
}

/** The ticket API of the running system. */
export class TicketsApi {
  constructor(private readonly system: RunningSystem) {}

  async create(project = 'KER', title = 'A ticket for git automation'): Promise<string> {
    const response = await this.system.api('/api/tickets', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ project, title }),
    });
    if (response.status !== 201) throw new Error(`create: ${await response.text()}`);
    return ((await response.json()) as TicketView).id;
  }

  async get(id: string): Promise<TicketView> {
    const response = await this.system.api(`/api/tickets/${id}`);
    if (response.status !== 200) throw new Error(`get ${id}: ${await response.text()}`);
    return (await response.json()) as TicketView;
  }

  async move(id: string, ...states: string[]): Promise<void> {
    for (const to of states) {
      const response = await this.system.api(`/api/tickets/${id}/transitions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to, actor: 'max@example.com' }),
      });
      if (response.status !== 200) throw new Error(`move ${id} to ${to}: ${await response.text()}`);
    }
  }

  /** The ticket once `check` holds for it. */
  until(id: string, check: (ticket: TicketView) => boolean, what: string): Promise<TicketView> {
    return eventually(
      async () => {
        const ticket = await this.get(id);
        return check(ticket) ? ticket : undefined;
      },
      20_000,
      `${id}: ${what}`,
    );
  }

  /** Audit entries of a ticket, oldest first. */
  async audit(id: string): Promise<{ type: string; payload: any; correlation_id: string }[]> {
    const response = await this.system.api(`/api/audit?ticket=${id}&limit=200`);
    return ((await response.json()) as { items: any[] }).items;
  }
}

/** A 40-hex commit id that no fixture uses. */
export function newSha(): string {
  return randomBytes(20).toString('hex');
}
