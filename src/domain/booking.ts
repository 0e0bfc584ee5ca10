import { DateTime } from 'luxon';
import { DuplicateKeyError } from '../store/types.js';
import type { ClinicSettings, Doctor } from './clinic.js';
import { upsertPatient, type AppointmentBook, type Appointment, type Patient } from './appointments.js';
import { awayOn, slotLength } from './doctors.js';
import { slotsOnDay } from './schedule.js';
import {
  appointmentNotification,
  cancelReminders,
  enqueueNotification,
  openContact,
  scheduleReminder,
  sealContact,
  type Contact,
  type NotificationEvent,
} from './outbox.js';

/**
 * The booking rules the voice tools and the front desk (`receptionist appointments`) share: one
 * code path, so a time the phone refuses is refused at the desk for the same reason.
 */

/** Why `start` cannot be booked with these doctors, found before looking at the calendar. */
export type Unbookable =
  | { kind: 'past' }
  | { kind: 'beyond-horizon'; days: number }
  | { kind: 'holiday'; name: string }
  | { kind: 'away'; doctors: Doctor[] }
  | { kind: 'between-slots'; minutes: number }
  | { kind: 'not-working'; doctors: Doctor[] };

/** Why `start` (clinic zone) cannot be booked with any of `doctors`, or undefined when one can take it. */
export function whyUnbookable(
  book: AppointmentBook,
  clinic: ClinicSettings,
  now: Date,
  doctors: Doctor[],
  start: DateTime,
): Unbookable | undefined {
  const nowInClinic = DateTime.fromJSDate(now, { zone: clinic.timeZone });
  if (start <= nowInClinic) return { kind: 'past' };
  if (start > nowInClinic.plus({ days: clinic.bookingHorizonDays }))
    return { kind: 'beyond-horizon', days: clinic.bookingHorizonDays };
  if (doctors.some((d) => book.isBookable(d, start))) return undefined;
  const away = doctors.map((d) => awayOn(d, start.toISODate()!));
  if (away.every(Boolean)) {
    const holiday = away.find((l) => l!.holiday)?.holiday;
    return holiday ? { kind: 'holiday', name: holiday } : { kind: 'away', doctors };
  }
  // Within a doctor's hours, but between two appointment times ("12:15").
  const at = start.toMillis();
  const between = doctors.find((d) => {
    const lengthMs = slotLength(d, clinic.slotMinutes) * 60_000;
    return slotsOnDay(d, start.startOf('day'), clinic.slotMinutes).some(
      (s) => s.toMillis() < at && at < s.toMillis() + lengthMs,
    );
  });
  if (between) return { kind: 'between-slots', minutes: slotLength(between, clinic.slotMinutes) };
  return { kind: 'not-working', doctors };
}

/** What a booking came to. `replayed`: this tool call (source key) had booked it already. */
export type BookOutcome =
  | { ok: true; appointment: Appointment; replayed?: boolean }
  | { ok: false; reason: 'taken' }
  | { ok: false; reason: 'unbookable'; why: Unbookable };

export interface BookRequest {
  /** The doctors that may take it (a named doctor, or every one of a specialty), first free wins. */
  doctors: Doctor[];
  /** In the clinic's zone. */
  start: DateTime;
  patient: Patient;
  /** The Vapi call that books (its holds are confirmed instead of claiming again). */
  callId?: string;
  /** `<callId>:<toolCallId>`, or the front desk's own: one request books once (BOOK-2). */
  sourceKey?: string;
}

/**
 * Books `req.start` with the first of `req.doctors` who is free: a hold this call placed is
 * confirmed, else the slot is claimed (unique per slot, BOOK-1), the patient recorded, and the hold
 * confirmed. Run it inside `store.atomically` so the booking and what goes with it (the reply, a
 * notification) commit together.
 * @throws StoreUnavailableError; DuplicateKeyError other than a replay
 */
export async function makeBooking(book: AppointmentBook, req: BookRequest): Promise<BookOutcome> {
  const { store, clinic, sealer, now } = book;
  if (req.sourceKey) {
    const earlier = await book.findBySource(req.sourceKey);
    if (earlier?.status === 'confirmed') return { ok: true, appointment: earlier, replayed: true };
  }
  const why = whyUnbookable(book, clinic, now(), req.doctors, req.start);
  if (why) return { ok: false, reason: 'unbookable', why };
  const { name, email, phone, reason } = req.patient;
  const fields = {
    patientName: name,
    email,
    phone,
    reason,
    ...(req.callId ? { callId: req.callId } : {}),
    ...(req.sourceKey ? { sourceKey: req.sourceKey } : {}),
  };
  for (const doctor of req.doctors.filter((d) => book.isBookable(d, req.start))) {
    const held = req.callId ? await book.heldBy(req.callId, doctor, req.start) : null;
    let claim;
    try {
      claim = held ? { ok: true as const, appointment: held } : await book.hold(doctor, req.start, fields);
    } catch (err) {
      // The same request, redelivered to another process, got there first.
      const first =
        err instanceof DuplicateKeyError && err.key === 'sourceKey' && req.sourceKey
          ? await book.findBySource(req.sourceKey)
          : null;
      if (first) return { ok: true, appointment: first, replayed: true };
      throw err;
    }
    if (!claim.ok) continue;
    await upsertPatient(store, req.patient, now().toISOString(), sealer);
    const id = claim.appointment.appointmentId;
    const contact = { name, email, phone };
    if (await book.confirm(claim.appointment, { ...fields, contact: sealContact(sealer, id, contact) })) {
      const appointment: Appointment = { ...claim.appointment, status: 'confirmed' };
      const durationMinutes = slotLength(doctor, clinic.slotMinutes);
      // In the same atomic step: the booking is never without its notification and reminder, nor the reverse.
      await enqueueNotification(
        store,
        sealer,
        appointmentNotification('appointment.booked', appointment, contact, clinic, now(), { durationMinutes }),
        { subject: id },
      );
      await scheduleReminder(store, sealer, clinic, now(), appointment, contact, durationMinutes);
      return { ok: true, appointment };
    }
  }
  return { ok: false, reason: 'taken' };
}

/** What a move came to: `gone` when the appointment is no longer confirmed. */
export type MoveOutcome =
  | { ok: true; appointment: Appointment }
  | { ok: false; reason: 'taken' | 'gone' | 'same-time' }
  | { ok: false; reason: 'unbookable'; why: Unbookable };

/**
 * Moves a confirmed appointment to `start` with the same doctor, keeping its id (the voice tool
 * `reschedule_appointment` and `appointments reschedule`): the rules of {@link whyUnbookable}, then
 * one atomic claim-and-release ({@link AppointmentBook.reschedule}), the patient told and the
 * reminder moved in the same step.
 */
export async function moveAppointment(
  book: AppointmentBook,
  appt: Appointment,
  doctor: Doctor,
  start: DateTime,
): Promise<MoveOutcome> {
  const { store, clinic, now } = book;
  if (appt.status !== 'confirmed') return { ok: false, reason: 'gone' };
  if (start.toMillis() === appt.startMs) return { ok: false, reason: 'same-time' };
  const why = whyUnbookable(book, clinic, now(), [doctor], start);
  if (why) return { ok: false, reason: 'unbookable', why };
  return store.atomically(async () => {
    const moved = await book.reschedule(appt, doctor, start);
    if (!moved.ok) return moved;
    await tellOfMove(book, appt, moved.appointment, doctor);
    return moved;
  });
}

/**
 * Cancels a confirmed appointment and tells the patient (the voice tool, `appointments cancel`,
 * `doctors remove --cancel`), in one atomic step; the contact card and the pending reminder go
 * with it. False when it is no longer confirmed.
 */
export async function cancelBooking(
  book: AppointmentBook,
  appt: Appointment,
  reason: string | undefined,
): Promise<boolean> {
  const { store, now } = book;
  return store.atomically(async () => {
    if (!(await book.cancel(appt, reason))) return false;
    await notifyPatient(book, 'appointment.cancelled', { ...appt, status: 'cancelled' });
    await cancelReminders(store, { appointmentId: appt.appointmentId }, now(), 'appointment cancelled');
    await store
      .collection('appointments')
      .updateOne({ appointmentId: appt.appointmentId }, { $unset: { contact: true } });
    return true;
  });
}

/**
 * Gives a confirmed appointment to another doctor at the same time (`doctors remove --reassign`)
 * and tells the patient (`appointment.rescheduled`, the same start, the new doctor), in one atomic step.
 */
export async function reassignAppointment(
  book: AppointmentBook,
  appt: Appointment,
  doctor: Doctor,
): Promise<Awaited<ReturnType<AppointmentBook['reassign']>>> {
  const { store } = book;
  return store.atomically(async () => {
    const moved = await book.reassign(appt, doctor);
    if (moved.ok) await tellOfMove(book, appt, moved.appointment, doctor);
    return moved;
  });
}

/**
 * A move or a new doctor (`was` → `moved`): the patient is told, and the reminder goes with the
 * appointment (the old one cancelled, a new one due before the new time), in the caller's atomic step.
 */
async function tellOfMove(book: AppointmentBook, was: Appointment, moved: Appointment, doctor: Doctor): Promise<void> {
  const { store, clinic, sealer, now } = book;
  const durationMinutes = slotLength(doctor, clinic.slotMinutes);
  const contact = await notifyPatient(book, 'appointment.rescheduled', moved, {
    previousStart: was.start,
    durationMinutes,
  });
  await cancelReminders(store, { appointmentId: was.appointmentId }, now(), 'moved');
  if (contact) await scheduleReminder(store, sealer, clinic, now(), moved, contact, durationMinutes);
}

/**
 * Enqueues an event of an appointment for its patient, when it has a contact card (booked by this
 * version); returns the contact it was sent to.
 */
async function notifyPatient(
  book: AppointmentBook,
  type: NotificationEvent,
  a: Appointment,
  extra: { previousStart?: string; durationMinutes?: number } = {},
): Promise<Contact | undefined> {
  const { store, clinic, sealer, now } = book;
  let contact;
  try {
    contact = openContact(sealer, a);
  } catch {
    // Sealed under a blind-index key since replaced: the change goes on; there is no one to tell.
    return undefined;
  }
  if (!contact) return undefined;
  await enqueueNotification(store, sealer, appointmentNotification(type, a, contact, clinic, now(), extra), {
    subject: a.appointmentId,
  });
  return contact;
}
