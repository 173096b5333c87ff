/**
 * Subject and stream names, built only here. Subjects go from broad to narrow:
 * `<root>.evt.<aggregate>.<...>` for events kept in streams and
 * `<root>.cmd.<aggregate>.<verb>` for request/reply commands. The root and
 * the stream prefix are configurable so that several installations (or test
 * runs) can share one NATS account: two streams may not share subjects.
 */
export interface NamingOptions {
  /** First subject token, default `kera`. */
  subjectRoot: string;
  /** Prefix of every stream name, default `KERA`. */
  streamPrefix: string;
}

export const STREAMS = ['TICKETS', 'WORKFLOWS', 'INBOUND', 'DELIVERIES', 'INTEGRATIONS'] as const;
export type StreamKey = (typeof STREAMS)[number];

const TOKEN = /^[A-Za-z0-9_-]+$/;

export class Naming {
  readonly root: string;
  readonly prefix: string;

  constructor(options: NamingOptions) {
    assertToken('subject root', options.subjectRoot);
    assertToken('stream prefix', options.streamPrefix);
    this.root = options.subjectRoot;
    this.prefix = options.streamPrefix;
  }

  stream(key: StreamKey): string {
    return `${this.prefix}_${key}`;
  }

  /** The subjects a stream captures. */
  streamSubjects(key: StreamKey): string[] {
    const part: Record<StreamKey, string> = {
      TICKETS: 'ticket',
      WORKFLOWS: 'workflow',
      INBOUND: 'inbound',
      DELIVERIES: 'delivery',
      INTEGRATIONS: 'integration',
    };
    return [`${this.root}.evt.${part[key]}.>`];
  }

  /** All events of one ticket share this subject (optimistic concurrency per ticket). */
  ticketEvents(ticketId: string): string {
    const project = ticketId.split('-')[0] ?? '';
    return `${this.root}.evt.ticket.${token(project)}.${token(ticketId)}`;
  }

  allTicketEvents(project = '*'): string {
    return `${this.root}.evt.ticket.${project === '*' ? '*' : token(project)}.*`;
  }

  workflowEvents(project: string): string {
    return `${this.root}.evt.workflow.${token(project)}`;
  }

  inboundAccepted(provider: string, integrationId: string): string {
    return `${this.root}.evt.inbound.accepted.${token(provider)}.${token(integrationId)}`;
  }

  inboundRejected(provider: string): string {
    return `${this.root}.evt.inbound.rejected.${token(provider)}`;
  }

  allInboundAccepted(): string {
    return `${this.root}.evt.inbound.accepted.>`;
  }

  /** Object store bucket of inbound bodies too large to keep inline in their event. */
  inboundBodies(): string {
    return `${this.prefix}_INBOUND_BODIES`;
  }

  deliveryEvents(ticketId: string): string {
    const project = ticketId.split('-')[0] ?? '';
    return `${this.root}.evt.delivery.${token(project)}.${token(ticketId)}`;
  }

  /** Requested deliveries of one ticket: the dispatcher's job queue (kera.delivery.requested). */
  deliveryRequests(ticketId: string): string {
    const project = ticketId.split('-')[0] ?? '';
    return `${this.root}.evt.delivery.requested.${token(project)}.${token(ticketId)}`;
  }

  allDeliveryRequests(): string {
    return `${this.root}.evt.delivery.requested.>`;
  }

  /** Every delivery outcome (`deliveryEvents` of any ticket), but no request. */
  allDeliveryOutcomes(): string {
    return `${this.root}.evt.delivery.*.*`;
  }

  integrationEvents(integrationId: string): string {
    return `${this.root}.evt.integration.${token(integrationId)}`;
  }

  /** Request/reply subject of a command, e.g. `command('ticket.transition')`. */
  command(name: CommandName): string {
    return `${this.root}.cmd.${name}`;
  }

  /** Queue group shared by every instance of one service. */
  queueGroup(service: string): string {
    return `${this.root}-${service}`;
  }

  /** Durable consumer names are per installation, like streams. */
  durable(name: string): string {
    return `${this.prefix}_${name}`;
  }
}

/** Every request/reply command served over NATS. */
export const COMMANDS = [
  'ticket.create',
  'ticket.get',
  'ticket.update',
  'ticket.transition',
  'workflow.put',
  'workflow.get',
  'audit.query',
  'audit.verify',
  'deliveries.list',
  'deliveries.redeliver',
] as const;
export type CommandName = (typeof COMMANDS)[number];

function token(value: string): string {
  if (!TOKEN.test(value)) throw new Error(`not a valid subject token: ${JSON.stringify(value)}`);
  return value;
}

function assertToken(what: string, value: string): void {
  if (!TOKEN.test(value)) {
    throw new Error(`${what} must match ${TOKEN.source}, got ${JSON.stringify(value)}`);
  }
}
