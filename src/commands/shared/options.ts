import { UsageError } from '../../errors.js';

/** Commander argParser for a repeatable option: `--var a=1 --var b=2` → ['a=1', 'b=2']. */
export const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** `--since 30m|24h|7d|<ISO date>` as a time before `now`; undefined when not given. @throws UsageError */
export function parseSince(flag: string | undefined, now: Date): Date | undefined {
  if (!flag) return undefined;
  const rel = /^(\d+)\s*(m|h|d)$/.exec(flag.trim());
  if (rel)
    return new Date(
      now.getTime() - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'],
    );
  const t = Date.parse(flag);
  if (!Number.isFinite(t))
    throw new UsageError(
      `Invalid --since "${flag}"`,
      'Use an ISO date (2026-11-01, 2026-11-01T09:00Z) or a duration (30m, 24h, 7d).',
    );
  return new Date(t);
}

/** `--limit N`, a whole number ≥ 1; undefined when not given. @throws UsageError */
export function parseLimit(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const limit = Number(flag);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`Invalid --limit "${flag}"`, 'Give a whole number of at least 1.');
  return limit;
}
