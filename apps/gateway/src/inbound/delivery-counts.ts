import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { LOGGER, type Logger } from '@kera/service';
import {
  IntegrationsRepository,
  type DeliveryCount,
} from '../integrations/integrations.repository';

/** How often the counts added up in memory are written. */
const WRITE_EVERY_MS = 1000;

/** What a request that reached an integration with the right token counts as. */
export type CountedOutcome = 'accepted' | 'rejected' | 'seen';

/**
 * The accepted and rejected counts and the last delivery time of each integration, added up in
 * memory and written once a second in one statement. Writing them with every request would
 * make every delivery to one integration wait for the one before: they all update one row.
 * Counts that could not be written are kept for the next write; those of the last second are
 * lost when the process is killed, which is acceptable for figures shown in a list.
 */
@Injectable()
export class DeliveryCounts implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private pending = new Map<string, DeliveryCount>();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(
    private readonly integrations: IntegrationsRepository,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Counts a request; `seen` only moves the last delivery time (a duplicate). */
  count(integrationId: string, outcome: CountedOutcome, at: Date): void {
    const count = this.pending.get(integrationId) ?? {
      integrationId,
      accepted: 0,
      rejected: 0,
      lastDeliveryAt: at,
    };
    if (outcome === 'accepted') count.accepted += 1;
    if (outcome === 'rejected') count.rejected += 1;
    if (at > count.lastDeliveryAt) count.lastDeliveryAt = at;
    this.pending.set(integrationId, count);
  }

  onApplicationBootstrap(): void {
    this.timer ??= setInterval(() => void this.write(), WRITE_EVERY_MS);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.writing;
    await this.write();
  }

  /**
   * Writes what was counted since the last write, unless a write is still running (a slow
   * database); on failure the counts are kept for the next one.
   */
  write(): Promise<void> {
    this.writing ??= this.writePending().finally(() => {
      this.writing = null;
    });
    return this.writing;
  }

  private async writePending(): Promise<void> {
    const counts = [...this.pending.values()];
    if (counts.length === 0) return;
    this.pending = new Map();
    try {
      await this.integrations.addCounts(counts);
    } catch (error) {
      for (const count of counts) this.restore(count);
      this.logger.warn({ err: error }, 'integration delivery counts not written; will try again');
    }
  }

  private restore(count: DeliveryCount): void {
    const newer = this.pending.get(count.integrationId);
    if (!newer) {
      this.pending.set(count.integrationId, count);
      return;
    }
    newer.accepted += count.accepted;
    newer.rejected += count.rejected;
    if (count.lastDeliveryAt > newer.lastDeliveryAt) newer.lastDeliveryAt = count.lastDeliveryAt;
  }
}
