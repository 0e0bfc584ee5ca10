import type { DateTime } from 'luxon';
import type { Doctor } from '../../domain/clinic.js';
import { spokenDateTime, spokenDay, spokenList, spokenTime } from '../../domain/spoken-time.js';
import { doctors, frontDesk, requireString, resolveTime, type ToolHandler } from './context.js';
import { alternatives, pickDoctors, refusal } from './clinic-common.js';

/**
 * `check_availability({ date, specialty?, doctor? })`. For an exact time that is free, the slot
 * is held for this call for the clinic's `holdMinutes`, so it is still there when the caller
 * has spelled out their details; `book_appointment` in the same call confirms that hold.
 */
export const checkAvailability: ToolHandler = async (args, ctx) => {
  const when = requireString(args, 'date', 'the day and time they would like');
  const all = await doctors(ctx);
  const picked = pickDoctors(all, args);
  if ('answer' in picked) return picked.answer;
  const time = resolveTime(ctx, when, picked.doctors);
  if (time.kind === 'question') return time.question;
  const desk = frontDesk(ctx);
  const bookings = desk.book;
  const many = picked.doctors.length > 1;

  if (time.kind === 'day') {
    const free = await desk.bookableSlots(picked.doctors, time.day, time.window);
    const part = time.window ? ` ${time.window.label}` : '';
    if (!free.length) {
      return `Nothing is free on ${spokenDay(time.day)}${part}. ${await alternatives(desk, picked.doctors, time.day.set({ hour: 9 }))}`;
    }
    const shown = free.slice(0, 4);
    return `On ${spokenDay(time.day)}${part} I have ${timesOfDay(shown, many)}${free.length > shown.length ? ', and more later that day' : ''}. Which time suits you?`;
  }

  const refused = refusal(ctx, desk, picked.doctors, time.start);
  if (refused) return `${refused} ${await alternatives(desk, picked.doctors, time.start)}`;
  for (const doctor of picked.doctors.filter((d) => bookings.isBookable(d, time.start))) {
    if (await bookings.heldBy(ctx.callId, doctor, time.start)) {
      return `Yes, ${spokenDateTime(time.start)} with ${doctor.name} is held for you.`;
    }
    if (!ctx.callId) {
      const taken = await bookings.occupied([doctor._id], time.start, time.start.plus({ minutes: 1 }));
      if (!taken.size) return `Yes, ${doctor.name} is free on ${spokenDateTime(time.start)}.`;
      continue;
    }
    const claim = await bookings.hold(doctor, time.start, { holdOwner: ctx.callId, callId: ctx.callId });
    if (claim.ok) {
      return `Yes, ${doctor.name} is free on ${spokenDateTime(time.start)}. I've held it for you for ${ctx.config.clinic.holdMinutes} minutes.`;
    }
  }
  return `${spokenDateTime(time.start)} is already taken. ${await alternatives(desk, picked.doctors, time.start)}`;
};

/** "10 AM, 10:30 AM and 11 AM", or per doctor: "10 AM with Dr. Rao and 2 PM with Dr. Mehta". */
function timesOfDay(slots: Array<{ doctor: Doctor; start: DateTime }>, multipleDoctors: boolean): string {
  const byDoctor = new Map<string, { doctor: Doctor; times: string[] }>();
  for (const s of slots) {
    const entry = byDoctor.get(s.doctor._id) ?? { doctor: s.doctor, times: [] };
    entry.times.push(spokenTime(s.start));
    byDoctor.set(s.doctor._id, entry);
  }
  if (!multipleDoctors || byDoctor.size === 1) {
    const only = [...byDoctor.values()][0]!;
    return `${spokenList(only.times)}${multipleDoctors ? ` with ${only.doctor.name}` : ''}`;
  }
  return spokenList([...byDoctor.values()].map((e) => `${spokenList(e.times)} with ${e.doctor.name}`));
}
