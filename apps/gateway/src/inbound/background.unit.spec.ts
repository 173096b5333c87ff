import type { Logger } from '@kera/config';
import { BoundedBackground } from './background';

function quietLogger(): Logger & { error: jest.Mock } {
  return { error: jest.fn() } as unknown as Logger & { error: jest.Mock };
}

describe('bounded background writes', () => {
  it('drops and counts writes beyond the limit instead of queueing them', async () => {
    const dropped: string[] = [];
    const logger = quietLogger();
    const background = new BoundedBackground(2, logger, (what) => dropped.push(what));
    const release: (() => void)[] = [];
    const stalled = () => new Promise<void>((resolve) => release.push(resolve));

    background.run('a', {}, stalled);
    background.run('b', {}, stalled);
    background.run('c', {}, stalled);
    await Promise.resolve();

    expect(release).toHaveLength(2);
    expect(dropped).toEqual(['c']);
    release.forEach((resolve) => resolve());
  });

  it('takes new writes again once running ones finish', async () => {
    const background = new BoundedBackground(1, quietLogger(), () => undefined);
    let runs = 0;
    const write = async () => {
      runs += 1;
    };

    background.run('a', {}, write);
    await new Promise((resolve) => setImmediate(resolve));
    background.run('b', {}, write);
    await new Promise((resolve) => setImmediate(resolve));

    expect(runs).toBe(2);
  });

  it('logs a failed write, even one that throws before returning a promise, and never throws', async () => {
    const logger = quietLogger();
    const background = new BoundedBackground(5, logger, () => undefined);

    background.run('rejects', { integration: 'i-1' }, () => Promise.reject(new Error('nats down')));
    background.run('throws', {}, () => {
      throw new Error('bug');
    });
    await new Promise((resolve) => setImmediate(resolve));

    expect(logger.error).toHaveBeenCalledTimes(2);
    expect(logger.error).toHaveBeenCalledWith(
      expect.objectContaining({ integration: 'i-1', what: 'rejects' }),
      'inbound record failed',
    );
  });
});
