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
  // Prose (summaries, bookings) wraps cleanly; ids, times and numbers only give way when nothing else can.
  const wrappable = head.map((_, i) =>
    rows.some((r) => {
      const t = text(r[i] ?? '');
      return t.length > 24 && /\s/.test(t.trim());
    }),
  );
  const widths = fit(natural, Math.max(40, io.columns) - (head.length + 1), wrappable);
  const table = new Table({
    head,
    colWidths: widths,
    wordWrap: true,
    style: color ? { head: ['cyan'], border: ['grey'] } : { head: [], border: [] },
  });
  table.push(...rows.map((r) => r.map(text)));
  return table.toString();
}

/**
 * Column widths (padding included) that add up to at most `total`: the widest give way first, none
 * below 6; with `first`, those columns give way first (down to 18) before any other does.
 */
export function fit(natural: number[], total: number, first?: boolean[]): number[] {
  const widths = [...natural];
  let excess = widths.reduce((a, b) => a + b, 0) - total;
  const shrink = (among: number[], floor: number) => {
    while (excess > 0 && among.length) {
      const max = Math.max(...among.map((i) => widths[i]!));
      if (max <= floor) return;
      const i = among.find((j) => widths[j] === max)!;
      const second = Math.max(floor, ...among.filter((j) => j !== i).map((j) => widths[j]!));
      const cut = Math.max(1, Math.min(excess, max - second));
      widths[i] = max - cut;
      excess -= cut;
    }
  };
  const all = widths.map((_, i) => i);
  // Prose columns first, down to 18; then every column, down to 6.
  if (first)
    shrink(
      all.filter((i) => first[i]),
      18,
    );
  shrink(all, 6);
  return widths;
}
