import { DateTime } from 'luxon';
import type { Appointment } from '../../domain/appointments.js';
import { normaliseSpokenId, spellOut } from '../../domain/ids.js';
import { spokenDateTime } from '../../domain/spoken-time.js';
import type { RecordOwner } from '../../domain/access.js';
import { frontDesk, optionalString, requireString, type ToolHandler } from './context.js';
import { verifyCaller } from './verify-caller.js';

/**
 * `cancel_appointment({ appointmentId, reason?, patientName?, appointmentDate? })`, under the
 * access rule: the caller's number is the appointment's, or the name and date match.
 */
export const cancelAppointment: ToolHandler = async (args, ctx) => {
  const zone = ctx.config.clinic.timeZone;
  const id = normaliseSpokenId(requireString(args, 'appointmentId', 'their appointment ID'));
  const desk = frontDesk(ctx);
  const existing = await desk.book.find(id);
  const access = await verifyCaller(ctx, appointmentOwner(existing, zone), args, {
    kind: 'appointment',
    spoken: spellOut(id),
  });
  if ('answer' in access) return access.answer;
  if (existing?.status !== 'confirmed') return explainMissing(id, existing, zone);
  const done = await desk.cancel(existing, optionalString(args, 'reason'));
  if (done.kind === 'unchangeable') return explainMissing(id, done.found, zone);
  return `Your appointment with ${existing.doctorName} on ${spokenDateTime(DateTime.fromISO(existing.start, { zone }))} is cancelled.`;
};

/** What the access rule checks a caller against; a hold or an expired hold is no appointment to act on. */
export function appointmentOwner(a: Appointment | null, zone: string): RecordOwner | null {
  if (!a || a.status === 'held' || a.status === 'expired') return null;
  return {
    phoneIndex: a.phoneIndex,
    nameIndex: a.nameIndex,
    name: a.patientName,
    day: DateTime.fromISO(a.start, { zone }).toISODate()!,
  };
}

/** Why an appointment ID cannot be changed: unknown, cancelled, already moved, or only a hold. */
export function explainMissing(id: string, found: Appointment | null, zone: string): string {
  if (!found || found.status === 'held' || found.status === 'expired') {
    return `I couldn't find an appointment with ID ${spellOut(id) || 'you gave'}. Could you read the ID to me again, one character at a time?`;
  }
  const when = spokenDateTime(DateTime.fromISO(found.start, { zone }));
  if (found.status === 'cancelled') return `The appointment ${spellOut(id)} on ${when} is already cancelled.`;
  if (found.status === 'rescheduled' && found.rescheduledTo) {
    return `The appointment ${spellOut(id)} was moved; its new ID is ${spellOut(found.rescheduledTo)}.`;
  }
  return `The appointment ${spellOut(id)} can't be changed any more.`;
}
