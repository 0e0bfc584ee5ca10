import { DateTime } from 'luxon';
import type { Doctor, Leave } from '../../domain/clinic.js';
import { parseDayRange } from '../../domain/doctors.js';
import type { Appointment } from '../../domain/appointments.js';
import type { Store } from '../../store/types.js';
import { UsageError } from '../../errors.js';
import { pickDoctor } from '../shared/front-desk.js';
import { toUserError } from '../shared/user-errors.js';

// What the doctors, leave and holidays commands share: the stored doctors, coming appointments,
// and the day flags.

/** `fn`, a domain input error thrown as the user sees it (exit 2), so that a parse fails before anything opens. */
export const attempt = <T>(fn: () => T): T => {
  try {
    return fn();
  } catch (err) {
    throw toUserError(err);
  }
};

export const doctorsOf = (store: Store) => store.collection('doctors');

/** The stored doctor `ref` names (without holidays merged). @throws UsageError */
export async function stored(store: Store, ref: string): Promise<Doctor> {
  const all = await doctorsOf(store).find({}, { sort: { name: 1 } });
  return pickDoctor(all, ref);
}

/** Coming confirmed appointments, optionally of one doctor in [from, to] (ISO dates, clinic zone). */
export async function coming(
  store: Store,
  zone: string,
  now: Date,
  opts: { doctorId?: string; days?: { from: string; to: string } } = {},
): Promise<Appointment[]> {
  const startMs: Record<string, number> = { $gt: now.getTime() };
  if (opts.days) {
    startMs.$gte = Math.max(now.getTime() + 1, DateTime.fromISO(opts.days.from, { zone }).toMillis());
    startMs.$lt = DateTime.fromISO(opts.days.to, { zone }).plus({ days: 1 }).toMillis();
  }
  return store
    .collection('appointments')
    .find(
      { ...(opts.doctorId ? { doctorId: opts.doctorId } : {}), status: 'confirmed', startMs },
      { sort: { startMs: 1 } },
    );
}

/** `APPT1 (Fri 24 Dec 10:00)` for a warning or refusal: ids and times, no patient data. */
export const brief = (a: Appointment, zone: string) =>
  `${a.appointmentId} (${DateTime.fromMillis(a.startMs, { zone }).toFormat('ccc d LLL HH:mm')}, ${a.doctorName})`;

/** `--slot-minutes`: whole minutes 5–240, or `clinic` (null: the clinic's length). @throws UsageError */
export function parseSlotMinutes(v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'clinic') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 5 || n > 240)
    throw new UsageError(`Invalid --slot-minutes "${v}".`, 'Give whole minutes from 5 to 240, or "clinic".');
  return n;
}

/** `2026-12-24..2026-12-26 (conference)` */
export const leaveText = (l: Leave) =>
  `${l.from === l.to ? l.from : `${l.from}..${l.to}`}${l.note ? ` (${l.note})` : ''}`;

/** A change of a doctor, as `--json` prints it. */
export interface DoctorChange {
  action: string;
  doctor: Doctor;
  /** Coming appointments the change leaves outside the doctor's hours or on their leave (kept). */
  outsideHours?: string[];
  booked?: string[];
}

/** A day or an inclusive range of days (`2026-12-24..2026-12-26`). @throws UsageError */
export const parseDays = (v: string) => attempt(() => parseDayRange(v));
/** One day, not a range. @throws UsageError */
export const parseFirstDay = (v: string) => {
  const d = parseDays(v);
  if (d.from !== d.to) throw new UsageError(`Give the first day only (${d.from}), not a range.`);
  return d.from;
};
