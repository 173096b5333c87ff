import { randomBytes } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { openDatabase } from '@kera/persistence';
import { dropDatabase } from '@kera/testing';
import { AttemptCounter } from './attempt-counter';

const SERVER = 'postgres://postgres@127.0.0.1:5432';

describe('AttemptCounter on Postgres', () => {
  const name = `kera_counter_${randomBytes(4).toString('hex')}`;
  let first: DataSource;
  let second: DataSource;
  let n = 0;
  const delivery = () => `dlv_test${(n += 1)}`;

  beforeAll(async () => {
    first = await openDatabase({ url: `${SERVER}/${name}` });
    // A second pool on the same database stands for a second dispatcher instance.
    second = await openDatabase({ url: `${SERVER}/${name}` });
  });

  afterAll(async () => {
    if (first?.isInitialized) await first.destroy();
    if (second?.isInitialized) await second.destroy();
    await dropDatabase(`${SERVER}/${name}`);
  });

  it('gives each number once when two instances number the same delivery at the same time', async () => {
    const counters = [new AttemptCounter(first), new AttemptCounter(second)];
    const id = delivery();

    const numbers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (counters[i % 2] as AttemptCounter).take(id).number),
    );

    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
  });

  it('numbers many deliveries asked for at once in one go, each from 1, and a repeat after', async () => {
    const counter = new AttemptCounter(first);
    const ids = Array.from({ length: 30 }, () => delivery());
    // The same delivery twice in one turn (two attempts starting together) gets 1 and 2.
    const twice = ids[0] as string;

    const numbers = await Promise.all([...ids, twice].map((id) => counter.take(id).number));

    expect(numbers.slice(1, 30)).toEqual(Array(29).fill(1));
    expect([numbers[0], numbers[30]].sort()).toEqual([1, 2]);
  });

  it('lets the POST go at once while Postgres answers, and makes it wait once it has failed', async () => {
    const doomed = await openDatabase({ url: `${SERVER}/${name}` });
    const counter = new AttemptCounter(doomed);
    const id = delivery();

    const healthy = counter.take(id);
    expect(await Promise.race([healthy.beforeSending.then(() => 'go'), healthy.number])).toBe('go');
    expect(await healthy.number).toBe(1);

    // Postgres away for this instance: the number fails, and so does the next wait to send.
    await doomed.destroy();
    await expect(counter.take(id).number).rejects.toThrow();
    const after = counter.take(id);
    await expect(after.beforeSending).rejects.toThrow();
    await expect(after.number).rejects.toThrow();
  });
});
