/**
 * Runs tasks one after another per key and side by side across keys. A task
 * starts once the previous task of its key settled, whether it succeeded or
 * failed; a key with nothing queued holds no memory.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const start = () => task();
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
