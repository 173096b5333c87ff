/** A plain-text table: one header row, right-aligned numbers, left-aligned text. */
export function formatTable(
  columns: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = [columns, ...rows].map((row) => row.map(String));
  const widths = columns.map((_, index) =>
    Math.max(...cells.map((row) => (row[index] ?? '').length)),
  );
  const line = (row: readonly string[], source: readonly (string | number)[]) =>
    row
      .map((cell, index) =>
        typeof source[index] === 'number'
          ? cell.padStart(widths[index] ?? 0)
          : cell.padEnd(widths[index] ?? 0),
      )
      .join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  return [
    line(cells[0] ?? [], columns),
    rule,
    ...rows.map((row, index) => line(cells[index + 1] ?? [], row)),
  ].join('\n');
}

/** Writes a titled block to stdout (not console.log: jest would add a stack line to it). */
export function report(title: string, body: string): void {
  process.stdout.write(`\n${title}\n${body}\n`);
}
