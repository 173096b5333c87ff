import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { type Readable } from 'node:stream';
import axios, { type AxiosInstance, type AxiosResponse } from 'axios';
import { AddressGuard, guardedLookup, RefusedAddressError } from './address-guard';
import { classifyError } from './classify-error';
import { type DeliveryError, type DeliveryResult } from './delivery-result';
import { readExcerpt } from './response-excerpt';

/** How an OutboundSender is set up; fixed for its lifetime. */
export interface OutboundSenderOptions {
  /**
   * CIDR ranges or single addresses (KERA_OUTBOUND_ALLOW) that may be reached although they are
   * not public, e.g. `['10.20.0.0/16']`. Empty by default: only public addresses are reached.
   */
  allow: readonly string[];
  /** How much of each response body is kept as its excerpt, in bytes; 4096 by default. */
  maxResponseBytes?: number;
  /** Kera's version, sent as `User-Agent: Kera-Webhooks/<version>` when the headers lack one. */
  userAgentVersion: string;
}

/** One POST to send. */
export interface OutboundRequest {
  url: string;
  /** The exact bytes to send, as built by `buildTransitionPayload`. */
  body: string;
  /** As built by `buildHeaders`. */
  headers: Readonly<Record<string, string>>;
  /** Deadline for the whole exchange: connecting, the status line and reading the excerpt. */
  timeoutMs: number;
}

type Outcome = Omit<DeliveryResult, 'duration_ms'>;

const DEFAULT_MAX_RESPONSE_BYTES = 4096;
const MAX_RESPONSE_BYTES_LIMIT = 1024 * 1024;
// setTimeout fires at once for longer delays.
const MAX_TIMEOUT_MS = 2 ** 31 - 1;
const VERSION = /^[0-9A-Za-z.+-]+$/;
// Idle pooled sockets close before those of common receivers do (Node servers: 5 s), so a
// reused socket is rarely one the receiver is closing at that moment. Node applies a shorter
// `Keep-Alive: timeout` hint from the receiver only when the agent has a timeout of its own.
// Limit: a receiver that closes idle connections sooner without announcing it can still close
// one as it is reused; that delivery then fails with a connection error and is not retried here.
const IDLE_SOCKET_MS = 4000;
/** The initial delay of TCP keep-alive probes that axios sets on each request's socket. */
const AXIOS_TCP_KEEPALIVE_MS = 60_000;

/**
 * Sends outbound webhook POSTs. One instance serves the whole dispatcher: its keep-alive agents
 * reuse connections to each receiver, and every new connection goes through the private-address
 * guard (see AddressGuard). Redirects are never followed, proxies from the environment are not
 * used, and at most `maxResponseBytes` of any response are read.
 */
export class OutboundSender {
  private readonly guard: AddressGuard;
  private readonly maxResponseBytes: number;
  private readonly userAgent: string;
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly client: AxiosInstance;

  /** @throws InvalidAllowRangeError or RangeError when the options are invalid. */
  constructor(options: OutboundSenderOptions) {
    this.guard = new AddressGuard(options.allow);
    this.maxResponseBytes = checkedMaxResponseBytes(options.maxResponseBytes);
    this.userAgent = `Kera-Webhooks/${checkedVersion(options.userAgentVersion)}`;

    const agentOptions = {
      keepAlive: true,
      // axios sets TCP keep-alive probes to start after a minute on every request's socket and
      // the agent set its own delay whenever the socket went back to the pool: with the two
      // equal, Node makes the system call once per connection instead of twice per POST.
      keepAliveMsecs: AXIOS_TCP_KEEPALIVE_MS,
      timeout: IDLE_SOCKET_MS,
      lookup: guardedLookup(this.guard),
    };
    this.httpAgent = new http.Agent(agentOptions);
    this.httpsAgent = new https.Agent(agentOptions);
    this.client = axios.create({
      adapter: 'http',
      httpAgent: this.httpAgent,
      httpsAgent: this.httpsAgent,
      proxy: false,
      maxRedirects: 0,
      // Streamed so that only the excerpt is ever read; axios would otherwise buffer it all.
      responseType: 'stream',
      transformRequest: (data: unknown) => data,
      transformResponse: (data: unknown) => data,
      validateStatus: () => true,
    });
  }

  /**
   * POSTs `body` to `url` and reports the outcome. Never throws: an invalid URL, a refused
   * address, a timeout or any network error becomes a failed result. Success is a 2xx status
   * with the response excerpt read within `timeoutMs`.
   */
  async send(request: OutboundRequest): Promise<DeliveryResult> {
    const startedAt = performance.now();

    const outcome = await this.attempt(request);

    return { ...outcome, duration_ms: Math.round(performance.now() - startedAt) };
  }

  /** Closes the pooled connections; later sends open new ones. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private async attempt(request: OutboundRequest): Promise<Outcome> {
    const target = this.target(request);
    if (!(target instanceof URL)) return failed(null, target);

    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), request.timeoutMs);
    try {
      return await this.exchange(target, request, deadline.signal);
    } catch (error) {
      return failed(null, explain(error, deadline.signal, request.timeoutMs));
    } finally {
      clearTimeout(timer);
    }
  }

  private async exchange(
    url: URL,
    request: OutboundRequest,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const response: AxiosResponse<Readable> = await this.client.post(
      url.href,
      Buffer.from(request.body, 'utf8'),
      { headers: this.withUserAgent(request.headers), signal },
    );

    const excerpt = await readExcerpt(response.data, this.maxResponseBytes, signal);

    if (excerpt.error !== null) {
      const error = explain(excerpt.error, signal, request.timeoutMs);
      return failed(response.status, error, excerpt.text);
    }
    return judgeStatus(response, excerpt.text);
  }

  /**
   * The URL to send to, or why nothing may be sent. IP-literal hosts are checked here because
   * connecting to them skips the agents' lookup, and with it the guard.
   */
  private target(request: OutboundRequest): URL | DeliveryError {
    if (!isValidTimeout(request.timeoutMs)) {
      return { class: 'other', message: `timeoutMs must be from 1 to ${MAX_TIMEOUT_MS}` };
    }
    const url = parseHttpUrl(request.url);
    if (!(url instanceof URL)) return url;

    const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!isIP(host)) return url;

    const verdict = this.guard.check(host);
    if (verdict.allowed) return url;
    return {
      class: 'refused_address',
      message: new RefusedAddressError(host, host, verdict.range).message,
    };
  }

  /** The headers as given when they name a User-Agent (`buildHeaders` does); axios copies them. */
  private withUserAgent(
    headers: Readonly<Record<string, string>>,
  ): Readonly<Record<string, string>> {
    if ('User-Agent' in headers) return headers;
    const hasOne = Object.keys(headers).some((name) => name.toLowerCase() === 'user-agent');
    return hasOne ? headers : { ...headers, 'User-Agent': this.userAgent };
  }
}

function judgeStatus(response: AxiosResponse, excerpt: string): Outcome {
  const { status } = response;
  if (status >= 200 && status < 300) {
    return { ok: true, status_code: status, error: null, response_excerpt: excerpt };
  }
  if (status >= 300 && status < 400) {
    return failed(status, redirectError(status, response.headers['location']), excerpt);
  }
  return failed(status, { class: 'http_status', message: `receiver answered ${status}` }, excerpt);
}

function redirectError(status: number, location: unknown): DeliveryError {
  const to = typeof location === 'string' ? ` to ${location.slice(0, 200)}` : '';
  return { class: 'redirect', message: `receiver redirected (${status})${to}; not followed` };
}

function failed(status: number | null, error: DeliveryError, excerpt = ''): Outcome {
  return { ok: false, status_code: status, error, response_excerpt: excerpt };
}

/** A deadline that fired explains any error it caused (axios reports it as a cancellation). */
function explain(error: unknown, deadline: AbortSignal, timeoutMs: number): DeliveryError {
  if (deadline.aborted) {
    return { class: 'timeout', message: `no complete answer within ${timeoutMs} ms` };
  }
  return classifyError(error);
}

function parseHttpUrl(text: string): URL | DeliveryError {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { class: 'invalid_url', message: 'url is not a valid absolute URL' };
  }

  if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  return { class: 'invalid_url', message: `url scheme ${url.protocol} is not http: or https:` };
}

function isValidTimeout(timeoutMs: number): boolean {
  return Number.isFinite(timeoutMs) && timeoutMs >= 1 && timeoutMs <= MAX_TIMEOUT_MS;
}

function checkedMaxResponseBytes(bytes = DEFAULT_MAX_RESPONSE_BYTES): number {
  if (Number.isInteger(bytes) && bytes >= 1 && bytes <= MAX_RESPONSE_BYTES_LIMIT) return bytes;
  throw new RangeError(
    `maxResponseBytes must be an integer from 1 to ${MAX_RESPONSE_BYTES_LIMIT}, got ${bytes}`,
  );
}

function checkedVersion(version: string): string {
  if (VERSION.test(version)) return version;
  throw new RangeError(`userAgentVersion must be a version such as 1.2.0, got "${version}"`);
}
