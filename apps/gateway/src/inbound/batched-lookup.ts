/** Reads the answers for many keys in one statement; keys without an answer are left out. */
export type ReadMany<K, V> = (keys: readonly K[]) => Promise<Map<K, V>>;

interface Waiting<K, V> {
  key: K;
  resolve(value: V | undefined): void;
  reject(error: unknown): void;
}

/**
 * Lookups that share round trips: one read runs at a time, and the keys asked for meanwhile go
 * together into the next. An idle lookup reads in the next turn of the event loop, so a lone
 * request waits for no timer;
 * under load one statement answers many requests, and a flood of lookups costs the database
 * one statement at a time, never one per request. A read that fails fails every key in it.
 */
export class BatchedLookup<K, V> {
  private waiting: Waiting<K, V>[] = [];
  private reading = false;

  constructor(
    private readonly read: ReadMany<K, V>,
    private readonly maxBatch = 500,
  ) {}

  /** The answer for `key`, or undefined when the read found none. */
  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ key, resolve, reject });
      if (this.reading) return;
      this.reading = true;
      // The requests whose data arrived in this turn of the event loop ask together.
      setImmediate(() => void this.readWaiting());
    });
  }

  private async readWaiting(): Promise<void> {
    while (this.waiting.length > 0) {
      const batch = this.waiting.splice(0, this.maxBatch);
      try {
        const found = await this.read(uniqueKeys(batch));
        for (const entry of batch) entry.resolve(found.get(entry.key));
      } catch (error) {
        for (const entry of batch) entry.reject(error);
      }
    }
    this.reading = false;
  }
}

function uniqueKeys<K>(batch: readonly { key: K }[]): K[] {
  return [...new Set(batch.map((entry) => entry.key))];
}
