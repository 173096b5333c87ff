import { identify } from './identity';
import type { ProviderRules } from './provider-rules';
import { reject } from './rejection';
import { checkStandardSignature, STANDARD_HEADERS } from './standard-signature';

/** Other tools: Standard Webhooks signatures; the body's `type` names the event. */
export const GENERIC_RULES: ProviderRules = {
  label: 'Standard Webhooks',
  reads: ['content-type', ...STANDARD_HEADERS],
  keeps: ['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp'],
  acceptsForm: false,
  readsBody: true,
  authenticate: checkStandardSignature,
  identify: (headers, payload) => {
    const type = payload?.['type'];
    if (type !== undefined && typeof type !== 'string') {
      return reject('invalid_event', "the body's type must be a string; it names the event");
    }
    return identify({
      event: type,
      eventSource: "the body's type",
      deliveryId: headers.get('webhook-id'),
      deliverySource: 'webhook-id',
    });
  },
};
