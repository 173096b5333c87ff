/** What a transition tells its receivers; see the SPEC's outbound webhook body. */
export interface TransitionPayloadInput {
  ticketId: string;
  title: string;
  fromState: string;
  toState: string;
  /** A person's e-mail, or the git user for automated moves. */
  actor: string;
  /** When the transition happened, as a Date or an ISO 8601 string. */
  transitionedAt: Date | string;
  /** All of the ticket's fields as they were after the transition. */
  fields: Readonly<Record<string, unknown>>;
}

/**
 * Serialises the body of a transition webhook: exactly the keys event, ticket_id, title,
 * from_state, to_state, actor, timestamp and fields, in that order. The timestamp is UTC with
 * whole seconds (`2026-04-24T10:30:00Z`), as receivers see in the SPEC's example.
 *
 * @throws RangeError when `transitionedAt` is not a valid date.
 */
export function buildTransitionPayload(input: TransitionPayloadInput): string {
  const body = {
    event: 'transition',
    ticket_id: input.ticketId,
    title: input.title,
    from_state: input.fromState,
    to_state: input.toState,
    actor: input.actor,
    timestamp: utcSeconds(input.transitionedAt),
    fields: input.fields,
  };

  return JSON.stringify(body);
}

function utcSeconds(at: Date | string): string {
  const date = at instanceof Date ? at : new Date(at);
  if (Number.isNaN(date.getTime())) {
    throw new RangeError(`transitionedAt is not a valid date: ${String(at)}`);
  }

  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
