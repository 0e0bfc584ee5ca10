import { createRequire } from 'node:module';
import type { Notification } from '../domain/outbox.js';

/** ical-generator, loaded by the first calendar made (a doctor's feed, an email's invitation): not at serve's start. */
const icalLib = () => createRequire(import.meta.url)('ical-generator') as typeof import('ical-generator');

/** The iCalendar UID of an appointment: one per appointment, so a move or a cancellation updates the same event. */
export const appointmentUid = (appointmentId: string) => `${appointmentId}@receptionist`;

/**
 * An appointment notification as an iCalendar object (RFC 5545, built with `ical-generator`) to
 * attach to its email: `METHOD:REQUEST` for a booking or a move, `METHOD:CANCEL` with
 * `STATUS:CANCELLED` for a cancellation; `SEQUENCE` from the time of the change, so a calendar
 * applies them in order. No reason and no contact details are in it.
 */
export function appointmentIcs(n: Notification): string {
  const d = n.data;
  if (!d.start || !d.doctor) throw new Error(`${n.type} has no appointment time`);
  const start = new Date(d.start);
  const cancelled = n.type === 'appointment.cancelled';
  const { default: ical, ICalCalendarMethod, ICalEventStatus } = icalLib();
  const cal = ical({
    prodId: { company: 'receptionist', product: 'receptionist', language: 'EN' },
    name: d.clinic,
    method: cancelled ? ICalCalendarMethod.CANCEL : ICalCalendarMethod.REQUEST,
  });
  cal.createEvent({
    id: appointmentUid(d.id),
    start,
    end: new Date(start.getTime() + (d.durationMinutes ?? 30) * 60_000),
    stamp: new Date(n.timestamp),
    sequence: Math.floor(Date.parse(n.timestamp) / 1000),
    summary: `${d.doctor.name} (${d.doctor.specialty}), ${d.clinic}`,
    description: `Appointment ID ${d.id}`,
    location: d.clinic,
    status: cancelled ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
  });
  return cal.toString();
}

/** One event of a calendar feed or export: what the receptionist role may see (a name, never contact or reason). */
export interface CalendarItem {
  appointmentId: string;
  /** UTC ISO */
  start: string;
  durationMinutes: number;
  doctorName: string;
  specialty: string;
  status: string;
  /** The patient's name where the reader may see it; else absent. */
  patientName?: string;
}

/**
 * Appointments as one iCalendar (RFC 5545, `ical-generator`), `METHOD:PUBLISH`: for `appointments
 * export --ics` and the per-doctor feed Google Calendar, Outlook and Apple Calendar subscribe to.
 * UIDs are the appointments' (`<id>@receptionist`), as in the emails; cancelled ones are
 * `STATUS:CANCELLED`.
 */
export function appointmentsCalendar(
  items: CalendarItem[],
  opts: { name: string; timeZone: string; now: Date },
): string {
  const { default: ical, ICalCalendarMethod, ICalEventStatus } = icalLib();
  const cal = ical({
    prodId: { company: 'receptionist', product: 'receptionist', language: 'EN' },
    name: opts.name,
    method: ICalCalendarMethod.PUBLISH,
    ttl: 15 * 60,
  });
  for (const a of items) {
    const start = new Date(a.start);
    cal.createEvent({
      id: appointmentUid(a.appointmentId),
      start,
      end: new Date(start.getTime() + a.durationMinutes * 60_000),
      stamp: opts.now,
      summary: `${a.patientName ?? `Appointment ${a.appointmentId}`} (${a.doctorName})`,
      description: `Appointment ID ${a.appointmentId}; ${a.specialty}`,
      status: a.status === 'cancelled' ? ICalEventStatus.CANCELLED : ICalEventStatus.CONFIRMED,
    });
  }
  return cal.toString();
}
