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

/** A parsed `--since`: a duration before now, or an ISO time (read in the clinic's zone once it is known). */
export type Since = { ms: number; text: string } | { iso: string };

/**
 * `--since 30m|24h|7d|<ISO date>`, checked for syntax only (parse is pure: the clinic's zone is in
 * the store); undefined when not given. @throws UsageError (neither a duration nor an ISO date)
 */
export function parseSinceFlag(flag: string | undefined): Since | undefined {
  if (flag === undefined || flag === '') return undefined;
  const rel = /^(\d+)\s*(m|h|d)$/.exec(flag.trim());
  if (rel)
    return { ms: Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd'], text: flag };
  if (!/^\d{4}-\d\d/.test(flag.trim()) || !DateTime.fromISO(flag.trim()).isValid) {
    throw new UsageError(
      `Invalid --since "${flag}"`,
      'Use an ISO date (2026-11-01, 2026-11-01T09:00) or a duration (30m, 24h, 7d).',
    );
  }
  return { iso: flag };
}

/**
 * The time a {@link Since} names: `now` minus the duration, or the ISO time (without an offset,
 * read in `zone`, IANA). @throws UsageError when it is in the future
 */
export function resolveSince(since: Since | undefined, now: Date, zone: string): Date | undefined {
  if (!since) return undefined;
  if ('ms' in since) return new Date(now.getTime() - since.ms);
  const at = parseIsoTime(since.iso, '--since', zone);
  if (at.getTime() > now.getTime())
    throw new UsageError(
      `--since ${since.iso} is in the future (read in ${zone}).`,
      'Give a time in the past, or a duration such as 24h.',
    );
  return at;
}

/** {@link parseSinceFlag} then {@link resolveSince}. @throws UsageError */
export function parseSince(flag: string | undefined, now: Date, zone = 'UTC'): Date | undefined {
  return resolveSince(parseSinceFlag(flag), now, zone);
}

/** `--limit N`, a whole number ≥ 1; undefined when not given. @throws UsageError */
export function parseLimit(flag: string | undefined): number | undefined {
  if (flag === undefined) return undefined;
  const limit = Number(flag);
  if (!Number.isInteger(limit) || limit < 1)
    throw new UsageError(`Invalid --limit "${flag}"`, 'Give a whole number of at least 1.');
  return limit;
}

/** Repeated `--<flag> key=value` values as an object (the value may hold `=`). @throws UsageError without `=` */
export function parseKeyValues(pairs: string[], flag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${flag} needs key=value, got "${p}".`);
    out[p.slice(0, eq).trim()] = p.slice(eq + 1);
  }
  return out;
}

const DAY = /^\d{4}-\d\d-\d\d$/;

/** A day flag (`--date`, `--from`, `--to`): `today`, `tomorrow` or an ISO date; undefined when not given. @throws UsageError */
export function dayFlag(v: string | undefined, flag: string): string | undefined {
  if (v === undefined) return undefined;
  const s = v.trim().toLowerCase();
  if (s === 'today' || s === 'tomorrow' || (DAY.test(s) && DateTime.fromISO(s).isValid)) return s;
  throw new UsageError(`Invalid ${flag} "${v}".`, 'Use today, tomorrow or a date like 2026-12-03.');
}

/** The start of a {@link dayFlag} day in `zone` (IANA), `today` and `tomorrow` read from `now`. */
export const dayIn = (d: string, zone: string, now: Date): DateTime =>
  d === 'today' || d === 'tomorrow'
    ? DateTime.fromJSDate(now, { zone })
        .startOf('day')
        .plus({ days: d === 'tomorrow' ? 1 : 0 })
    : DateTime.fromISO(d, { zone });
