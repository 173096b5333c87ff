import {
  EventTypes,
  PROJECT_KEY,
  TICKET_ID,
  isRecord,
  type KeraEvent,
  type TicketTransitionedData,
} from '@kera/contracts';
import { buildTransitionPayload } from './delivery';

/** What names a transition's actions: its ticket, its workflow version and its two states. */
export type TransitionRoute = Pick<
  TicketTransitionedData,
  'ticket_id' | 'project' | 'workflow_version' | 'from_state' | 'to_state'
>;

/** The body to POST, or why the event cannot become one. */
export type PayloadOutcome = { ok: true; body: string } | { ok: false; reason: string };

/**
 * The route of a `kera.ticket.transitioned` event; null for any other event and for one whose
 * route is malformed (no action can be found for it, so nothing can be delivered or recorded).
 */
export function transitionRoute(event: KeraEvent | null): TransitionRoute | null {
  if (!event || event.type !== EventTypes.ticketTransitioned || !isRecord(event.data)) return null;
  const { ticket_id, project, workflow_version, from_state, to_state } = event.data;
  const valid =
    typeof ticket_id === 'string' &&
    TICKET_ID.test(ticket_id) &&
    typeof project === 'string' &&
    PROJECT_KEY.test(project) &&
    Number.isSafeInteger(workflow_version) &&
    (workflow_version as number) >= 1 &&
    typeof from_state === 'string' &&
    typeof to_state === 'string';
  if (!valid) return null;
  return { ticket_id, project, workflow_version: workflow_version as number, from_state, to_state };
}

/** Builds the outbound body of a transition event, checking every field it needs. */
export function transitionPayload(event: KeraEvent): PayloadOutcome {
  const data = isRecord(event.data) ? event.data : {};
  const { ticket_id, title, from_state, to_state, actor, transitioned_at, fields } = data;
  const missing = Object.entries({ ticket_id, title, from_state, to_state, actor, transitioned_at })
    .filter(([, value]) => typeof value !== 'string')
    .map(([name]) => name);
  if (!isRecord(fields)) missing.push('fields');
  if (missing.length > 0) {
    return { ok: false, reason: `the transition event lacks ${missing.join(', ')}` };
  }

  try {
    const body = buildTransitionPayload({
      ticketId: ticket_id as string,
      title: title as string,
      fromState: from_state as string,
      toState: to_state as string,
      actor: actor as string,
      transitionedAt: transitioned_at as string,
      fields: fields as Record<string, unknown>,
    });
    return { ok: true, body };
  } catch (error) {
    return { ok: false, reason: `the transition event is malformed: ${(error as Error).message}` };
  }
}
