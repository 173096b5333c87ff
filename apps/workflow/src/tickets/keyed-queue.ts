/** How long a task may wait for its turn, and what it fails with when it waited longer. */
export interface QueueLimit {
  maxWaitMs: number;
  tooLate: (key: string) => Error;
}

/**
 * Runs tasks one after another per key and side by side across keys. A task
 * starts once the previous task of its key settled, whether it succeeded or
 * failed; a key with nothing queued holds no memory. With a limit, a task
 * whose turn comes too late is not run: it fails with the limit's error.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  constructor(private readonly limit?: QueueLimit) {}

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const queuedAt = Date.now();
    const start = () => {
      if (this.limit && Date.now() - queuedAt > this.limit.maxWaitMs) {
        throw this.limit.tooLate(key);
      }
      return task();
    };
    const previous = this.tails.get(key) ?? Promise.resolve();
    const next = previous.then(start, start);
    this.tails.set(key, next);

    const forget = () => {
      if (this.tails.get(key) === next) this.tails.delete(key);
    };
    next.then(forget, forget);
    return next;
  }

  /** Keys with a task running or waiting. */
  get size(): number {
    return this.tails.size;
  }
}
