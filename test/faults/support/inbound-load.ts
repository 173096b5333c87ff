import { randomUUID } from 'node:crypto';
import { signedHeaders, type InboundTarget } from '../hostile/senders';

/** One inbound webhook delivery and how the gateway took it. */
export interface InboundDelivery {
  deliveryId: string;
  /** The phase of the run when it was first sent. */
  phase: string;
  /** Requests it took (a sender resends the same delivery after no answer or a 5xx). */
  attempts: number;
  /** 202 or 200 on its last attempt: the gateway said it has it. */
  accepted: boolean;
}

export interface InboundLoadOptions {
  gateways: () => readonly string[];
  target: InboundTarget;
  /** Deliveries to send in all. */
  total: number;
  /** How many may have been sent so far (keeps pace with the transitions). */
  allowed: () => number;
  phase: () => string;
  concurrency: number;
}

/** Resends before a sender gives up on one delivery (GitHub retries for hours; this is enough). */
const MAX_ATTEMPTS = 60;
const BACKOFF_MS = 250;

/**
 * Sends signed GitHub deliveries of an event the system stores but does not
 * act on, the way GitHub does: each delivery has its own X-GitHub-Delivery
 * and is sent again, unchanged, until the gateway answers 2xx.
 */
export class InboundLoad {
  readonly deliveries: InboundDelivery[] = [];
  private next = 0;

  constructor(private readonly options: InboundLoadOptions) {}

  run(): Promise<void> {
    const workers = Array.from({ length: this.options.concurrency }, () => this.work());
    return Promise.all(workers).then(() => undefined);
  }

  private async work(): Promise<void> {
    while (this.next < this.options.total) {
      if (this.next >= this.options.allowed()) {
        await sleep(50);
        continue;
      }
      this.next += 1;
      this.deliveries.push(await this.deliver());
    }
  }

  private async deliver(): Promise<InboundDelivery> {
    const delivery: InboundDelivery = {
      deliveryId: randomUUID(),
      phase: this.options.phase(),
      attempts: 0,
      accepted: false,
    };
    const body = Buffer.from(
      JSON.stringify({
        action: 'created',
        starred_at: new Date().toISOString(),
        repository: { id: 1, full_name: 'acme/api' },
        sender: { login: 'octocat' },
      }),
    );
    const headers = Object.fromEntries(
      signedHeaders(this.options.target, body, { event: 'star', deliveryId: delivery.deliveryId }),
    );
    while (!delivery.accepted && delivery.attempts < MAX_ATTEMPTS) {
      delivery.attempts += 1;
      delivery.accepted = await this.post(body, headers);
      if (!delivery.accepted) await sleep(BACKOFF_MS);
    }
    return delivery;
  }

  private async post(body: Buffer, headers: Record<string, string>): Promise<boolean> {
    const gateways = this.options.gateways();
    const base = gateways[(this.next + this.deliveries.length) % gateways.length];
    try {
      const response = await fetch(`${base}${this.options.target.path}`, {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(30_000),
      });
      await response.body?.cancel();
      return response.status === 202 || response.status === 200;
    } catch {
      return false;
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
