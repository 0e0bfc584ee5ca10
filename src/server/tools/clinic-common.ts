import type { DateTime } from 'luxon';
import type { Doctor } from '../../domain/clinic.js';
import { matchDoctors } from '../../domain/schedule.js';
import { whyUnbookable, type Unbookable } from '../../domain/booking.js';
import { spokenDateTime, spokenList, spokenTime, spokenDay } from '../../domain/spoken-time.js';
import type { FrontDesk, FreeSlot, Refused } from '../../domain/front-desk.js';
import { optionalString, type ToolContext } from './context.js';

/** Doctors a request names (by doctor or speciality), or a spoken reason why there are none. */
export function pickDoctors(all: Doctor[], args: Record<string, unknown>): { doctors: Doctor[] } | { answer: string } {
  const doctor = optionalString(args, 'doctor');
  const specialty = optionalString(args, 'specialty');
  const found = matchDoctors(all, { doctor, specialty });
  if (found.length) return { doctors: found };
  const specialities = [...new Set(all.map((d) => d.specialty))].sort();
  if (doctor)
    return {
      answer: `We don't have a doctor called ${doctor}. Our doctors are ${spokenList(all.map((d) => `${d.name}, ${d.specialty}`))}.`,
    };
  return { answer: `We don't have ${specialty} at this clinic. We have ${spokenList(specialities)}.` };
}

/** "Dr. Rao at 10 AM or 10:30 AM on Monday 24 November; Dr. Mehta at 2 PM on Tuesday…" */
export function describeSlots(slots: Array<{ doctor: Doctor; start: DateTime }>, multipleDoctors: boolean): string {
  return spokenList(
    slots.map((s) => (multipleDoctors ? `${spokenDateTime(s.start)} with ${s.doctor.name}` : spokenDateTime(s.start))),
  );
}

/** The sentence offering these free times after a refusal, or the honest lack of them. */
export function spokenNearest(near: FreeSlot[], doctors: Doctor[], horizonDays: number): string {
  if (!near.length) return `I have no free times in the ${horizonDays} days I can book ahead.`;
  return `The nearest free times are ${describeSlots(near, doctors.length > 1 && new Set(near.map((s) => s.doctor._id)).size > 1)}.`;
}

/** {@link spokenNearest} of the free times nearest to `target`. */
export async function alternatives(desk: FrontDesk, doctors: Doctor[], target: DateTime): Promise<string> {
  return spokenNearest(await desk.nearestFree(doctors, target), doctors, desk.book.horizonDays);
}

/** A refused booking or move as said to a caller: why, then the nearest free times. */
export function spokenRefused(r: Refused, doctors: Doctor[], horizonDays: number): string {
  const why =
    r.refusal.kind === 'taken'
      ? `Sorry, ${spokenDateTime(r.start)} is already taken.`
      : spokenRefusal(r.refusal, r.start);
  return `${why} ${spokenNearest(r.nearest, doctors, horizonDays)}`;
}

/** Why `start` cannot be booked with these doctors before even looking at the calendar, if it can't, as said to a caller. */
export function refusal(ctx: ToolContext, desk: FrontDesk, doctors: Doctor[], start: DateTime): string | undefined {
  const why = whyUnbookable(desk.book, ctx.config.clinic, ctx.now(), doctors, start);
  return why && spokenRefusal(why, start);
}

/** An {@link Unbookable} as one spoken sentence. */
export function spokenRefusal(why: Unbookable, start: DateTime): string {
  switch (why.kind) {
    case 'past':
      return `${spokenDateTime(start)} has already passed.`;
    case 'beyond-horizon':
      return `I can only book up to ${why.days} days ahead.`;
    case 'holiday':
      return `The clinic is closed on ${spokenDay(start)} for ${why.name}.`;
    case 'away':
      return `${why.doctors.length === 1 ? `${why.doctors[0]!.name} is` : 'Those doctors are'} away on ${spokenDay(start)}.`;
    case 'between-slots':
      return `Appointments start every ${why.minutes} minutes, and ${spokenTime(start)} is not one of those times.`;
    case 'not-working':
      return `${why.doctors.length === 1 ? `${why.doctors[0]!.name} doesn't see` : 'None of those doctors sees'} patients at ${spokenTime(start)} on ${spokenDay(start)}.`;
  }
}
