import { BadRequestError } from '@kera/contracts';
import { bucketRange, parseStatsQuery } from './delivery-stats';

describe('parseStatsQuery', () => {
  it('defaults to sixty one-minute buckets', () => {
    expect(parseStatsQuery({})).toEqual({ bucket: '1m', buckets: 60 });
  });

  it('accepts every named bucket size and a bucket count', () => {
    expect(parseStatsQuery({ bucket: '15m', buckets: '96' })).toEqual({
      bucket: '15m',
      buckets: 96,
    });
  });

  it('rejects an unknown bucket and an out-of-range count with both problems at once', () => {
    let error: unknown;
    try {
      parseStatsQuery({ bucket: '7s', buckets: '100000' });
    } catch (caught) {
      error = caught;
    }

    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as BadRequestError).status).toBe(400);
    expect((error as BadRequestError).errors?.map((problem) => problem.field)).toEqual([
      'bucket',
      'buckets',
    ]);
  });

  it('rejects a fractional count, a repeated bucket and inherited property names', () => {
    expect(() => parseStatsQuery({ buckets: '2.5' })).toThrow(BadRequestError);
    expect(() => parseStatsQuery({ bucket: ['1m', '5m'] })).toThrow(BadRequestError);
    expect(() => parseStatsQuery({ bucket: 'constructor' })).toThrow(BadRequestError);
  });
});

describe('bucketRange', () => {
  it('ends with the bucket that holds now', () => {
    const { since, until } = bucketRange(new Date('2026-04-24T10:03:30Z'), 300, 3);

    expect(since.toISOString()).toBe('2026-04-24T09:50:00.000Z');
    expect(until.toISOString()).toBe('2026-04-24T10:05:00.000Z');
  });
});
