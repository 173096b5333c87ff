import type { Logger } from '@kera/config';
import type {
  DeliveryCount,
  IntegrationsRepository,
} from '../integrations/integrations.repository';
import { DeliveryCounts } from './delivery-counts';

const T1 = new Date('2026-04-24T10:30:00.000Z');
const T2 = new Date('2026-04-24T10:30:01.000Z');

function counter(addCounts: (counts: readonly DeliveryCount[]) => Promise<void>) {
  const repository = { addCounts: jest.fn(addCounts) };
  const logger = { warn: jest.fn() } as unknown as Logger;
  const counts = new DeliveryCounts(repository as unknown as IntegrationsRepository, logger);
  return { counts, repository };
}

describe('integration delivery counts', () => {
  it('adds up requests per integration and writes them in one go', async () => {
    const { counts, repository } = counter(async () => undefined);

    counts.count('a', 'accepted', T2);
    counts.count('a', 'accepted', T1);
    counts.count('a', 'rejected', T1);
    counts.count('b', 'seen', T1);
    await counts.write();

    expect(repository.addCounts).toHaveBeenCalledTimes(1);
    expect(repository.addCounts).toHaveBeenCalledWith([
      { integrationId: 'a', accepted: 2, rejected: 1, lastDeliveryAt: T2 },
      { integrationId: 'b', accepted: 0, rejected: 0, lastDeliveryAt: T1 },
    ]);
  });

  it('writes nothing when nothing was counted, and nothing twice', async () => {
    const { counts, repository } = counter(async () => undefined);

    await counts.write();
    counts.count('a', 'accepted', T1);
    await counts.write();
    await counts.write();

    expect(repository.addCounts).toHaveBeenCalledTimes(1);
  });

  it('keeps counts that could not be written for the next write', async () => {
    let fail = true;
    const { counts, repository } = counter(async () => {
      if (fail) throw new Error('database down');
    });

    counts.count('a', 'accepted', T1);
    await counts.write();
    counts.count('a', 'rejected', T2);
    fail = false;
    await counts.write();

    expect(repository.addCounts).toHaveBeenLastCalledWith([
      { integrationId: 'a', accepted: 1, rejected: 1, lastDeliveryAt: T2 },
    ]);
  });

  it('does not start a second write while one is running', async () => {
    let finish: () => void = () => undefined;
    const { counts, repository } = counter(async () => undefined);
    repository.addCounts.mockImplementationOnce(
      () => new Promise<void>((resolve) => (finish = resolve)),
    );

    counts.count('a', 'accepted', T1);
    const first = counts.write();
    counts.count('b', 'accepted', T1);
    const second = counts.write();
    finish();
    await Promise.all([first, second]);

    expect(repository.addCounts).toHaveBeenCalledTimes(1);
    await counts.write();
    expect(repository.addCounts).toHaveBeenLastCalledWith([
      expect.objectContaining({ integrationId: 'b', accepted: 1 }),
    ]);
  });
});
