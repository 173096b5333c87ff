import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';

/** A request that ended without an answer; `code` reads like the client's own errors. */
export class RequestFailure extends Error {
  constructor(
    message: string,
    /** `503` (nobody listens on the subject), `TIMEOUT` or `CONNECTION_CLOSED`. */
    readonly code: string,
  ) {
    super(message);
    this.name = 'RequestFailure';
  }
}

interface Waiter {
  resolve(message: Msg): void;
  reject(error: unknown): void;
  deadline: number;
}

interface Outgoing {
  subject: string;
  data: Uint8Array | string;
  headers: MsgHdrs | undefined;
  token: string;
}

/** How often requests past their deadline are looked for. */
const SWEEP_MS = 100;

/**
 * Request/reply over one subscription. nats.js runs every request (and every JetStream
 * publish, which is a request for its acknowledgement) with a timer of its own and builds an
 * `Error` with a stack trace each time an answer arrives, to cancel the request that has just
 * ended. On a path that sends a request per API call or per event, that was a few percent of a
 * service's CPU. Here each request names a reply subject under one inbox; one interval timer
 * fails the requests whose answer is late, and nothing is built for an answer but the promise
 * it settles.
 *
 * Requests are handed to the client together once per turn of the event loop. The client
 * writes what it is given within one task in one socket write, but requests made for different
 * HTTP requests or messages are made in different tasks: handed over together, the requests of
 * one turn share a write (and the server a read) instead of taking one each.
 */
export class ReplyInbox {
  private readonly prefix = createInbox();
  private readonly waiting = new Map<string, Waiter>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;
  private outgoing: Outgoing[] = [];

  constructor(private readonly nc: NatsConnection) {
    this.subscription = nc.subscribe(`${this.prefix}.*`, {
      callback: (error, message) => {
        if (error === null) this.settle(message);
      },
    });
    // A closed connection or subscription answers nothing any more.
    void this.subscription.closed.then(() => this.failAll());
    this.sweeper = setInterval(() => this.failLate(), SWEEP_MS);
    this.sweeper.unref();
  }

  /**
   * Sends `data` to `subject` and resolves with the first answer. A `503` status (nobody
   * subscribes to the subject) rejects with code `503`; no answer in time with `TIMEOUT`.
   */
  request(
    subject: string,
    data: Uint8Array | string,
    options: { timeoutMs: number; headers?: MsgHdrs },
  ): Promise<Msg> {
    if (this.nc.isClosed()) {
      return Promise.reject(new RequestFailure('the connection is closed', 'CONNECTION_CLOSED'));
    }
    const token = (this.next++).toString(36);
    return new Promise<Msg>((resolve, reject) => {
      this.waiting.set(token, { resolve, reject, deadline: Date.now() + options.timeoutMs });
      if (this.outgoing.length === 0) setImmediate(this.send);
      this.outgoing.push({ subject, data, headers: options.headers, token });
    });
  }

  private readonly send = (): void => {
    const outgoing = this.outgoing;
    this.outgoing = [];
    for (const { subject, data, headers, token } of outgoing) {
      // Failed (timed out or closed) while it waited to be sent: nobody waits for its answer.
      if (!this.waiting.has(token)) continue;
      try {
        this.nc.publish(subject, data, { reply: `${this.prefix}.${token}`, headers });
      } catch (error) {
        this.waiting.get(token)?.reject(error);
        this.waiting.delete(token);
      }
    }
  };

  /** Ends the subscription; requests still waiting fail with `CONNECTION_CLOSED`. */
  close(): void {
    this.subscription.unsubscribe();
    this.failAll();
  }

  private settle(message: Msg): void {
    const token = message.subject.slice(this.prefix.length + 1);
    const waiter = this.waiting.get(token);
    if (waiter === undefined) return;
    this.waiting.delete(token);
    if (message.headers?.hasError && message.headers.code === 503) {
      waiter.reject(new RequestFailure(`no responder for the request`, '503'));
      return;
    }
    waiter.resolve(message);
  }

  private failLate(): void {
    if (this.waiting.size === 0) return;
    const now = Date.now();
    for (const [token, waiter] of this.waiting) {
      if (waiter.deadline > now) continue;
      this.waiting.delete(token);
      waiter.reject(new RequestFailure('no answer in time', 'TIMEOUT'));
    }
  }

  private failAll(): void {
    clearInterval(this.sweeper);
    for (const waiter of this.waiting.values()) {
      waiter.reject(new RequestFailure('the connection is closing', 'CONNECTION_CLOSED'));
    }
    this.waiting.clear();
  }
}
