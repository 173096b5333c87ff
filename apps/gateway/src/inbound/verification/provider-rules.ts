import type { JsonObject } from './body';
import type { HeaderValues } from './headers';
import type { Identity } from './identity';
import type { RejectedInbound } from './types';

/** What a credential check gets: verified headers, the raw body and the usable secrets. */
export interface CredentialCheck {
  headers: HeaderValues;
  body: Buffer;
  /** Non-empty secrets only; there is always at least one. */
  secrets: readonly string[];
  nowSeconds: number;
}

/** How one provider's deliveries are verified and identified. */
export interface ProviderRules {
  /** The provider's name as shown to the sender. */
  label: string;
  /** Headers the decision depends on; each must be unambiguous and well formed. */
  reads: readonly string[];
  /** Headers copied for the audit trail; never a signature or a token. */
  keeps: readonly string[];
  /** Whether a form-encoded body (`payload=<json>`) is accepted besides JSON. */
  acceptsForm: boolean;
  /** Checks the sender's credential against the raw body; null when it verifies. */
  authenticate(check: CredentialCheck): RejectedInbound | null;
  /**
   * Whether `identify` reads the body. When it does not, a JSON body is only checked to be an
   * object, and `identify` gets null for it.
   */
  readsBody: boolean;
  /** Names the event and the delivery of a verified delivery whose body holds a JSON object. */
  identify(headers: HeaderValues, payload: JsonObject | null): Identity | RejectedInbound;
}
