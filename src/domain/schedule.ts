import { DateTime } from 'luxon';
import './zone-offsets.js';
import { WEEKDAY_NAMES, WEEKDAYS, type Doctor } from './clinic.js';
import type { OpenWindow } from './spoken-time.js';
import { awayOn, slotLength } from './doctors.js';

/** "HH:MM" as minutes after midnight; remembered (at most the 1,441 times of a day, "24:00" too). */
function minutes(hhmm: string): number {
  let n = minutesOf.get(hhmm);
  if (n === undefined) {
    const [h, m] = hhmm.split(':').map(Number);
    n = (h ?? 0) * 60 + (m ?? 0);
    if (minutesOf.size < 1_441) minutesOf.set(hhmm, n);
  }
  return n;
}
const minutesOf = new Map<string, number>();

/**
 * The doctor's slot start times on `day` (a DateTime in the clinic zone), every `slotMinutes`
 * (the clinic's; a doctor's own `slotMinutes` wins); none on a day of leave or a holiday.
 * The result is shared (DateTimes are immutable; do not change the array): the same day's slots
 * are asked for again and again while alternatives are searched, and each start costs a time-zone
 * offset lookup (Intl), so recent days are remembered by their hours, zone and date.
 */
export function slotsOnDay(doctor: Doctor, day: DateTime, clinicSlotMinutes: number): readonly DateTime[] {
  const ranges = doctor.weeklyHours[WEEKDAYS[day.weekday - 1]!] ?? [];
  if (!ranges.length) return [];
  const date = isoDate(day);
  if (doctor.leave?.length && awayOn(doctor, date)) return [];
  const slotMinutes = slotLength(doctor, clinicSlotMinutes);
  let hours = hoursKeys.get(ranges);
  if (hours === undefined) hoursKeys.set(ranges, (hours = ranges.flat().join(',')));
  const key = `${day.zoneName}|${date}|${slotMinutes}|${hours}`;
  const known = slotCache.get(key);
  if (known) return known;
  const start = day.startOf('day');
  const out: DateTime[] = [];
  for (const [from, to] of ranges) {
    for (let m = minutes(from); m + slotMinutes <= minutes(to); m += slotMinutes) out.push(start.plus({ minutes: m }));
  }
  if (slotCache.size >= SLOT_CACHE_DAYS) slotCache.delete(slotCache.keys().next().value!);
  slotCache.set(key, out);
  return out;
}

// A slot search asks for the same days (bookableDays' DateTimes) and the same doctor's hours again
// and again: their key parts are remembered by object, never recomputed per slot search.
const isoDates = new WeakMap<DateTime, string>();
const isoDate = (day: DateTime): string => {
  let d = isoDates.get(day);
  if (d === undefined) isoDates.set(day, (d = day.toISODate()!));
  return d;
};
const hoursKeys = new WeakMap<object, string>();

/** Days of slots {@link slotsOnDay} remembers (a few doctors' hours over the booking horizon and more). */
const SLOT_CACHE_DAYS = 4_096;
const slotCache = new Map<string, readonly DateTime[]>();

/** True when `start` begins one of the doctor's slots. */
export function isSlotStart(doctor: Doctor, start: DateTime, slotMinutes: number): boolean {
  return slotsOnDay(doctor, start, slotMinutes).some((s) => s.toMillis() === start.toMillis());
}

/** The earliest opening and latest closing across all doctors, minutes after midnight. */
export function openWindow(doctors: Doctor[]): OpenWindow {
  let from = 24 * 60;
  let to = 0;
  for (const d of doctors) {
    for (const ranges of Object.values(d.weeklyHours)) {
      for (const [a, b] of ranges ?? []) {
        from = Math.min(from, minutes(a));
        to = Math.max(to, minutes(b));
      }
    }
  }
  return from < to ? { from, to } : { from: 9 * 60, to: 18 * 60 };
}

/** Days of the week the doctor works, e.g. ["Monday", "Wednesday"]. */
export function workingDays(doctor: Doctor): string[] {
  return WEEKDAYS.flatMap((w, i) => ((doctor.weeklyHours[w]?.length ?? 0) > 0 ? [WEEKDAY_NAMES[i]!] : []));
}

/** Key of one doctor's slot, unique among active appointments: `<doctorId>|<start UTC ISO>`. */
export function slotKey(doctorId: string, start: DateTime): string {
  // The same text as `start.toUTC().toISO()`, without making a DateTime (each costs a zone lookup).
  return `${doctorId}|${new Date(start.toMillis()).toISOString()}`;
}

/** Doctors matching a requested name or speciality (loose: "cardiologist" finds cardiology). */
export function matchDoctors(doctors: Doctor[], opts: { doctor?: string; specialty?: string }): Doctor[] {
  const norm = (s: string) =>
    s
      .toLowerCase()
      .replace(/\bdr\.?\s*/g, '')
      .replace(/[^a-z ]/g, '')
      .trim();
  if (opts.doctor && norm(opts.doctor)) {
    const want = norm(opts.doctor).split(' ').filter(Boolean);
    return doctors.filter((d) =>
      want.every((w) =>
        norm(d.name)
          .split(' ')
          .some((n) => n.startsWith(w) || w.startsWith(n)),
      ),
    );
  }
  if (opts.specialty && norm(opts.specialty)) {
    const stem = (s: string) =>
      norm(s)
        .replace(/(ist|ists|y|ic|ics|ian|ians)$/, '')
        .slice(0, 7);
    const want = stem(opts.specialty);
    return doctors.filter((d) => {
      const have = stem(d.specialty);
      return have.startsWith(want) || want.startsWith(have) || norm(d.specialty).includes(norm(opts.specialty!));
    });
  }
  return doctors;
}

/** The days a clinic books, as {@link bookableDays} gives them. */
export interface BookableDays {
  /** Starts of day in the clinic's zone, today first. */
  list: DateTime[];
  /** Index in `list` by ISO date. */
  index: Map<string, number>;
  /** The last moment of the last day: a time after it is past the booking horizon. */
  end: DateTime;
}

/**
 * Today and the following `horizonDays` days (starts of day in the clinic's zone) with their ISO
 * dates, made once per day and zone: searching a full calendar walks them all, and each DateTime
 * made costs a time-zone offset lookup.
 */
export function bookableDays(now: DateTime, horizonDays: number): BookableDays {
  const key = `${now.zoneName}|${now.toISODate()}|${horizonDays}`;
  let days = dayLists.get(key);
  if (!days) {
    const today = now.startOf('day');
    const list = Array.from({ length: horizonDays + 1 }, (_, i) => today.plus({ days: i }));
    days = { list, index: new Map(list.map((d, i) => [d.toISODate()!, i])), end: list.at(-1)!.endOf('day') };
    if (dayLists.size >= 8) dayLists.delete(dayLists.keys().next().value!);
    dayLists.set(key, days);
  }
  return days;
}
const dayLists = new Map<string, BookableDays>();

/** The `n` of `found` nearest to `target` (the earlier of two as near), each time once, in time order. */
export function nearestOf(
  found: Array<{ doctor: Doctor; start: DateTime }>,
  target: DateTime,
  n: number,
): Array<{ doctor: Doctor; start: DateTime }> {
  const dist = (s: DateTime) => Math.abs(s.toMillis() - target.toMillis());
  const seen = new Set<number>();
  return found
    .sort((a, b) => dist(a.start) - dist(b.start) || a.start.toMillis() - b.start.toMillis())
    .filter((s) => !seen.has(s.start.toMillis()) && seen.add(s.start.toMillis()))
    .slice(0, n)
    .sort((a, b) => a.start.toMillis() - b.start.toMillis());
}
