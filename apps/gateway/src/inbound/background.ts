import type { Logger } from '@kera/config';

/**
 * Runs writes that must not hold up an answer (the record of a refusal, a counter) without
 * waiting for them, but never more than `limit` at once: when NATS or Postgres stalls, further
 * ones are dropped and counted instead of piling up in memory.
 */
export class BoundedBackground {
  private running = 0;

  constructor(
    private readonly limit: number,
    private readonly logger: Logger,
    private readonly dropped: (what: string) => void,
  ) {}

  /** Starts the write unless too many are running; its failure is logged, never thrown. */
  run(what: string, fields: Record<string, unknown>, write: () => Promise<unknown>): void {
    if (this.running >= this.limit) {
      this.dropped(what);
      this.logger.error({ ...fields, what }, 'inbound record dropped: too many writes pending');
      return;
    }
    this.running += 1;
    Promise.resolve()
      .then(write)
      .catch((error: unknown) =>
        this.logger.error({ ...fields, what, err: error }, 'inbound record failed'),
      )
      .finally(() => {
        this.running -= 1;
      });
  }
}
