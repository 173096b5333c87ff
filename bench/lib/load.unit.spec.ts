import { mergeResults, paceOpenLoop, type LoadResult } from './load';

function result(samplesMs: number[], statuses: Record<string, number>, durationMs: number) {
  return { samplesMs, statuses, durationMs } as LoadResult;
}

describe('load runs', () => {
  it('merges legs: rate over the summed duration, latencies pooled, statuses added', () => {
    const merged = mergeResults([
      result([1, 2, 3], { '202': 3, '500': 1 }, 1000),
      result([4, 5], { '202': 2, error: 2 }, 1000),
    ]);

    expect(merged.rate).toBe(2.5);
    expect(merged.samplesMs).toEqual([1, 2, 3, 4, 5]);
    expect(merged.latencyMs.p50).toBe(3);
    expect(merged.statuses).toEqual({ '202': 5, '500': 1, error: 2 });
    expect(merged.failures).toBe(3);
  });

  it('fires every call of an open loop in order, each due one interval after the last', async () => {
    const calls: { index: number; dueAt: number }[] = [];
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));

    const running = paceOpenLoop({
      rate: 200,
      durationMs: 100,
      fire: async (index, dueAt) => {
        calls.push({ index, dueAt });
        // The first call never finishes until the end: later calls must not wait for it.
        if (index === 0) await held;
      },
    });
    while (calls.length < 20) await new Promise((resolve) => setTimeout(resolve, 5));
    release();
    const report = await running;

    expect(report.fired).toBe(20);
    expect(calls.map((call) => call.index)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const gaps = calls.slice(1).map((call, i) => call.dueAt - (calls[i]?.dueAt ?? 0));
    for (const gap of gaps) expect(gap).toBeCloseTo(5, 6);
  });
});
