import {
  Inject,
  Injectable,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { LOGGER, type Logger } from '@kera/service';
import { InboundDeliveries } from './inbound-deliveries';
import { InboundLedger } from './inbound-ledger';

const PRUNE_EVERY_MS = 60 * 60 * 1000;

/** Prunes old delivery ids once an hour; every gateway does it, which is harmless. */
@Injectable()
export class DeliveryIdPruner implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly deliveries: InboundDeliveries,
    private readonly ledger: InboundLedger,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.timer ??= setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.timer.unref();
  }

  onApplicationShutdown(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async prune(): Promise<void> {
    try {
      const forgotten = await this.deliveries.prune();
      if (forgotten > 0) {
        this.logger.info({ forgotten }, 'old inbound delivery ids pruned');
        // The filter holds the forgotten ids too: a fresh one asks Postgres less often.
        await this.ledger.rebuild();
      }
    } catch (error) {
      this.logger.warn({ err: error }, 'pruning old inbound delivery ids failed; will try again');
    }
  }
}
