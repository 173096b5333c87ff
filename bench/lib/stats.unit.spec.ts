import { percentile, percentileOfSorted, summarize } from './stats';

describe('percentiles', () => {
  const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);

  it('takes the nearest rank: the smallest sample that p % of samples do not exceed', () => {
    expect(percentile(hundred, 50)).toBe(50);
    expect(percentile(hundred, 99)).toBe(99);
    expect(percentile(hundred, 100)).toBe(100);
    expect(percentile([3, 1, 2], 50)).toBe(2);
    expect(percentileOfSorted([10], 1)).toBe(10);
  });

  it('is NaN without samples and refuses a percentile outside (0, 100]', () => {
    expect(percentile([], 50)).toBeNaN();
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });

  it('summarises count, mean, p50, p90, p99 and max without changing the input', () => {
    const input = [5, 1, 4, 2, 3];

    const summary = summarize(input);

    expect(summary).toEqual({ count: 5, mean: 3, p50: 3, p90: 5, p99: 5, max: 5 });
    expect(input).toEqual([5, 1, 4, 2, 3]);
  });

  it('summarises no samples as NaN figures', () => {
    const summary = summarize([]);

    expect(summary.count).toBe(0);
    expect(summary.p99).toBeNaN();
    expect(summary.mean).toBeNaN();
  });
});
