/** What became of one POST /api/tickets/{id}/transitions. */
export type AttemptOutcome = 'accepted' | 'rejected' | 'failed';

export interface TransitionAttempt {
  ticket: string;
  to: string;
  /** The phase of the run (the fault being injected) when the request was sent. */
  phase: string;
  /** The gateway it was sent to. */
  gateway: string;
  outcome: AttemptOutcome;
  /** HTTP status, or null when no answer came (refused, reset, timed out). */
  status: number | null;
  /** Why it failed: `refused`, `reset`, `timeout`, `http_503`, … */
  reason?: string;
  /** The event the answer named (accepted attempts only). */
  eventId?: string;
}

export interface TransitionLoadOptions {
  /** Gateway base URLs, read before every request (round robin). */
  gateways: () => readonly string[];
  adminToken: string;
  /** One client per ticket, each moving its ticket back and forth between the two states. */
  tickets: readonly string[];
  states: readonly [string, string];
  /** Accepted transitions to reach before the load stops. */
  target: number;
  /** The label attempts get, read when each request is sent. */
  phase: () => string;
  /** Accepted transitions allowed so far: clients wait while it is reached (default: target). */
  ceiling?: () => number;
  /** Per-request deadline; longer than the gateway's own command timeout. */
  requestTimeoutMs?: number;
}

const BACKOFF_MS = 200;

/**
 * A client of the REST API that keeps moving tickets until `target`
 * transitions were accepted, the way a careful user would: a request that
 * got no answer or a 5xx is not counted as done, and the client re-reads the
 * ticket before its next move, because the command may or may not have been
 * applied.
 */
export class TransitionLoad {
  readonly attempts: TransitionAttempt[] = [];
  private acceptedCount = 0;
  private nextGateway = 0;

  constructor(private readonly options: TransitionLoadOptions) {}

  get accepted(): number {
    return this.acceptedCount;
  }

  run(): Promise<void> {
    return Promise.all(this.options.tickets.map((ticket) => this.drive(ticket))).then(
      () => undefined,
    );
  }

  private async drive(ticket: string): Promise<void> {
    let state: string | null = null;
    while (this.acceptedCount < this.options.target) {
      if (this.acceptedCount >= (this.options.ceiling?.() ?? this.options.target)) {
        await sleep(20);
        continue;
      }
      state ??= await this.readState(ticket);
      const to: string =
        state === this.options.states[0] ? this.options.states[1] : this.options.states[0];
      const attempt = await this.move(ticket, to);
      this.attempts.push(attempt);
      if (attempt.outcome === 'accepted') {
        this.acceptedCount += 1;
        state = to;
      } else {
        state = null;
        if (attempt.outcome === 'failed') await sleep(BACKOFF_MS);
      }
    }
  }

  private async move(ticket: string, to: string): Promise<TransitionAttempt> {
    const gateway = this.pickGateway();
    const base = { ticket, to, phase: this.options.phase(), gateway };
    try {
      const response = await this.request(gateway, `/api/tickets/${ticket}/transitions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ to, actor: 'faults@example.com' }),
      });
      const body = (await response.json().catch(() => null)) as {
        event?: { id?: string };
      } | null;
      if (response.status === 200 && typeof body?.event?.id === 'string') {
        return { ...base, outcome: 'accepted', status: 200, eventId: body.event.id };
      }
      if (response.status === 409) return { ...base, outcome: 'rejected', status: 409 };
      return {
        ...base,
        outcome: 'failed',
        status: response.status,
        reason: `http_${response.status}`,
      };
    } catch (error) {
      return { ...base, outcome: 'failed', status: null, reason: networkReason(error) };
    }
  }

  /** The ticket's current state, retried until the API answers. */
  private async readState(ticket: string): Promise<string> {
    for (;;) {
      try {
        const response = await this.request(this.pickGateway(), `/api/tickets/${ticket}`, {
          method: 'GET',
        });
        if (response.ok) return ((await response.json()) as { state: string }).state;
        await response.body?.cancel();
      } catch {
        // the gateway or what stands behind it is down: try again shortly
      }
      await sleep(BACKOFF_MS);
    }
  }

  private pickGateway(): string {
    const gateways = this.options.gateways();
    return gateways[this.nextGateway++ % gateways.length] ?? '';
  }

  private request(gateway: string, path: string, init: RequestInit): Promise<Response> {
    return fetch(`${gateway}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${this.options.adminToken}`, ...init.headers },
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000),
    });
  }
}

function networkReason(error: unknown): string {
  if ((error as Error).name === 'TimeoutError') return 'timeout';
  const code = (error as { cause?: { code?: string } }).cause?.code ?? '';
  if (code === 'ECONNREFUSED') return 'refused';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE') return 'reset';
  return code ? code.toLowerCase() : 'network';
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
