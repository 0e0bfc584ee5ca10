import { DateTime } from 'luxon';
import type { Store } from '../store/types.js';
import type { ClinicSettings, Doctor } from './clinic.js';
import { AppointmentBook, type Appointment, type AppointmentStatus } from './appointments.js';
import {
  cancelBooking,
  makeBooking,
  moveAppointment,
  whyUnbookable,
  type BookRequest,
  type Unbookable,
} from './booking.js';

/** A booking request from the desk or a tool, its inputs already checked ({@link deskBookRequest}). */
export type { BookRequest };
import { clinicDoctors, findDoctor } from './doctors.js';
import { matchDoctors, openWindow } from './schedule.js';
import { resolveSpokenTime } from './spoken-time.js';
import { normaliseSpokenEmail, toE164 } from './contact.js';
import type { FieldSealer } from './sealer.js';
import { DeskInputError, DeskRefusal } from './desk-errors.js';
import type { DeskBookInput } from './desk-input.js';

export { DeskInputError, DeskRefusal };
export type { DeskBookInput };
import { appendAudit } from './audit.js';

/**
 * The front desk: the one place that books, moves, cancels and lists appointments and says which
 * slots can be booked. The voice tools speak its outcomes, `receptionist appointments` prints them
 * and the studio sends them as JSON; none of them decides a booking rule of its own.
 */

/** A free slot: a doctor and a start in the clinic's zone. */
export interface FreeSlot {
  doctor: Doctor;
  start: DateTime;
}

/** Why a time was refused: a rule ({@link Unbookable}) or another booking holds it. */
export type Refusal = Unbookable | { kind: 'taken' };

/** A refused time, with up to three free times nearest to it (empty: nothing free within the horizon). */
export interface Refused {
  kind: 'refused';
  refusal: Refusal;
  start: DateTime;
  nearest: FreeSlot[];
}

/** What `book` came to. `replayed`: the same request (source key) had booked it already. */
export type BookOutcome = { kind: 'booked'; appointment: Appointment; replayed: boolean } | Refused;

/** An appointment that cannot be changed: unknown (or only a hold), or no longer confirmed. */
export interface Unchangeable {
  kind: 'unchangeable';
  /** What the store holds under that ID: null when nothing (or an expired hold) does. */
  found: Appointment | null;
}

/** What `reschedule` came to. */
export type RescheduleOutcome =
  | { kind: 'moved'; appointment: Appointment }
  | { kind: 'same-time'; appointment: Appointment }
  | { kind: 'doctor-gone'; appointment: Appointment }
  | Unchangeable
  | Refused;

/** What `cancel` came to. */
export type CancelOutcome = { kind: 'cancelled'; appointment: Appointment } | Unchangeable;

/** Which appointments {@link FrontDesk.list} returns: days in the clinic's zone, inclusive. */
export interface ListQuery {
  from: DateTime;
  to: DateTime;
  doctorId?: string;
  /** One status, or every one but expired holds. */
  status: AppointmentStatus | 'all';
}

export class FrontDesk {
  /** The appointment book the desk works on (its store, clinic, clock and sealer). */
  readonly book: AppointmentBook;

  /**
   * @param actor who works the desk (`os:<user>`, or the studio's signed-in user): each booking,
   *   move and cancellation is audited under that name (`appointments.book|reschedule|cancel`).
   *   The voice tools give none: a call's changes are in its call log.
   */
  constructor(
    store: Store,
    clinic: ClinicSettings,
    now: () => Date,
    sealer: FieldSealer,
    private readonly actor?: string,
  ) {
    this.book = new AppointmentBook(store, clinic, now, sealer);
  }

  private async audit(action: string, appointmentId: string): Promise<void> {
    if (!this.actor) return;
    await appendAudit(this.book.store, {
      at: this.book.now().toISOString(),
      user: this.actor,
      action,
      details: { appointmentId },
    });
  }

  /** The clinic's IANA time zone. */
  get zone(): string {
    return this.book.clinic.timeZone;
  }

  /** The clinic's doctors, holidays folded into their leave. @throws StoreUnavailableError */
  doctors(): Promise<Doctor[]> {
    return clinicDoctors(this.book.store);
  }

  /**
   * The free slots of `doctors` on `day` (clinic zone) that `book` would take now: not past, within
   * the booking horizon, not on leave or a holiday, not booked and not held. Earliest first.
   * @param window minutes after midnight, [from, to)
   */
  async bookableSlots(doctors: Doctor[], day: DateTime, window?: { from: number; to: number }): Promise<FreeSlot[]> {
    const free = await this.book.freeSlotsOnDay(doctors, day.setZone(this.zone), window);
    const now = this.book.now();
    return free.filter((s) => !whyUnbookable(this.book, this.book.clinic, now, [s.doctor], s.start));
  }

  /** The `n` free times nearest to `start` (future, within the horizon). */
  nearestFree(doctors: Doctor[], start: DateTime, n = 3): Promise<FreeSlot[]> {
    return this.book.nearestFree(doctors, start, n);
  }

  /**
   * Books `req.start` with the first of `req.doctors` who is free, in one atomic step with the
   * patient's record, the notification and the reminder. @throws StoreUnavailableError
   */
  async bookAppointment(req: BookRequest): Promise<BookOutcome> {
    const outcome = await this.book.store.atomically(() => makeBooking(this.book, req));
    if (outcome.ok) {
      if (!outcome.replayed) await this.audit('appointments.book', outcome.appointment.appointmentId);
      return { kind: 'booked', appointment: outcome.appointment, replayed: outcome.replayed === true };
    }
    return this.refused(outcome.reason === 'taken' ? { kind: 'taken' } : outcome.why, req.start, req.doctors);
  }

  /** A confirmed appointment by ID, or why it cannot be changed. @throws StoreUnavailableError */
  async confirmed(appointmentId: string): Promise<{ kind: 'confirmed'; appointment: Appointment } | Unchangeable> {
    const found = await this.book.find(appointmentId);
    if (found?.status === 'confirmed') return { kind: 'confirmed', appointment: found };
    return {
      kind: 'unchangeable',
      found: found && (found.status === 'held' || found.status === 'expired') ? null : found,
    };
  }

  /** The doctor who has `appointment`, while they still work at the clinic. */
  async doctorOf(appointment: Appointment): Promise<Doctor | undefined> {
    return (await this.doctors()).find((d) => d._id === appointment.doctorId);
  }

  /**
   * Moves a confirmed appointment to `start` with the same doctor (`doctor`: its {@link doctorOf},
   * which the caller has read to understand the time; undefined when they left); its ID stays. The
   * patient is told and the reminder moved in the same atomic step. @throws StoreUnavailableError
   */
  async reschedule(appointment: Appointment, doctor: Doctor | undefined, start: DateTime): Promise<RescheduleOutcome> {
    if (!doctor) return { kind: 'doctor-gone', appointment };
    const moved = await moveAppointment(this.book, appointment, doctor, start);
    if (moved.ok) {
      await this.audit('appointments.reschedule', appointment.appointmentId);
      return { kind: 'moved', appointment: moved.appointment };
    }
    if (moved.reason === 'same-time') return { kind: 'same-time', appointment };
    if (moved.reason === 'gone')
      return { kind: 'unchangeable', found: await this.book.find(appointment.appointmentId) };
    return this.refused(moved.reason === 'unbookable' ? moved.why : { kind: 'taken' }, start, [doctor]);
  }

  /** Cancels a confirmed appointment; the patient is told, the reminder cancelled. @throws StoreUnavailableError */
  async cancel(appointment: Appointment, reason: string | undefined): Promise<CancelOutcome> {
    if (await cancelBooking(this.book, appointment, reason)) {
      await this.audit('appointments.cancel', appointment.appointmentId);
      return { kind: 'cancelled', appointment: { ...appointment, status: 'cancelled' } };
    }
    return { kind: 'unchangeable', found: await this.book.find(appointment.appointmentId) };
  }

  /** {@link listAppointments} of this desk's store. */
  list(q: ListQuery): Promise<Appointment[]> {
    return listAppointments(this.book.store, this.book.now(), q);
  }

  private async refused(refusal: Refusal, start: DateTime, doctors: Doctor[]): Promise<Refused> {
    return { kind: 'refused', refusal, start, nearest: await this.nearestFree(doctors, start) };
  }
}

/**
 * Appointments by start time (needs no keys: a read-only store will do); a hold that ran out by
 * `now` is none, whatever its stored status. @throws StoreUnavailableError
 */
export async function listAppointments(store: Store, now: Date, q: ListQuery): Promise<Appointment[]> {
  const found = await store.collection('appointments').find(
    {
      ...(q.doctorId ? { doctorId: q.doctorId } : {}),
      ...(q.status === 'all' ? { status: { $ne: 'expired' } } : { status: q.status }),
      startMs: { $gte: q.from.startOf('day').toMillis(), $lt: q.to.startOf('day').plus({ days: 1 }).toMillis() },
    },
    { sort: { startMs: 1 } },
  );
  return found.filter((a) => a.status !== 'held' || (a.holdExpiresAt ?? 0) > now.getTime());
}

/** A booking, move or cancellation as the desk reports it (`--json`, the studio's reply). */
export interface DeskChange {
  action: 'appointments.book' | 'appointments.reschedule' | 'appointments.cancel';
  /** `start` in UTC ISO 8601. */
  appointment: { appointmentId: string; start: string; doctorId: string; doctorName: string; status: string };
  /** The same idempotency key had booked it already. */
  replayed?: boolean;
  /** The clinic's IANA zone, to show `start` in. */
  timeZone: string;
}

/** {@link DeskChange} of an appointment. */
export const deskChange = (
  a: Appointment,
  action: DeskChange['action'],
  zone: string,
  replayed?: boolean,
): DeskChange => ({
  action,
  appointment: {
    appointmentId: a.appointmentId,
    start: a.start,
    doctorId: a.doctorId,
    doctorName: a.doctorName,
    status: a.status,
  },
  ...(replayed ? { replayed } : {}),
  timeZone: zone,
});

/**
 * A time typed at the desk, in the clinic's zone: `2026-12-03 10:00`, an ISO time with an offset,
 * or words the voice tools read too ("next Monday at 10am").
 * @throws DeskInputError (field `at`): not a time, only a day, or words that raise a question
 */
export function deskTime(text: string, clinic: ClinicSettings, doctors: Doctor[], now: Date): DateTime {
  const zone = clinic.timeZone;
  const iso = text
    .trim()
    .replace(/^(\d{4}-\d\d-\d\d)[ T](\d{1,2}:\d\d)/, (_m, d: string, t: string) => `${d}T${t.padStart(5, '0')}`);
  if (/^\d{4}-\d\d-\d\dT/.test(iso)) {
    const at = DateTime.fromISO(iso, { zone, setZone: /[zZ]|[+-]\d\d:?\d\d$/.test(iso) });
    if (!at.isValid) throw new DeskInputError('at', text, `${at.invalidExplanation ?? at.invalidReason}.`);
    return at.setZone(zone);
  }
  const spoken = resolveSpokenTime(text, now, zone, openWindow(doctors), clinic.locale);
  if (spoken.kind === 'exact') return spoken.start;
  if (spoken.kind === 'day')
    throw new DeskInputError('at', text, 'is a day; give the time too.', '2026-12-03 10:00', false);
  throw new DeskInputError('at', text, spoken.question, undefined, false);
}

/**
 * A desk's typed booking as a {@link BookRequest}: the email and phone normalised (the phone to
 * E.164 in the clinic's region), the doctor or specialty found, the time read in the clinic's zone.
 * @throws DeskInputError, DoctorInputError (no or several doctors of that name)
 */
export function deskBookRequest(input: DeskBookInput, clinic: ClinicSettings, all: Doctor[], now: Date): BookRequest {
  const email = normaliseSpokenEmail(input.email);
  if (!email) throw new DeskInputError('email', input.email);
  const phone = toE164(input.phone, clinic.defaultRegion);
  if (!phone)
    throw new DeskInputError(
      'phone',
      input.phone,
      undefined,
      `Give it in E.164 (+91…) or as a number of ${clinic.defaultRegion}.`,
    );
  const doctors = input.doctor ? [findDoctor(all, input.doctor)] : matchDoctors(all, { specialty: input.specialty });
  if (!doctors.length)
    throw new DeskInputError(
      'specialty',
      input.specialty ?? '',
      'no doctor has this specialty.',
      `Specialties: ${[...new Set(all.map((d) => d.specialty))].sort().join(', ')}.`,
    );
  return {
    doctors,
    start: deskTime(input.at, clinic, doctors, now),
    patient: { name: input.name, email, phone, reason: input.reason },
    ...(input.idempotencyKey ? { sourceKey: `desk:${input.idempotencyKey}` } : {}),
  };
}

/**
 * A refusal as the desk reads it: one sentence, and the nearest free times as the hint
 * ("Mon 23 Nov 2026 10:00 is taken." / "Nearest free: Mon 23 Nov 11:00 (Dr. Priya Rao), …").
 */
export function refusalText(r: Refused, horizonDays: number): { message: string; hint: string } {
  const { refusal: why, start } = r;
  const when = start.toFormat('ccc d LLL yyyy HH:mm');
  const day = start.toFormat('ccc d LLL');
  const names = (ds: Doctor[]) => ds.map((d) => d.name).join(', ');
  let message: string;
  switch (why.kind) {
    case 'taken':
      message = `${when} is taken.`;
      break;
    case 'past':
      message = `${when} has passed.`;
      break;
    case 'beyond-horizon':
      message = `${when} is beyond the booking horizon of ${why.days} days.`;
      break;
    case 'holiday':
      message = `The clinic is closed on ${day} (${why.name}).`;
      break;
    case 'away':
      message = `${names(why.doctors)} ${why.doctors.length === 1 ? 'is' : 'are'} away on ${day}.`;
      break;
    case 'between-slots':
      message = `${when} is not an appointment start (every ${why.minutes} minutes).`;
      break;
    case 'not-working':
      message = `${why.doctors.length === 1 ? `${why.doctors[0]!.name} does` : 'None of those doctors does'} not see patients at ${when}.`;
      break;
  }
  const hint = r.nearest.length
    ? `Nearest free: ${r.nearest.map((s) => `${s.start.toFormat('ccc d LLL HH:mm')} (${s.doctor.name})`).join(', ')}.`
    : `Nothing is free within the ${horizonDays} days that can be booked.`;
  return { message, hint };
}

function refusal(r: Refused, desk: FrontDesk): DeskRefusal {
  const { message, hint } = refusalText(r, desk.book.horizonDays);
  return new DeskRefusal(message, hint);
}

function unchangeable(id: string, r: Unchangeable): DeskRefusal {
  if (!r.found) return new DeskRefusal(`No appointment ${id}.`, '`receptionist appointments list` shows them by day.');
  return new DeskRefusal(`Appointment ${id} is ${r.found.status}.`);
}

/**
 * Books what the desk typed (`appointments book`, the studio's Book form): read by
 * {@link deskBookRequest}, booked by `desk`.
 * @throws DeskInputError, DoctorInputError (a field that cannot be read), DeskRefusal (the time is refused)
 */
export async function bookAtDesk(desk: FrontDesk, input: DeskBookInput): Promise<DeskChange> {
  const req = deskBookRequest(input, desk.book.clinic, await desk.doctors(), desk.book.now());
  await desk.book.sealer.prepare({ phones: [req.patient.phone], names: [req.patient.name] });
  const outcome = await desk.bookAppointment(req);
  if (outcome.kind === 'refused') throw refusal(outcome, desk);
  return deskChange(outcome.appointment, 'appointments.book', desk.zone, outcome.replayed);
}

/**
 * Moves a confirmed appointment to the time `at` (as typed) with the same doctor.
 * @throws DeskInputError (a time that cannot be read), DeskRefusal (unknown, not confirmed, same time, refused)
 */
export async function rescheduleAtDesk(desk: FrontDesk, id: string, at: string): Promise<DeskChange> {
  const found = await desk.confirmed(id);
  if (found.kind === 'unchangeable') throw unchangeable(id, found);
  const appt = found.appointment;
  const doctor = await desk.doctorOf(appt);
  const start = deskTime(at, desk.book.clinic, doctor ? [doctor] : [], desk.book.now());
  const moved = await desk.reschedule(appt, doctor, start);
  switch (moved.kind) {
    case 'moved':
      return deskChange(moved.appointment, 'appointments.reschedule', desk.zone);
    case 'same-time':
      throw new DeskRefusal(`${id} is already at ${start.toFormat('ccc d LLL HH:mm')}.`);
    case 'doctor-gone':
      throw new DeskRefusal(
        `${appt.doctorName} no longer works at the clinic, so ${id} cannot be moved.`,
        'Cancel it and book with another doctor.',
      );
    case 'unchangeable':
      throw new DeskRefusal(`Appointment ${id} is no longer confirmed.`);
    case 'refused':
      throw refusal(moved, desk);
  }
}

/** Cancels a confirmed appointment. @throws DeskRefusal (unknown, not confirmed) */
export async function cancelAtDesk(desk: FrontDesk, id: string, reason: string): Promise<DeskChange> {
  const found = await desk.confirmed(id);
  if (found.kind === 'unchangeable') throw unchangeable(id, found);
  const done = await desk.cancel(found.appointment, reason);
  if (done.kind === 'unchangeable') throw new DeskRefusal(`Appointment ${id} is no longer confirmed.`);
  return deskChange(done.appointment, 'appointments.cancel', desk.zone);
}
