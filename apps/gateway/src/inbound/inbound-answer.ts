import { STATUS_CODES } from 'node:http';

/** What the inbound route sends back: a status, a JSON body and any extra headers. */
export interface InboundAnswer {
  status: number;
  contentType: 'application/json' | 'application/problem+json';
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** How a verified delivery was taken: stored now, stored before, or a stored hook check. */
export type AcceptedOutcome = 'accepted' | 'duplicate' | 'ping';

/** How long a sender is asked to wait before retrying when the event store is down. */
export const RETRY_AFTER_SECONDS = 10;

/**
 * One answer for an unknown slug, a wrong token and a revoked integration alike, so that the
 * answer does not tell which part of the URL was wrong.
 */
export const NOT_FOUND_DETAIL = 'there is no webhook at this URL';
export const NOT_FOUND_ANSWER: InboundAnswer = problemAnswer(404, NOT_FOUND_DETAIL);

/** 202 for a delivery stored now; 200 for one stored before and for GitHub's ping. */
export function acceptedAnswer(
  outcome: AcceptedOutcome,
  delivery: { delivery_id: string; event_id: string; event: string },
): InboundAnswer {
  return {
    status: outcome === 'accepted' ? 202 : 200,
    contentType: 'application/json',
    body: { status: outcome, ...delivery },
  };
}

/** A refusal the sender can act on: the status, the reason's code and what to fix. */
export function refusedAnswer(status: number, reason: string, detail: string): InboundAnswer {
  const answer = problemAnswer(status, detail);
  return { ...answer, body: { ...answer.body, reason } };
}

/** The delivery could not be stored: nothing was kept, and the sender should send it again. */
export function unavailableAnswer(): InboundAnswer {
  return {
    ...problemAnswer(
      503,
      'the delivery could not be stored right now and was not accepted; send it again later',
    ),
    headers: { 'retry-after': String(RETRY_AFTER_SECONDS) },
  };
}

function problemAnswer(status: number, detail: string): InboundAnswer {
  return {
    status,
    contentType: 'application/problem+json',
    body: { type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail },
  };
}
