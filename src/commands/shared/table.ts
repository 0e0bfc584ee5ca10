import Table from 'cli-table3';
import type { IO } from '../../io.js';

type Cell = string | number;

/**
 * A table for a terminal: it fits `io.columns` (the widest columns are narrowed and wrap) and has
 * no color at all, borders included, unless `color` (not `--no-color`, not `NO_COLOR`).
 */
export function renderTable(head: string[], rows: Cell[][], io: Pick<IO, 'columns'>, color: boolean): string {
  const text = (c: Cell) => String(c);
  const longest = (s: string) => Math.max(0, ...s.split('\n').map((l) => l.length));
  const natural = head.map((h, i) => Math.max(longest(h), ...rows.map((r) => longest(text(r[i] ?? '')))) + 2);
  const widths = fit(natural, Math.max(40, io.columns) - (head.length + 1));
  const table = new Table({
    head,
    colWidths: widths,
    wordWrap: true,
    style: color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
  });
  table.push(...rows.map((r) => r.map(text)));
  return table.toString();
}

/** Column widths (padding included) that add up to at most `total`: the widest give way first, none below 6. */
export function fit(natural: number[], total: number): number[] {
  const widths = [...natural];
  let excess = widths.reduce((a, b) => a + b, 0) - total;
  while (excess > 0) {
    const max = Math.max(...widths);
    if (max <= 6) break;
    const i = widths.indexOf(max);
    const second = Math.max(6, ...widths.filter((_, j) => j !== i));
    const cut = Math.max(1, Math.min(excess, max - second));
    widths[i] = max - cut;
    excess -= cut;
  }
  return widths;
}
