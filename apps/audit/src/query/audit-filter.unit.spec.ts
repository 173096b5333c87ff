import { BadRequestError } from '@kera/contracts';
import { DEFAULT_LIMIT, encodeCursor, parseAuditQuery } from './audit-filter';

function problemsOf(input: unknown): { field?: string; message: string }[] {
  try {
    parseAuditQuery(input);
  } catch (error) {
    expect(error).toBeInstanceOf(BadRequestError);
    return (error as BadRequestError).errors ?? [];
  }
  throw new Error('expected a BadRequestError');
}

describe('parseAuditQuery', () => {
  it('reads every filter, with a default limit', () => {
    expect(
      parseAuditQuery({
        ticket: 'ker-7',
        type: 'kera.ticket.created',
        integration: 'int-1',
        actor: 'max@example.com',
        since: '2026-04-24',
        until: '2026-04-25T12:00:00+02:00',
        after: encodeCursor(42),
      }),
    ).toEqual({
      ticket: 'KER-7',
      type: 'kera.ticket.created',
      integration: 'int-1',
      actor: 'max@example.com',
      since: '2026-04-24T00:00:00.000Z',
      until: '2026-04-25T10:00:00.000Z',
      after: 42,
      limit: DEFAULT_LIMIT,
    });
  });

  it('treats empty parameters as absent and takes numbers from NATS callers', () => {
    expect(parseAuditQuery({ ticket: '', limit: 5 })).toEqual({ limit: 5 });
    expect(parseAuditQuery(undefined)).toEqual({ limit: DEFAULT_LIMIT });
  });

  it('lists every bad parameter at once, each with its field', () => {
    const problems = problemsOf({
      tickt: 'KER-1',
      type: ['a', 'b'],
      since: 'yesterday',
      until: '2026-04-24T10:30:00',
      limit: '0',
      after: 'bm90LWEtY3Vyc29y',
    });

    expect(problems.map((problem) => problem.field).sort()).toEqual(
      ['after', 'limit', 'since', 'tickt', 'type', 'until'].sort(),
    );
    expect(problems.find((problem) => problem.field === 'type')?.message).toBe(
      'must be given once',
    );
  });

  it('refuses limits outside 1 to 1000 and a range that ends before it starts', () => {
    expect(problemsOf({ limit: '1001' })[0]?.field).toBe('limit');
    expect(problemsOf({ limit: '2.5' })[0]?.field).toBe('limit');
    expect(problemsOf({ since: '2026-04-25', until: '2026-04-24' })).toEqual([
      { field: 'until', message: 'must be later than since' },
    ]);
  });

  it('refuses filter values longer than an index entry holds', () => {
    expect(problemsOf({ actor: 'a'.repeat(300) })[0]?.field).toBe('actor');
  });

  it('refuses a query that is not an object', () => {
    expect(() => parseAuditQuery('ticket=KER-1')).toThrow(BadRequestError);
  });
});
