import { Client } from 'pg';
import type { Receiver } from '@kera/testing';
import type { InboundDelivery } from './inbound-load';
import type { StoredEvent } from './stream-reader';
import type { TransitionAttempt } from './transition-load';

const TRANSITIONED = 'kera.ticket.transitioned';
const INBOUND_RECEIVED = 'kera.inbound.received';

/** A stretch of a run, named after the fault injected in it. */
export interface Phase {
  name: string;
  startedAt: number;
}

/** What the stores and the receiver hold after a run. */
export interface Evidence {
  attempts: readonly TransitionAttempt[];
  /** Inbound webhook deliveries sent alongside the transitions. */
  inbound: readonly InboundDelivery[];
  /** Every message of every stream. */
  events: readonly StoredEvent[];
  /** event_id of every audit entry (one row each). */
  auditEventIds: readonly string[];
  /** Every recorded outbound attempt. */
  deliveries: readonly { event_id: string; action_index: number; delivery_id: string }[];
  /** X-Kera-Delivery of every request the receiver got. */
  receipts: readonly string[];
  /** send_webhook actions of a transition to this state. */
  actionsTo: (toState: string) => number;
}

/** The figures of one phase (or of the whole run), as printed and asserted. */
export interface Figures {
  phase: string;
  requests: number;
  accepted: number;
  rejected: number;
  failed: number;
  /** Accepted commands whose event is not exactly once in TICKETS: must be 0. */
  acceptedWithoutOneEvent: number;
  /** Transitions stored although their request got no 200 (the client could not know). */
  appliedWithoutAnswer: number;
  events: number;
  /** Events with no audit entry, or more than one: must be 0. */
  auditMissing: number;
  auditDuplicated: number;
  actions: number;
  /** Actions with no recorded attempt in the delivery log: must be 0. */
  actionsWithoutAttempt: number;
  /** Actions the receiver never got: must be 0. */
  lost: number;
  /** Receipts beyond the first of a delivery id (at-least-once). */
  duplicates: number;
  /** Inbound webhook deliveries sent, and those the gateway answered 202/200. */
  inboundSent: number;
  inboundAccepted: number;
  /** Requests beyond the first (a sender resending after no answer or a 5xx). */
  inboundResent: number;
  /** Accepted inbound deliveries not stored exactly once in INBOUND: must be 0. */
  inboundWithoutOneEvent: number;
}

/** Splits the evidence by phase (events by their time, requests by when they were sent). */
export function tally(evidence: Evidence, phases: readonly Phase[]): Figures[] {
  const phaseOf = phaseByTime(phases);
  const rows = phases.map((phase) =>
    figuresOf(
      phase.name,
      evidence,
      (event) => phaseOf(event.time) === phase.name,
      (name) => name === phase.name,
    ),
  );
  rows.push(
    figuresOf(
      'total',
      evidence,
      () => true,
      () => true,
    ),
  );
  return rows;
}

function figuresOf(
  name: string,
  evidence: Evidence,
  inPhase: (event: StoredEvent) => boolean,
  inPhaseByName: (phase: string) => boolean,
): Figures {
  const attemptInPhase = (attempt: TransitionAttempt) => inPhaseByName(attempt.phase);
  const attempts = evidence.attempts.filter(attemptInPhase);
  const inbound = evidence.inbound.filter((delivery) => inPhaseByName(delivery.phase));
  const accepted = attempts.filter((attempt) => attempt.outcome === 'accepted');
  const acceptedIds = new Set(evidence.attempts.map((attempt) => attempt.eventId ?? ''));
  const ticketEventCount = countBy(
    evidence.events.filter((event) => event.stream === 'TICKETS'),
    (event) => event.id,
  );
  const events = evidence.events.filter(inPhase);
  const transitions = events.filter((event) => event.type === TRANSITIONED);
  const audits = countBy(evidence.auditEventIds, (id) => id);
  const actions = transitions.flatMap((event) =>
    Array.from({ length: evidence.actionsTo(String(event.data.to_state)) }, (_, index) => ({
      eventId: event.id,
      index,
    })),
  );
  const recorded = new Map(
    evidence.deliveries.map((row) => [`${row.event_id}:${row.action_index}`, row.delivery_id]),
  );
  const received = countBy(evidence.receipts, (id) => id);
  const storedInbound = countBy(
    evidence.events.filter((event) => event.type === INBOUND_RECEIVED),
    (event) => String(event.data.delivery_id),
  );
  const acceptedInbound = inbound.filter((delivery) => delivery.accepted);
  const phaseDeliveryIds = actions.map(({ eventId, index }) => recorded.get(`${eventId}:${index}`));

  return {
    phase: name,
    requests: attempts.length,
    accepted: accepted.length,
    rejected: attempts.filter((attempt) => attempt.outcome === 'rejected').length,
    failed: attempts.filter((attempt) => attempt.outcome === 'failed').length,
    acceptedWithoutOneEvent: accepted.filter(
      (attempt) => ticketEventCount.get(attempt.eventId ?? '') !== 1,
    ).length,
    appliedWithoutAnswer: transitions.filter((event) => !acceptedIds.has(event.id)).length,
    events: events.length,
    auditMissing: events.filter((event) => !audits.has(event.id)).length,
    auditDuplicated: events.filter((event) => (audits.get(event.id) ?? 0) > 1).length,
    actions: actions.length,
    actionsWithoutAttempt: phaseDeliveryIds.filter((id) => id === undefined).length,
    lost: phaseDeliveryIds.filter((id) => id === undefined || !received.has(id)).length,
    duplicates: phaseDeliveryIds.reduce(
      (sum, id) => sum + Math.max(0, (id ? (received.get(id) ?? 0) : 0) - 1),
      0,
    ),
    inboundSent: inbound.length,
    inboundAccepted: acceptedInbound.length,
    inboundResent: inbound.reduce((sum, delivery) => sum + delivery.attempts - 1, 0),
    inboundWithoutOneEvent: acceptedInbound.filter(
      (delivery) => storedInbound.get(delivery.deliveryId) !== 1,
    ).length,
  };
}

/** The audit entries' event ids and the delivery log, straight from Postgres. */
export async function readDatabase(
  databaseUrl: string,
): Promise<Pick<Evidence, 'auditEventIds' | 'deliveries'>> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const audit = await client.query<{ event_id: string }>('SELECT event_id FROM audit_entries');
    const deliveries = await client.query<Evidence['deliveries'][number]>(
      'SELECT event_id, action_index, delivery_id FROM deliveries',
    );
    return { auditEventIds: audit.rows.map((row) => row.event_id), deliveries: deliveries.rows };
  } finally {
    await client.end();
  }
}

/** How many entries the audit trail holds. */
export async function countAuditEntries(databaseUrl: string): Promise<number> {
  const client = new Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: string }>('SELECT count(*) AS n FROM audit_entries');
    return Number(rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/** X-Kera-Delivery of every request a receiver recorded. */
export function receiptsOf(receiver: Receiver): string[] {
  return receiver.requests.map((request) => String(request.headers['x-kera-delivery'] ?? ''));
}

function phaseByTime(phases: readonly Phase[]): (time: string) => string {
  return (time) => {
    const at = Date.parse(time);
    let current = phases[0]?.name ?? 'total';
    for (const phase of phases) if (phase.startedAt <= at) current = phase.name;
    return current;
  };
}

function countBy<T>(items: readonly T[], key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}
