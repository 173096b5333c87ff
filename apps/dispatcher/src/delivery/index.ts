export {
  AddressGuard,
  guardedLookup,
  InvalidAllowRangeError,
  RefusedAddressError,
  type AddressVerdict,
} from './address-guard';
export { classifyError } from './classify-error';
export { buildHeaders, isReservedHeaderName, type DeliveryHeadersInput } from './delivery-headers';
export { deliveryId } from './delivery-id';
export {
  type DeliveryError,
  type DeliveryErrorClass,
  type DeliveryResult,
} from './delivery-result';
export {
  OutboundSender,
  type OutboundRequest,
  type OutboundSenderOptions,
} from './outbound-sender';
export { buildTransitionPayload, type TransitionPayloadInput } from './transition-payload';
