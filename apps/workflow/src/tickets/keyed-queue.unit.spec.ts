import { KeyedQueue } from './keyed-queue';

/** A task that records its start and end and finishes when told to. */
function gate(log: string[], name: string) {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  const task = async () => {
    log.push(`${name} start`);
    await opened;
    log.push(`${name} end`);
    return name;
  };
  return { task, open };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs the tasks of one key one after another, in order', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const first = gate(log, 'a1');
    const second = gate(log, 'a2');

    const results = [queue.run('KER', first.task), queue.run('KER', second.task)];
    await tick();
    expect(log).toEqual(['a1 start']);

    first.open();
    second.open();
    expect(await Promise.all(results)).toEqual(['a1', 'a2']);
    expect(log).toEqual(['a1 start', 'a1 end', 'a2 start', 'a2 end']);
  });

  it('runs tasks of different keys side by side', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const ker = gate(log, 'ker');
    const ops = gate(log, 'ops');

    const results = [queue.run('KER', ker.task), queue.run('OPS', ops.task)];
    await tick();
    expect(log).toEqual(['ker start', 'ops start']);

    ker.open();
    ops.open();
    await Promise.all(results);
  });

  it('goes on with the next task after one fails, and hands the failure to its caller', async () => {
    const queue = new KeyedQueue();

    const failed = queue.run('KER', () => Promise.reject(new Error('number taken')));
    const next = queue.run('KER', async () => 'created');

    await expect(failed).rejects.toThrow('number taken');
    await expect(next).resolves.toBe('created');
  });

  it('forgets a key once its tasks are done', async () => {
    const queue = new KeyedQueue();

    await queue.run('KER', async () => 1);
    await queue.run('OPS', () => Promise.reject(new Error('no'))).catch(() => undefined);
    await tick();

    expect(queue.size).toBe(0);
  });

  it('refuses a task whose turn came later than the limit allows, without running it', async () => {
    const queue = new KeyedQueue({
      maxWaitMs: 20,
      tooLate: (key) => new Error(`${key} is backed up`),
    });
    const slow = () => new Promise<string>((resolve) => setTimeout(() => resolve('slow'), 60));
    const late = jest.fn(async () => 'late');

    const first = queue.run('KER', slow);
    const second = queue.run('KER', late);
    const other = queue.run('OPS', async () => 'other');

    await expect(first).resolves.toBe('slow');
    await expect(second).rejects.toThrow('KER is backed up');
    await expect(other).resolves.toBe('other');
    expect(late).not.toHaveBeenCalled();
  });
});
