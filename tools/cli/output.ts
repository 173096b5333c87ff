/** Where a command writes; tests pass their own. */
export interface Output {
  out(text: string): void;
  err(text: string): void;
}

export const processOutput: Output = {
  out(text) {
    process.stdout.write(text);
  },
  err(text) {
    process.stderr.write(text);
  },
};

export type Row = Record<string, unknown>;

/** A plain-text table: one header line, then aligned columns; absent values print as `-`. */
export function table(rows: readonly Row[], columns: readonly string[]): string {
  const cells = rows.map((row) => columns.map((column) => show(row[column])));
  const widths = columns.map((column, index) =>
    Math.max(column.length, ...cells.map((line) => (line[index] ?? '').length)),
  );
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => value.padEnd(widths[index] ?? 0))
      .join('  ')
      .trimEnd();
  return (
    [line(columns.map((column) => column.toUpperCase())), ...cells.map(line)].join('\n') + '\n'
  );
}

/** `key: value` lines for one object. */
export function details(row: Row): string {
  const width = Math.max(...Object.keys(row).map((key) => key.length));
  return (
    Object.entries(row)
      .map(([key, value]) => `${`${key}:`.padEnd(width + 1)} ${show(value)}`)
      .join('\n') + '\n'
  );
}

export function show(value: unknown): string {
  if (value === null || value === undefined || value === '') return '-';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value).replace(/[\r\n\t]+/g, ' ');
}
