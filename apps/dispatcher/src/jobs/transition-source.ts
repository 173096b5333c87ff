import { Inject, Injectable } from '@nestjs/common';
import type { JetStreamManager, NatsConnection } from 'nats';
import { Naming, parseEvent, type DeliveryRequestedData, type KeraEvent } from '@kera/contracts';
import { nextOnSubject } from '@kera/jetstream';
import { NATS_CONNECTION } from '@kera/service';

const CACHE_SIZE = 2000;

/**
 * The transition events that deliveries are made of, read from the TICKETS stream (their
 * source of truth) by stream sequence. Recently fanned-out events are kept in memory, since
 * every action of a transition needs the same one.
 */
@Injectable()
export class TransitionSource {
  private readonly recent = new Map<number, KeraEvent>();
  private manager: Promise<JetStreamManager> | null = null;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly naming: Naming,
  ) {}

  remember(seq: number, event: KeraEvent): void {
    this.recent.delete(seq);
    this.recent.set(seq, event);
    if (this.recent.size > CACHE_SIZE)
      this.recent.delete(this.recent.keys().next().value as number);
  }

  /**
   * The event a request names; null when the stream holds no such event at that sequence on
   * the ticket's subject (a malformed request). Throws when JetStream cannot be asked.
   */
  async load(request: DeliveryRequestedData): Promise<KeraEvent | null> {
    const event = this.recent.get(request.event_seq) ?? (await this.read(request));
    return event?.id === request.event_id ? event : null;
  }

  private async read(request: DeliveryRequestedData): Promise<KeraEvent | null> {
    const jsm = await this.jetStreamManager();
    const stream = this.naming.stream('TICKETS');
    const subject = this.naming.ticketEvents(request.ticket_id);

    const stored = await nextOnSubject(jsm, stream, subject, request.event_seq);
    if (!stored || stored.seq !== request.event_seq) return null;

    const event = parseEvent(stored.data);
    if (event) this.remember(stored.seq, event);
    return event;
  }

  private jetStreamManager(): Promise<JetStreamManager> {
    this.manager ??= this.nc.jetstreamManager({ timeout: 5000 });
    this.manager.catch(() => (this.manager = null));
    return this.manager;
  }
}
