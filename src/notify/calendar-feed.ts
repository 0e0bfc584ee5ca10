import { timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/types.js';
import type { ClinicSettings, Doctor } from '../domain/clinic.js';
import type { FieldSealer } from '../domain/sealer.js';
import { openContact } from '../domain/outbox.js';
import { slotLength } from '../domain/doctors.js';
import { appointmentsCalendar, type CalendarItem } from './calendar.js';

/** How far back a feed reaches, days (calendars keep what they fetched before). */
export const FEED_PAST_DAYS = 30;

/** The path of a doctor's feed under serve's public URL: `/calendars/<doctor id>/<token>.ics`. */
export function feedPath(doctor: Pick<Doctor, '_id' | 'feedVersion'>, sealer: FieldSealer): string {
  return `/calendars/${encodeURIComponent(doctor._id)}/${sealer.feedToken(doctor._id, doctor.feedVersion ?? 1)}.ics`;
}

/**
 * A doctor's calendar feed, or undefined when the doctor or token is unknown (the
 * same answer for both, so the URL reveals nothing): their confirmed and cancelled appointments from
 * {@link FEED_PAST_DAYS} ago to the booking horizon, each with the patient's name where serve may read
 * it (the contact card of a coming appointment), never contact details or the reason.
 */
export async function doctorFeed(
  store: Store,
  sealer: FieldSealer,
  clinic: ClinicSettings,
  now: Date,
  doctorId: string,
  token: string,
): Promise<string | undefined> {
  const doctor = await store.collection('doctors').findOne({ _id: doctorId });
  if (!doctor) return undefined;
  const expected = Buffer.from(sealer.feedToken(doctor._id, doctor.feedVersion ?? 1));
  const given = Buffer.from(token);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
  const rows = await store.collection('appointments').find(
    {
      doctorId,
      status: { $in: ['confirmed', 'cancelled'] },
      startMs: {
        $gte: now.getTime() - FEED_PAST_DAYS * 86_400_000,
        $lt: now.getTime() + (clinic.bookingHorizonDays + 1) * 86_400_000,
      },
    },
    { sort: { startMs: 1 } },
  );
  const items: CalendarItem[] = rows.map((a) => {
    let name: string | undefined;
    try {
      name = openContact(sealer, a)?.name;
    } catch {
      name = undefined;
    }
    return {
      appointmentId: a.appointmentId,
      start: a.start,
      durationMinutes: slotLength(doctor, clinic.slotMinutes),
      doctorName: a.doctorName,
      specialty: a.specialty,
      status: a.status,
      ...(name ? { patientName: name } : {}),
    };
  });
  return appointmentsCalendar(items, { name: `${doctor.name}, ${clinic.name}`, timeZone: clinic.timeZone, now });
}
