// Aligned plain-text tables for human output: one header row, columns padded to their widest cell.
export type Cell = string | number | boolean | null | undefined;

const EMPTY = '-';
const GAP = '  ';

export function cellText(value: Cell): string {
  if (value === null || value === undefined || value === '') return EMPTY;
  return String(value);
}

export function formatTable(headers: string[], rows: Cell[][]): string {
  const lines = [headers, ...rows.map((row) => headers.map((_, i) => cellText(row[i])))];
  const widths = headers.map((_, i) => Math.max(...lines.map((line) => (line[i] ?? '').length)));
  return lines
    .map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i] ?? 0))).join(GAP).trimEnd())
    .join('\n');
}
