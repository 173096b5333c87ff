import type { Bar } from './bars';

/** One measured figure, with the baseline measured in the same run and the bar it answers to. */
export interface TableRow {
  measure: string;
  figure: number;
  unit: string;
  /** The same measure of the baseline, in the same unit, from the same run. */
  baseline?: number;
  bar?: Bar;
}

/** A benchmark's result as printed: a title, its rows and notes under the table. */
export interface ResultTable {
  title: string;
  rows: TableRow[];
  notes?: string[];
}

const HEADINGS = ['measure', 'figure', 'baseline (same run)', 'ratio', 'bar (SPEC §9)', 'verdict'];

/** The table as aligned plain text, for a terminal. */
export function renderText(table: ResultTable): string {
  const cells = [HEADINGS, ...table.rows.map(rowCells)];
  const widths = HEADINGS.map((_, column) =>
    Math.max(...cells.map((row) => (row[column] ?? '').length)),
  );
  const line = (row: string[]) =>
    row
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd();
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [
    table.title,
    '',
    line(HEADINGS),
    rule,
    ...cells.slice(1).map(line),
    ...notesOf(table),
  ].join('\n');
}

/** The table as GitHub-flavoured Markdown, for docs/performance.md. */
export function renderMarkdown(table: ResultTable): string {
  const line = (row: string[]) =>
    `| ${row.map((cell) => cell.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [
    `**${table.title}**`,
    '',
    line(HEADINGS),
    line(HEADINGS.map(() => '---')),
    ...table.rows.map((row) => line(rowCells(row))),
    ...notesOf(table),
  ].join('\n');
}

/** Prints the table to stdout with a blank line after it. */
export function printTable(table: ResultTable): void {
  process.stdout.write(`${renderText(table)}\n\n`);
}

/** Whether every row that has a bar meets it; rows without a bar do not count. */
export function meetsAllBars(table: ResultTable): boolean {
  return table.rows.every((row) => verdict(row) !== 'misses');
}

/** A figure with the precision its size deserves and thousands separated. */
export function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return 'n/a';
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  return value.toLocaleString('en-US', {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

function rowCells(row: TableRow): string[] {
  const ratio = ratioOf(row);
  return [
    row.measure,
    withUnit(row.figure, row.unit),
    row.baseline === undefined ? '' : withUnit(row.baseline, row.unit),
    ratio === null ? '' : `${formatNumber(ratio * 100)} %`,
    row.bar?.text ?? '',
    verdict(row),
  ];
}

function verdict(row: TableRow): 'meets' | 'misses' | 'n/a' | '' {
  if (!row.bar) return '';
  if (!Number.isFinite(row.figure)) return 'n/a';
  return row.bar.met(row.figure, ratioOf(row)) ? 'meets' : 'misses';
}

function ratioOf(row: TableRow): number | null {
  if (row.baseline === undefined || !(row.baseline > 0) || !Number.isFinite(row.figure)) {
    return null;
  }
  return row.figure / row.baseline;
}

function withUnit(value: number, unit: string): string {
  return Number.isFinite(value) ? `${formatNumber(value)} ${unit}` : 'n/a';
}

function notesOf(table: ResultTable): string[] {
  return table.notes && table.notes.length > 0 ? ['', ...table.notes] : [];
}
