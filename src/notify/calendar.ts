import ical, { ICalCalendarMethod, ICalEventStatus } from 'ical-generator';
import type { Notification } from '../domain/outbox.js';

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
