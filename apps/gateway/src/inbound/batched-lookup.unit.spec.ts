import { BatchedLookup } from './batched-lookup';

describe('BatchedLookup', () => {
  it('answers the lookups of one turn of the event loop with one read', async () => {
    const reads: string[][] = [];
    const lookup = new BatchedLookup<string, number>(async (keys) => {
      reads.push([...keys]);
      return new Map(keys.filter((key) => key !== 'missing').map((key) => [key, key.length]));
    });

    const answers = await Promise.all(['a', 'bb', 'a', 'missing'].map((key) => lookup.get(key)));

    expect(answers).toEqual([1, 2, 1, undefined]);
    expect(reads).toEqual([['a', 'bb', 'missing']]);
  });

  it('reads one batch at a time and puts what arrived meanwhile into the next', async () => {
    const reads: string[][] = [];
    let release!: () => void;
    const first = new Promise<void>((resolve) => (release = resolve));
    const lookup = new BatchedLookup<string, string>(async (keys) => {
      reads.push([...keys]);
      if (reads.length === 1) await first;
      return new Map(keys.map((key) => [key, key.toUpperCase()]));
    });

    const early = lookup.get('x');
    await new Promise((resolve) => setImmediate(resolve));
    const late = [lookup.get('y'), lookup.get('z')];
    release();

    expect(await early).toBe('X');
    expect(await Promise.all(late)).toEqual(['Y', 'Z']);
    expect(reads).toEqual([['x'], ['y', 'z']]);
  });

  it('fails every lookup of a failed read and reads again afterwards', async () => {
    let fail = true;
    const lookup = new BatchedLookup<string, boolean>(async (keys) => {
      if (fail) throw new Error('database down');
      return new Map(keys.map((key) => [key, true]));
    });

    await expect(Promise.all([lookup.get('a'), lookup.get('b')])).rejects.toThrow('database down');
    fail = false;
    expect(await lookup.get('a')).toBe(true);
  });

  it('splits more lookups than a batch holds into several reads', async () => {
    const sizes: number[] = [];
    const lookup = new BatchedLookup<number, number>(async (keys) => {
      sizes.push(keys.length);
      return new Map(keys.map((key) => [key, key]));
    }, 2);

    await Promise.all([1, 2, 3, 4, 5].map((key) => lookup.get(key)));

    expect(sizes).toEqual([2, 2, 1]);
  });
});
