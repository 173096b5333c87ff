import { atLeastShareOfBaseline, under } from './bars';
import { formatNumber, meetsAllBars, renderMarkdown, renderText, type ResultTable } from './table';

const table: ResultTable = {
  title: 'Ingress',
  rows: [
    {
      measure: 'requests/s',
      figure: 2800,
      baseline: 4000,
      unit: 'req/s',
      bar: atLeastShareOfBaseline(0.7),
    },
    { measure: 'p99', figure: 31.5, unit: 'ms', bar: under(25, 'ms') },
    { measure: 'p50', figure: 1.234, unit: 'ms' },
    { measure: 'not measured', figure: Number.NaN, unit: 'ms', bar: under(25, 'ms') },
  ],
  notes: ['a note'],
};

describe('result tables', () => {
  it('shows the figure, the same-run baseline, their ratio, the bar and the verdict', () => {
    const lines = renderText(table).split('\n');

    const rate = lines.find((line) => line.startsWith('requests/s'));
    expect(rate).toMatch(/2,800 req\/s\s+4,000 req\/s\s+70\.0 %\s+≥ 70 % of baseline\s+meets/);
    expect(lines.find((line) => line.startsWith('p99'))).toMatch(/31\.5 ms.*< 25 ms\s+misses$/);
    expect(lines.find((line) => line.startsWith('p50'))).toMatch(/1\.23 ms$/);
    expect(lines.find((line) => line.startsWith('not measured'))).toMatch(/n\/a.*n\/a$/);
    expect(lines).toContain('a note');
  });

  it('renders Markdown with one row per figure and escaped pipes', () => {
    const markdown = renderMarkdown({
      title: 'T',
      rows: [{ measure: 'a | b', figure: 1, unit: 'ms' }],
    });

    expect(markdown).toContain('| a \\| b | 1.00 ms |');
    expect(markdown.split('\n').filter((line) => line.startsWith('|'))).toHaveLength(3);
  });

  it('counts a table as meeting its bars only when no row misses one', () => {
    const withoutMiss = table.rows.filter((row) => row.measure !== 'p99');

    expect(meetsAllBars(table)).toBe(false);
    expect(meetsAllBars({ title: 'ok', rows: withoutMiss })).toBe(true);
  });

  it('judges a share of baseline only when there is a baseline', () => {
    const bar = atLeastShareOfBaseline(0.5);

    expect(bar.met(10, null)).toBe(false);
    expect(bar.met(10, 0.5)).toBe(true);
    expect(under(10, 'ms').met(10, null)).toBe(false);
  });

  it('formats figures with precision fitting their size', () => {
    expect(formatNumber(12345.6)).toBe('12,346');
    expect(formatNumber(12.34)).toBe('12.3');
    expect(formatNumber(1.234)).toBe('1.23');
    expect(formatNumber(Number.POSITIVE_INFINITY)).toBe('n/a');
  });
});
