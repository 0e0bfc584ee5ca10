import { DateTime } from 'luxon';
import { spokenDateTime, spokenDay, spokenList, spokenTime } from '../../domain/spoken-time.js';
import { toE164, normaliseSpokenEmail } from '../../domain/contact.js';
import { spellOut } from '../../domain/ids.js';
import type { Appointment } from '../../domain/appointments.js';
import { doctors, frontDesk, requireString, resolveTime, sourceKey, type ToolHandler } from './context.js';
import { alternatives, pickDoctors, spokenRefused } from './clinic-common.js';

/** The sentence a booking ends with; the same for a first booking and a redelivery. */
export function confirmation(a: Pick<Appointment, 'doctorName' | 'start' | 'appointmentId'>, zone: string): string {
  return `You're booked with ${a.doctorName} on ${spokenDateTime(DateTime.fromISO(a.start, { zone }))}. Your appointment ID is ${spellOut(a.appointmentId)}.`;
}

/**
 * `book_appointment({ name, email, phone, date, reason, specialty?, doctor? })` → appointment ID.
 * Hold, then confirm: the slot is claimed first (unique per slot, BOOK-1), the patient is
 * recorded, then the hold becomes a booking. A hold this call placed through
 * `check_availability` is confirmed instead of claiming again. One tool call books once (BOOK-2).
 */
export const bookAppointment: ToolHandler = async (args, ctx) => {
  const zone = ctx.config.clinic.timeZone;
  const name = requireString(args, 'name', "the patient's full name");
  const rawEmail = requireString(args, 'email', 'their email address, spelled out');
  const rawPhone = requireString(args, 'phone', 'their phone number');
  const when = requireString(args, 'date', 'the day and time they would like');
  const reason = requireString(args, 'reason', 'the reason for the visit');

  const desk = frontDesk(ctx);
  const key = sourceKey(ctx);
  const earlier = await desk.book.findBySource(key);
  if (earlier?.status === 'confirmed') return confirmation(earlier, zone);

  const email = normaliseSpokenEmail(rawEmail);
  if (!email)
    // Not quoted back: the reply is kept in the reply cache, which holds no patient's data.
    return "That email address doesn't look complete. Could you spell it out again, letter by letter?";
  const phone = toE164(rawPhone, ctx.config.clinic.defaultRegion);
  if (!phone) return "That phone number doesn't look right. Could you say it again, with the country code?";

  const all = await doctors(ctx);
  const picked = pickDoctors(all, args);
  if ('answer' in picked) return picked.answer;
  const time = resolveTime(ctx, when, picked.doctors);
  if (time.kind === 'question') return time.question;
  if (time.kind === 'day') {
    const free = await desk.bookableSlots(picked.doctors, time.day, time.window);
    if (!free.length)
      return `Nothing is free on ${spokenDay(time.day)}. ${await alternatives(desk, picked.doctors, time.day)}`;
    return `What time on ${spokenDay(time.day)}${time.window ? ` ${time.window.label}` : ''}? The first free times are ${spokenList(free.slice(0, 3).map((s) => spokenTime(s.start)))}.`;
  }
  const outcome = await desk.bookAppointment({
    doctors: picked.doctors,
    start: time.start,
    patient: { name, email, phone, reason },
    callId: ctx.callId,
    sourceKey: key,
  });
  if (outcome.kind === 'booked') return confirmation(outcome.appointment, zone);
  return spokenRefused(outcome, picked.doctors, desk.book.horizonDays);
};
