/**
 * Why a delivery failed, coarse enough to count in metrics and to explain in the delivery log:
 * - `timeout`: no complete answer (connect, status line and response excerpt) within the deadline
 * - `connection`: refused, reset or closed by the receiver or the network
 * - `dns`: the receiver's name did not resolve
 * - `tls`: the TLS handshake failed (certificate, hostname or protocol)
 * - `refused_address`: the private-address guard refused the target
 * - `redirect`: the receiver answered 3xx; redirects are never followed
 * - `http_status`: the receiver answered with a status outside 2xx and 3xx
 * - `invalid_url`: the target is not an absolute http(s) URL
 * - `invalid_event`: nothing was sent: the transition event or the request cannot be turned
 *   into a POST (a malformed field, an action the workflow version lacks)
 * - `other`: anything else (malformed response, invalid request options)
 */
export type DeliveryErrorClass =
  | 'timeout'
  | 'connection'
  | 'dns'
  | 'tls'
  | 'refused_address'
  | 'redirect'
  | 'http_status'
  | 'invalid_url'
  | 'invalid_event'
  | 'other';

export interface DeliveryError {
  class: DeliveryErrorClass;
  /** One line for an operator; never contains the action's secret. */
  message: string;
}

/** The outcome of one outbound POST, as recorded in the delivery log. */
export interface DeliveryResult {
  /** True only for a 2xx answer received, with its excerpt, within the deadline. */
  ok: boolean;
  /** The receiver's status code, or null when no status line arrived. */
  status_code: number | null;
  /** Wall-clock milliseconds from the start of `send` to its outcome, rounded. */
  duration_ms: number;
  error: DeliveryError | null;
  /**
   * The start of the response body as UTF-8, at most the sender's byte limit (4 KB by default);
   * invalid sequences become U+FFFD and a character cut by the limit is dropped.
   */
  response_excerpt: string;
}
