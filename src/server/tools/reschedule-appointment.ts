import { DateTime } from 'luxon';
import { normaliseSpokenId, spellOut } from '../../domain/ids.js';
import { spokenDateTime, spokenDay, spokenList, spokenTime } from '../../domain/spoken-time.js';
import { frontDesk, requireString, resolveTime, type ToolHandler } from './context.js';
import { alternatives, spokenRefused } from './clinic-common.js';
import { appointmentOwner, explainMissing } from './cancel-appointment.js';
import { verifyCaller } from './verify-caller.js';

/**
 * `reschedule_appointment({ appointmentId, date, patientName?, appointmentDate? })`: same doctor,
 * new time, the same appointment ID; under the access rule, as `cancel_appointment`.
 */
export const rescheduleAppointment: ToolHandler = async (args, ctx) => {
  const zone = ctx.config.clinic.timeZone;
  const id = normaliseSpokenId(requireString(args, 'appointmentId', 'their appointment ID'));
  const when = requireString(args, 'date', 'the new day and time');
  const desk = frontDesk(ctx);
  const current = await desk.book.find(id);
  const access = await verifyCaller(ctx, appointmentOwner(current, zone), args, {
    kind: 'appointment',
    spoken: spellOut(id),
  });
  if ('answer' in access) return access.answer;
  if (!current || current.status !== 'confirmed') return explainMissing(id, current, zone);
  const doctor = await desk.doctorOf(current);
  if (!doctor)
    return `${current.doctorName} no longer works at the clinic, so I can't move this appointment. Shall I cancel it and book with another doctor?`;
  const time = resolveTime(ctx, when, [doctor]);
  if (time.kind === 'question') return time.question;
  if (time.kind === 'day') {
    const free = await desk.bookableSlots([doctor], time.day, time.window);
    if (!free.length)
      return `${doctor.name} has nothing free on ${spokenDay(time.day)}. ${await alternatives(desk, [doctor], time.day)}`;
    return `What time on ${spokenDay(time.day)}? ${doctor.name} is free at ${spokenList(free.slice(0, 3).map((s) => spokenTime(s.start)))}.`;
  }
  const result = await desk.reschedule(current, doctor, time.start);
  switch (result.kind) {
    case 'moved':
      return moved(doctor.name, result.appointment.start, result.appointment.appointmentId, zone);
    case 'same-time':
      return `Your appointment is already on ${spokenDateTime(time.start)}.`;
    case 'doctor-gone':
      return `${current.doctorName} no longer works at the clinic, so I can't move this appointment. Shall I cancel it and book with another doctor?`;
    case 'unchangeable':
      return explainMissing(id, result.found, zone);
    case 'refused':
      return spokenRefused(result, [doctor], desk.book.horizonDays);
  }
};

function moved(doctorName: string, startIso: string, id: string, zone: string): string {
  return `Done. Your appointment with ${doctorName} is now on ${spokenDateTime(DateTime.fromISO(startIso, { zone }))}. Your appointment ID stays ${spellOut(id)}.`;
}
