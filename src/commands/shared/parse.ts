import { DateTime } from 'luxon';
import { UsageError } from '../../errors.js';

/** Parsers of flags several commands share (loaded by their run modules, not by --help). */

/**
 * An ISO 8601 date or date-time (`2026-12-01`, `2026-12-01T10:00`, `2026-12-01T10:00+05:30`); without an
 * offset it is read in `zone` (IANA, the clinic's). Other text ("tomorrow", "Dec 1") is refused.
 * @throws UsageError naming the flag
 */
export function parseIsoTime(flag: string, name: string, zone: string): Date {
  const t = DateTime.fromISO(flag.trim(), { zone, setZone: true });
  if (!t.isValid) {
    throw new UsageError(
      `Invalid ${name} "${flag}"`,
      `Give an ISO date or time such as 2026-12-01T10:00 (read in ${zone}) or 2026-12-01T10:00+05:30.`,
    );
  }
  return t.toJSDate();
}

/**
 * `--since 30m|24h|7d|<ISO date>` as a time before `now`; undefined when not given. An ISO date
 * without an offset is read in `zone`. @throws UsageError (not a duration or ISO date; in the future)
 */
export function parseSince(flag: string | undefined, now: Date, zone = 'UTC'): Date | undefined {
  if (!flag) return undefined;
  const rel = /^(\d+)\s*(m|h|d)$/.exec(flag.trim());
  if (rel)
    return new Date(
      now.getTime() - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'],
    );
  if (!/^\d{4}-\d\d/.test(flag.trim())) {
    throw new UsageError(
      `Invalid --since "${flag}"`,
      'Use an ISO date (2026-11-01, 2026-11-01T09:00) or a duration (30m, 24h, 7d).',
    );
  }
  const since = parseIsoTime(flag, '--since', zone);
  if (since.getTime() > now.getTime())
    throw new UsageError(`--since ${flag} is in the future.`, 'Give a time in the past, or a duration such as 24h.');
  return since;
}

/** `--limit N`, a whole number ≥ 1; undefined when not given. @throws UsageError */
export function parseLimit(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const limit = Number(flag);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`Invalid --limit "${flag}"`, 'Give a whole number of at least 1.');
  return limit;
}
