import { MAX_NAME_LENGTH, type InboundHeaders, type InboundProvider } from './verification';

/** The headers in which each provider names its event and its delivery, in order of preference. */
const SOURCES: Readonly<Record<InboundProvider, { event: string[]; delivery: string[] }>> = {
  github: { event: ['x-github-event'], delivery: ['x-github-delivery'] },
  gitlab: {
    event: ['x-gitlab-event'],
    delivery: ['idempotency-key', 'x-gitlab-event-uuid'],
  },
  // A generic sender names its event in the body, which is not read for a refused request.
  generic: { event: [], delivery: ['webhook-id'] },
};

const SHORT_LINE = new RegExp(`^[^\\p{Cc}]{1,${MAX_NAME_LENGTH}}$`, 'u');

/**
 * The event name and delivery id a refused request claims, for the audit record only: nothing
 * about them was verified. Values that are repeated, too long or hold control characters are
 * left out, and with no known provider nothing is read.
 */
export function claimedIdentity(
  provider: InboundProvider | null,
  headers: InboundHeaders,
): { event: string | null; delivery_id: string | null } {
  if (provider === null) return { event: null, delivery_id: null };
  const sources = SOURCES[provider];
  return {
    event: firstSane(headers, sources.event),
    delivery_id: firstSane(headers, sources.delivery),
  };
}

function firstSane(headers: InboundHeaders, names: readonly string[]): string | null {
  for (const name of names) {
    const value = Object.hasOwn(headers, name) ? headers[name] : undefined;
    const text = typeof value === 'string' ? value.trim() : '';
    if (SHORT_LINE.test(text)) return text;
  }
  return null;
}
