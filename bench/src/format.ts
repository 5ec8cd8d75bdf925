/** Markdown tables and number formatting shared by the report and the profiler. */

export function markdownTable(head: readonly string[], body: ReadonlyArray<readonly string[]>): string {
  const widths = head.map((cell, i) => Math.max(cell.length, ...body.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

/** Three significant digits, without exponent noise: 0.0123, 1.23, 12.3, 123, 1234. */
export function num(value: number | undefined): string {
  if (value === undefined || !Number.isFinite(value)) return '–';
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  if (abs >= 0.1) return value.toFixed(3);
  return value.toPrecision(2);
}

export function ratio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : `${num(value)}×`;
}

export function percent(share: number): string {
  return `${(share * 100).toFixed(1)} %`;
}
