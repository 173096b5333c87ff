import { createInbox, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import type { AppendResult } from '@kera/jetstream';

/** What JetStream answers a publish with: where it stored it, or why it did not. */
interface PublishAck {
  seq?: number;
  duplicate?: boolean;
  error?: { code?: number; err_code?: number; description?: string };
}

interface Waiter {
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
  deadline: number;
}

interface Queued {
  subject: string;
  data: Uint8Array;
  headers: MsgHdrs;
  resolve(result: AppendResult): void;
  reject(error: unknown): void;
}

/** A publish failure shaped like the client's, so that `translatePublishError` reads it alike. */
class PublishFailure extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly api_error?: PublishAck['error'],
  ) {
    super(message);
    this.name = 'PublishFailure';
  }
}

/**
 * JetStream publishes whose acknowledgements come back to one subscription. nats.js handles
 * every `js.publish` as a request of its own: a timer, an entry in its request table, and an
 * `Error` with a stack trace built for each acknowledgement it receives (to cancel a request
 * that has already ended). On the inbound route, one publish per webhook, that was a
 * noticeable share of the gateway's CPU. Here each publish names a reply subject under one
 * inbox; a single timer fails the publishes whose acknowledgement is late.
 *
 * Publishes are handed to the client together once per turn of the event loop: the client
 * writes what it was given within one task in one socket write, so the webhooks whose bodies
 * arrived in the same turn share a write (and nats-server a read) instead of one each.
 */
export class AckInbox {
  private readonly prefix: string;
  private readonly waiting = new Map<string, Waiter>();
  private readonly subscription: Subscription;
  private readonly sweeper: NodeJS.Timeout;
  private next = 0;
  private queued: Queued[] = [];

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
  ) {
    this.prefix = createInbox();
    this.subscription = nc.subscribe(`${this.prefix}.*`, {
      callback: (error, message) => {
        if (error === null) this.settle(message);
      },
    });
    this.sweeper = setInterval(() => this.failLate(), Math.max(100, timeoutMs / 10));
    this.sweeper.unref();
  }

  /** Publishes `data` to a subject a stream captures; resolves once JetStream stored it. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<AppendResult> {
    return new Promise((resolve, reject) => {
      if (this.queued.length === 0) setImmediate(this.sendQueued);
      this.queued.push({ subject, data, headers, resolve, reject });
    });
  }

  private readonly sendQueued = (): void => {
    const queued = this.queued;
    this.queued = [];
    const deadline = Date.now() + this.timeoutMs;
    for (const { subject, data, headers, resolve, reject } of queued) {
      const token = (this.next++).toString(36);
      this.waiting.set(token, { resolve, reject, deadline });
      try {
        this.nc.publish(subject, data, { reply: `${this.prefix}.${token}`, headers });
      } catch (error) {
        this.waiting.delete(token);
        reject(error);
      }
    }
  };

  close(): void {
    clearInterval(this.sweeper);
    this.subscription.unsubscribe();
    for (const queued of this.queued) {
      queued.reject(new PublishFailure('the connection is closing', 'CONNECTION_CLOSED'));
    }
    this.queued = [];
    for (const waiter of this.waiting.values()) {
      waiter.reject(new PublishFailure('the connection is closing', 'CONNECTION_CLOSED'));
    }
    this.waiting.clear();
  }

  private settle(message: Msg): void {
    const token = message.subject.slice(this.prefix.length + 1);
    const waiter = this.waiting.get(token);
    if (waiter === undefined) return;
    this.waiting.delete(token);

    if (message.headers?.hasError) {
      // 503: no stream captures the subject (or JetStream is not there).
      const code = String(message.headers.code);
      waiter.reject(new PublishFailure(`JetStream answered ${code}`, code));
      return;
    }
    let ack: PublishAck;
    try {
      ack = message.json<PublishAck>();
    } catch {
      waiter.reject(new PublishFailure('JetStream sent an unreadable acknowledgement', 'BAD_ACK'));
      return;
    }
    if (ack.error !== undefined || typeof ack.seq !== 'number') {
      const description = ack.error?.description ?? 'no sequence in the acknowledgement';
      waiter.reject(new PublishFailure(description, 'API_ERROR', ack.error));
      return;
    }
    waiter.resolve({ seq: ack.seq, duplicate: ack.duplicate === true });
  }

  private failLate(): void {
    const now = Date.now();
    for (const [token, waiter] of this.waiting) {
      // Deadlines grow in the order publishes were made: the first one not yet due ends the sweep.
      if (waiter.deadline > now) break;
      this.waiting.delete(token);
      waiter.reject(new PublishFailure('JetStream did not acknowledge in time', 'TIMEOUT'));
    }
  }
}
