// English only (the en entry point): the package's root also loads its other 15 locales, ~9 MB of
// serve's memory for parsers no clinic setting selects.
import { casual, GB } from 'chrono-node/en';
import type { ParsedComponents } from 'chrono-node';
import { DateTime, FixedOffsetZone } from 'luxon';
import './zone-offsets.js';
import { WEEKDAY_NAMES } from './clinic.js';

/**
 * What a caller's spoken date and time resolve to, in the clinic's time zone.
 * - `exact`: a specific start time.
 * - `day`: a day, optionally a part of it (`window` in minutes after midnight), but no time.
 * - `question`: unresolvable or ambiguous; `question` is what to ask the caller.
 */
export type SpokenTime =
  | { kind: 'exact'; start: DateTime }
  | { kind: 'day'; day: DateTime; window?: { from: number; to: number; label: string } }
  | { kind: 'question'; question: string };

const PARTS_OF_DAY: Record<string, { from: number; to: number; label: string }> = {
  morning: { from: 8 * 60, to: 12 * 60, label: 'morning' },
  afternoon: { from: 12 * 60, to: 17 * 60, label: 'afternoon' },
  evening: { from: 17 * 60, to: 21 * 60, label: 'evening' },
  tonight: { from: 17 * 60, to: 21 * 60, label: 'evening' },
};

/** Open minutes of the day (after midnight) used to decide "at 5" → 5 PM. */
export interface OpenWindow {
  from: number;
  to: number;
}

/**
 * Whether `locale` (BCP 47, the clinic's) writes the day before the month ("1/12" is 1 December
 * in en-IN and en-GB, 12 January in en-US), from the locale's own short date pattern.
 */
export function isDayFirst(locale: string): boolean {
  // Remembered per locale: a DateTimeFormat costs more than the rest of a spoken time's reading.
  let first = dayFirst.get(locale);
  if (first === undefined) {
    try {
      const parts = new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'numeric' }).formatToParts(
        new Date(Date.UTC(2026, 11, 1)),
      );
      first = parts.findIndex((p) => p.type === 'day') < parts.findIndex((p) => p.type === 'month');
    } catch {
      first = false;
    }
    if (dayFirst.size < 64) dayFirst.set(locale, first);
  }
  return first;
}
const dayFirst = new Map<string, boolean>();

/**
 * Resolves spoken text ("next Monday at 2pm", "tomorrow morning") against `now` in `timeZone`
 * (IANA), numeric dates in `locale`'s day/month order. Never guesses: a missing day, two dates,
 * "next week", "next Monday" said two days before it, an hour that could be AM or PM within
 * opening hours, or a part it could not read ("13/13/2026", "42/99") all become questions. A
 * stated zone ("10am PST") is honoured: the time is converted to the clinic's zone.
 */
export function resolveSpokenTime(
  text: string,
  now: Date,
  timeZone: string,
  open: OpenWindow,
  locale = 'en-US',
): SpokenTime {
  // Remembered per phrase, minute, zone, opening hours and locale: a call checks a time, then books
  // the same words (chrono's reading is most of this function's cost). The answer holds only
  // immutable DateTimes, so it is shared as it is.
  const key = `${Math.floor(now.getTime() / 60_000)}|${timeZone}|${locale}|${open.from}-${open.to}|${text}`;
  const known = readings.get(key);
  if (known) return known;
  const read = readSpokenTime(text, now, timeZone, open, locale);
  if (readings.size >= READINGS_MAX) readings.delete(readings.keys().next().value!);
  readings.set(key, read);
  return read;
}
const readings = new Map<string, SpokenTime>();
const READINGS_MAX = 1_000;

function readSpokenTime(text: string, now: Date, timeZone: string, open: OpenWindow, locale: string): SpokenTime {
  const ref = DateTime.fromJSDate(now, { zone: timeZone });
  const cleaned = withMonthForBareOrdinal(normalise(text), ref);
  if (!cleaned) return { kind: 'question', question: 'Which day and time would you like?' };
  const parser = isDayFirst(locale) ? GB : casual;
  // A part of the day on its own ("… in the morning") is read below from the text, not as a date.
  const results = parser
    .parse(cleaned, { instant: now, timezone: ref.offset }, { forwardDate: true })
    .filter((r) => !PART_OF_DAY_ONLY.test(r.text.trim()));
  if (results.length === 0) {
    return {
      kind: 'question',
      question: `Sorry, I didn't catch the date in "${text.trim()}". Which day would you like, for example Monday the ${ordinal(ref.plus({ days: 2 }).day)}?`,
    };
  }
  if (results.length > 1) {
    const days = results.slice(0, 3).map((r) => spokenDay(fromComponents(r.start, timeZone)));
    return { kind: 'question', question: `Did you mean ${days.join(' or ')}?` };
  }
  const r = results[0]!;
  const s = r.start;
  const lower = r.text.toLowerCase();
  // A day word chrono did not read would be silently dropped: ask instead of guessing.
  const rest = cleaned.replace(lower, ' ');
  const unread = rest.match(DAY_WORDS);
  if (unread) return { kind: 'question', question: `Sorry, which day did you mean by "${unread[0]}"?` };
  // So would a numeric date it could not read ("13/13/2026 4pm" read as 4 PM today).
  const badDate = rest.match(/\b\d{1,4}\s*[/.-]\s*\d{1,4}(?:\s*[/.-]\s*\d{1,4})?\b/);
  if (badDate)
    return {
      kind: 'question',
      question: `Sorry, "${badDate[0]}" is not a date I can read. Which day would you like, for example ${spokenDay(ref.plus({ days: 2 }))}?`,
    };

  if (
    /\b(week|weekend|month|fortnight)\b/.test(lower) &&
    !s.isCertain('weekday') &&
    !/\bin \d+ (days?|weeks?)\b/.test(cleaned)
  ) {
    return { kind: 'question', question: `Which day ${lower.trim()} would suit you?` };
  }
  let day = fromComponents(s, timeZone).startOf('day');
  // forwardDate moves "20 November" said on the 21st to next year; a caller naming a date of the
  // last month means the recent one (which has passed), not one eleven months away.
  if (s.isCertain('day') && s.isCertain('month') && !s.isCertain('year')) {
    const thisYear = day.set({ year: ref.year });
    if (thisYear < ref.startOf('day') && thisYear > ref.minus({ days: 31 })) day = thisYear;
  }
  if (s.isCertain('weekday') && s.isCertain('day') && (s.get('weekday') ?? 0) % 7 !== day.weekday % 7) {
    return {
      kind: 'question',
      question: `${day.toFormat('d MMMM yyyy')} is a ${day.toFormat('cccc')}. Which day did you mean?`,
    };
  }
  if (s.isCertain('weekday') && !s.isCertain('day')) {
    const weekday = day.toFormat('cccc');
    const daysAway = Math.round(day.diff(ref.startOf('day'), 'days').days);
    const explicitNext = /\bnext\s+\w+day\b/.test(lower);
    const bare = !/\b(next|this|coming)\s+\w+day\b/.test(lower);
    if (bare && day.weekday === ref.weekday) {
      return {
        kind: 'question',
        question: `Do you mean today, or ${weekday} ${day.plus({ weeks: daysAway === 0 ? 1 : 0 }).toFormat('d MMMM')}?`,
      };
    }
    if (/\bthis\s+\w+day\b/.test(lower) && day.weekday === ref.weekday) day = ref.startOf('day');
    else if (explicitNext && daysAway <= 2) {
      return {
        kind: 'question',
        question: `Which ${weekday} did you mean: ${spokenDay(day)} or ${spokenDay(day.plus({ weeks: 1 }))}?`,
      };
    }
  }

  // A bare time ("at 5", "2pm") means today; chrono's forwardDate would move a passed one to tomorrow.
  // "In 3 days", "in 2 weeks", "in 10000 years" keep the day they name.
  if (
    !s.isCertain('day') &&
    !s.isCertain('weekday') &&
    !/\b(tomorrow|today|tonight|in \d+ (days?|weeks?|months?|years?))\b/.test(cleaned)
  ) {
    day = ref.startOf('day');
  }
  if (!s.isCertain('hour')) {
    const part = Object.keys(PARTS_OF_DAY).find((p) => new RegExp(`\\b${p}\\b`).test(cleaned));
    return part ? { kind: 'day', day, window: PARTS_OF_DAY[part] } : { kind: 'day', day };
  }
  let hour = s.get('hour') ?? 0;
  const minute = s.get('minute') ?? 0;
  if (!s.isCertain('meridiem') && hour >= 1 && hour <= 11 && !/\bnoon\b|\bmidnight\b/.test(cleaned)) {
    const inOpen = (h: number) => h * 60 + minute >= open.from && h * 60 + minute < open.to;
    const am = inOpen(hour);
    const pm = inOpen(hour + 12);
    if (am === pm) {
      return { kind: 'question', question: `Did you mean ${hour} in the morning or ${hour} in the evening?` };
    }
    if (pm) hour += 12;
  }
  // A zone the caller stated ("10am PST", "3pm GMT"): that wall time there, in the clinic's zone.
  if (s.isCertain('timezoneOffset')) {
    const stated = FixedOffsetZone.instance(s.get('timezoneOffset') ?? 0);
    const there = DateTime.fromObject(
      { year: day.year, month: day.month, day: day.day, hour, minute },
      { zone: stated },
    );
    return { kind: 'exact', start: there.setZone(timeZone) };
  }
  day = day.set({ hour, minute, second: 0, millisecond: 0 });
  return { kind: 'exact', start: day };
}

const PART_OF_DAY_ONLY = /^(in the )?(morning|afternoon|evening|night|tonight)$/;
const DAY_WORDS =
  /\b(today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday|january|february|march|april|may|june|july|august|september|october|november|december|\d{1,2}(st|nd|rd|th))\b/;
const MONTHS = /\b(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b/;

/** "the 25th" with no month → "25th November" (this month, or next if the 25th has passed). */
function withMonthForBareOrdinal(text: string, ref: DateTime): string {
  if (MONTHS.test(text)) return text;
  return text.replace(/\b(?:the\s+)?(\d{1,2})(st|nd|rd|th)\b/, (m, d: string) => {
    const day = Number(d);
    if (day < 1 || day > 31) return m;
    const month = day >= ref.day ? ref : ref.plus({ months: 1 });
    return `${day}${m.slice(m.indexOf(d) + d.length)} ${month.toFormat('MMMM').toLowerCase()}`;
  });
}

function normalise(text: string): string {
  return text
    .toLowerCase()
    .replace(/\bthe day after tomorrow\b|\bday after tomorrow\b/g, 'in 2 days')
    .replace(/\bmid-?day\b/g, 'noon')
    .replace(/\bp\.m\.?/g, 'pm')
    .replace(/\ba\.m\.?/g, 'am')
    .replace(/\s+/g, ' ')
    .trim();
}

function fromComponents(c: ParsedComponents, zone: string): DateTime {
  return DateTime.fromObject(
    {
      year: c.get('year') ?? undefined,
      month: c.get('month') ?? undefined,
      day: c.get('day') ?? undefined,
      hour: c.get('hour') ?? 0,
      minute: c.get('minute') ?? 0,
    },
    { zone },
  );
}

function ordinal(n: number): string {
  const s = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${s}`;
}

/** "Monday 24 November" */
export function spokenDay(dt: DateTime): string {
  // In English whatever the machine's locale (luxon's toFormat would use it), and without a format
  // string parsed and an Intl call per time spoken: a refusal speaks several.
  return `${WEEKDAY_NAMES[dt.weekday - 1]} ${dt.day} ${MONTH_NAMES[dt.month - 1]}`;
}

/** "2 PM", "2:30 PM" */
export function spokenTime(dt: DateTime): string {
  const hour = `${dt.hour % 12 || 12}${dt.minute === 0 ? '' : `:${String(dt.minute).padStart(2, '0')}`}`;
  return `${hour} ${dt.hour < 12 ? 'AM' : 'PM'}`;
}

const MONTH_NAMES = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
] as const;

/** "Monday 24 November at 2 PM" */
export function spokenDateTime(dt: DateTime): string {
  return `${spokenDay(dt)} at ${spokenTime(dt)}`;
}

/** Joins for speech: "a", "a and b", "a, b and c". */
export function spokenList(items: string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}
