import { DateTime } from 'luxon';
import type { Store } from '../store/types.js';
import { documentProblem } from '../store/schemas.js';
import { WEEKDAYS, type Doctor, type Leave, type Weekday } from './clinic.js';
import { matchDoctors } from './schedule.js';

/** A doctor, hours, leave or holiday the front desk gave that cannot be used; the message says why. */
export class DoctorInputError extends Error {
  constructor(
    message: string,
    /** Doctors a name matched, when it matched more than one. */
    readonly candidates?: Doctor[],
  ) {
    super(message);
    this.name = 'DoctorInputError';
  }
}

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
const padTime = (t: string) => (/^\d{1,2}$/.test(t) ? `${t.padStart(2, '0')}:00` : /^\d:/.test(t) ? `0${t}` : t);

/**
 * Weekly hours from the front desk's notation: `;`-separated groups of days and time ranges,
 * e.g. `mon-fri 09:00-13:00,14:00-17:00; sat 10:00-12:00` (days `mon`…`sun`, a range `mon-fri`
 * or a list `mon,wed`; times 24-hour `HH:MM`, each range from < to, none overlapping).
 * @returns `{ mon: [["09:00","13:00"],["14:00","17:00"]], … }` (the shape of {@link Doctor.weeklyHours})
 * @throws DoctorInputError naming the part that cannot be read
 */
export function parseWeeklyHours(spec: string): Doctor['weeklyHours'] {
  const out: Doctor['weeklyHours'] = {};
  const groups = spec
    .split(';')
    .map((g) => g.trim())
    .filter(Boolean);
  if (!groups.length) throw new DoctorInputError('No hours given.');
  for (const group of groups) {
    const m = /^([a-z,-]+)\s+(.+)$/i.exec(group);
    if (!m) throw new DoctorInputError(`Cannot read "${group}": give days then times, e.g. "mon-fri 09:00-13:00".`);
    const days = parseDays(m[1]!.toLowerCase(), group);
    const ranges = m[2]!.split(',').map((r) => {
      const [from, to, extra] = r
        .trim()
        .split('-')
        .map((t) => padTime(t.trim()));
      if (!from || !to || extra !== undefined || !HHMM.test(from) || !HHMM.test(to))
        throw new DoctorInputError(`Cannot read the time range "${r.trim()}" in "${group}": use HH:MM-HH:MM.`);
      if (minutes(from) >= minutes(to))
        throw new DoctorInputError(`The range ${from}-${to} in "${group}" ends before it starts.`);
      return [from, to] as [string, string];
    });
    for (const day of days) {
      const all = [...(out[day] ?? []), ...ranges].sort((a, b) => minutes(a[0]) - minutes(b[0]));
      for (let i = 1; i < all.length; i++)
        if (minutes(all[i]![0]) < minutes(all[i - 1]![1]))
          throw new DoctorInputError(`On ${day}, ${all[i - 1]!.join('-')} and ${all[i]!.join('-')} overlap.`);
      out[day] = all;
    }
  }
  return out;
}

function parseDays(text: string, group: string): Weekday[] {
  const known = (d: string) => (WEEKDAYS as readonly string[]).includes(d);
  const out = new Set<Weekday>();
  for (const part of text.split(',').filter(Boolean)) {
    const [a, b, extra] = part.split('-');
    if (!a || !known(a) || (b !== undefined && !known(b)) || extra !== undefined)
      throw new DoctorInputError(
        `Cannot read the days "${part}" in "${group}": use mon, tue, … sun, or a range mon-fri.`,
      );
    const from = WEEKDAYS.indexOf(a as Weekday);
    const to = b === undefined ? from : WEEKDAYS.indexOf(b as Weekday);
    if (to < from) throw new DoctorInputError(`The days "${part}" in "${group}" run backwards.`);
    for (let i = from; i <= to; i++) out.add(WEEKDAYS[i]!);
  }
  return [...out];
}

/** {@link parseWeeklyHours}'s notation back: `mon-tue 09:00-13:00,14:00-17:00; wed 09:00-13:00`. */
export function formatWeeklyHours(hours: Doctor['weeklyHours']): string {
  const groups: Array<{ days: Weekday[]; ranges: string }> = [];
  for (const day of WEEKDAYS) {
    const r = hours[day];
    if (!r?.length) continue;
    const ranges = r.map(([a, b]) => `${a}-${b}`).join(',');
    const last = groups.at(-1);
    const prev = last?.days.at(-1);
    if (last && last.ranges === ranges && prev && WEEKDAYS.indexOf(prev) === WEEKDAYS.indexOf(day) - 1)
      last.days.push(day);
    else groups.push({ days: [day], ranges });
  }
  return groups.map((g) => `${g.days.length > 1 ? `${g.days[0]}-${g.days.at(-1)}` : g.days[0]} ${g.ranges}`).join('; ');
}

/**
 * A day or an inclusive range of days, `2026-12-24` or `2026-12-24..2026-12-26` (ISO 8601 dates in
 * the clinic's zone). @throws DoctorInputError
 */
export function parseDayRange(text: string): { from: string; to: string } {
  const [from, to = from, extra] = text.trim().split('..');
  const valid = (d: string | undefined) => !!d && /^\d{4}-\d\d-\d\d$/.test(d) && DateTime.fromISO(d).isValid;
  if (extra !== undefined || !valid(from) || !valid(to))
    throw new DoctorInputError(`Cannot read the days "${text}": use 2026-12-24 or 2026-12-24..2026-12-26.`);
  if (to! < from!) throw new DoctorInputError(`The days ${text} run backwards.`);
  return { from: from!, to: to! };
}

/** The leave or holiday that keeps the doctor away on `isoDate` (clinic zone), if any. */
export function awayOn(doctor: Pick<Doctor, 'leave'>, isoDate: string): Leave | undefined {
  return doctor.leave?.find((l) => l.from <= isoDate && isoDate <= l.to);
}

/** A doctor's slot length, minutes: their own, else the clinic's. */
export const slotLength = (doctor: Pick<Doctor, 'slotMinutes'>, clinicMinutes: number) =>
  doctor.slotMinutes ?? clinicMinutes;

/**
 * The doctors as the tools and the front desk see them, by name: each with the clinic's holidays
 * added to their leave (`holiday` set), so a slot search skips both. A doctor or holiday record that
 * fails validation is left out (one bad record must not break every search); `preflight` names it.
 * A change made while `serve` runs is seen by the next call: the doctors are kept (frozen, shared by
 * every caller; the array is each caller's own) only while the store says neither collection
 * changed (`Collection.changes`).
 * @throws StoreUnavailableError
 */
export async function clinicDoctors(store: Store): Promise<Doctor[]> {
  const doctors = store.collection('doctors');
  const holidaysCol = store.collection('holidays');
  const changes = await Promise.all([doctors.changes(), holidaysCol.changes()]);
  const version = changes.every((c) => c) ? changes.map((c) => c!.version).join('/') : undefined;
  const seen = keptDoctors.get(doctors);
  if (version !== undefined && seen?.version === version) return [...seen.list];
  const [all, holidays] = await Promise.all([
    doctors.find({}, { sort: { name: 1 } }),
    holidaysCol.find({}, { sort: { from: 1 } }),
  ]);
  const closed: Leave[] = holidays
    .filter((h) => !documentProblem('holidays', h))
    .map((h) => ({ from: h.from, to: h.to, holiday: h.name }));
  const list = all
    .filter((d) => !documentProblem('doctors', d))
    .map((d) => Object.freeze(closed.length ? { ...d, leave: [...(d.leave ?? []), ...closed] } : d));
  if (version !== undefined) keptDoctors.set(doctors, { version, list });
  return [...list];
}

/** {@link clinicDoctors}' last answer per doctors collection, with the versions it was read at. */
const keptDoctors = new WeakMap<object, { version: string; list: Doctor[] }>();

/**
 * The one doctor `ref` names: an id (`dr-rao`), else a name or a part of it ("Rao", "Dr. Priya Rao").
 * @throws DoctorInputError when none or several match (with the candidates)
 */
export function findDoctor(all: Doctor[], ref: string): Doctor {
  const byId = all.find((d) => d._id === ref);
  if (byId) return byId;
  const found = matchDoctors(all, { doctor: ref });
  if (found.length === 1) return found[0]!;
  if (!found.length) throw new DoctorInputError(`No doctor "${ref}".`, all);
  throw new DoctorInputError(`"${ref}" matches ${found.length} doctors.`, found);
}

/** An id for a new doctor from the name: "Dr. Meera Iyer" → `dr-iyer` (`dr-meera-iyer` when taken, then a number). */
export function doctorIdFor(name: string, taken: Set<string>): string {
  const words = name
    .toLowerCase()
    .replace(/\bdr\.?\s*/g, '')
    .normalize('NFKD')
    .replace(/[^a-z0-9 ]/g, '')
    .split(/\s+/)
    .filter(Boolean);
  const candidates = [`dr-${words.at(-1) ?? 'doctor'}`, `dr-${words.join('-') || 'doctor'}`];
  for (const c of candidates) if (!taken.has(c)) return c;
  for (let n = 2; ; n++) if (!taken.has(`${candidates[1]}-${n}`)) return `${candidates[1]}-${n}`;
}
