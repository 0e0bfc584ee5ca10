import type { DateTime } from 'luxon';
import type { Doctor } from '../../domain/clinic.js';
import { matchDoctors, slotsOnDay } from '../../domain/schedule.js';
import { awayOn, slotLength } from '../../domain/doctors.js';
import { spokenDateTime, spokenList, spokenTime, spokenDay } from '../../domain/spoken-time.js';
import type { AppointmentBook } from '../../domain/appointments.js';
import { optionalString, type ToolContext, nowInClinic } from './context.js';

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

/** The sentence offering alternatives after a refusal, or the honest lack of them. */
export async function alternatives(bookings: AppointmentBook, doctors: Doctor[], target: DateTime): Promise<string> {
  const near = await bookings.nearestFree(doctors, target);
  if (!near.length) return `I have no free times in the ${bookings.horizonDays} days I can book ahead.`;
  return `The nearest free times are ${describeSlots(near, doctors.length > 1 && new Set(near.map((s) => s.doctor._id)).size > 1)}.`;
}

/** Why `start` cannot be booked with these doctors before even looking at the calendar, if it can't. */
export function refusal(
  ctx: ToolContext,
  bookings: AppointmentBook,
  doctors: Doctor[],
  start: DateTime,
): string | undefined {
  const now = nowInClinic(ctx);
  if (start <= now) return `${spokenDateTime(start)} has already passed.`;
  if (start > now.plus({ days: ctx.config.clinic.bookingHorizonDays })) {
    return `I can only book up to ${ctx.config.clinic.bookingHorizonDays} days ahead.`;
  }
  if (!doctors.some((d) => bookings.isBookable(d, start))) {
    // Every doctor asked for is on leave that day, or the clinic is closed (a holiday).
    const away = doctors.map((d) => awayOn(d, start.toISODate()!));
    if (away.every(Boolean)) {
      const holiday = away.find((l) => l!.holiday)?.holiday;
      if (holiday) return `The clinic is closed on ${spokenDay(start)} for ${holiday}.`;
      return `${doctors.length === 1 ? `${doctors[0]!.name} is` : 'Those doctors are'} away on ${spokenDay(start)}.`;
    }
    // Within a doctor's hours, but between two appointment times ("12:15"): the nearest ones follow.
    const clinicSlot = ctx.config.clinic.slotMinutes;
    const between = doctors.find((d) =>
      slotsOnDay(d, start.startOf('day'), clinicSlot).some(
        (s) => s < start && start < s.plus({ minutes: slotLength(d, clinicSlot) }),
      ),
    );
    if (between)
      return `Appointments start every ${slotLength(between, clinicSlot)} minutes, and ${spokenTime(start)} is not one of those times.`;
    const who = doctors.length === 1 ? `${doctors[0]!.name} doesn't see` : 'None of those doctors sees';
    return `${who} patients at ${spokenTime(start)} on ${spokenDay(start)}.`;
  }
  return undefined;
}
