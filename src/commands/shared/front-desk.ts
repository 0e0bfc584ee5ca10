import os from 'node:os';
import type { Doctor } from '../../domain/clinic.js';
import { DoctorInputError, findDoctor } from '../../domain/doctors.js';
import { appendAudit } from '../../domain/audit.js';
import type { Store } from '../../store/types.js';
import { UsageError } from '../../errors.js';
import type { Context } from './context.js';
import { UserError } from '../../errors.js';
import {
  deskBookRequest,
  DeskInputError,
  deskChange,
  deskTime,
  FrontDesk,
  refusalText,
  type DeskBookInput,
  type DeskChange,
  type Refused,
  type Unchangeable,
} from '../../domain/front-desk.js';
import { requireBotConfig } from './store.js';
import { writeOnlySealer } from './sealer.js';

/** How a caller names a desk field in its errors (`--at` on the command line, `time` in the studio). */
export type FieldLabel = (field: DeskInputError['field']) => string;

/**
 * Audits a front-desk change (doctors, appointments, reminders, webhooks) or a backup or restore.
 * These commands open no sealed data and ask for no password, so the actor is the OS user, `os:<name>`,
 * or in `receptionist studio` the user signed in there ({@link Context.actor}).
 * @throws StoreUnavailableError
 */
export function auditDeskChange(ctx: Context, store: Store, action: string, details: Record<string, unknown>) {
  return appendAudit(store, { at: ctx.now().toISOString(), user: deskActor(ctx), action, details });
}

/** Who works the desk in this context: the studio's signed-in user, else `os:<name>`. */
export const deskActor = (ctx: Context): string => ctx.actor ?? `os:${os.userInfo().username}`;

/** A {@link DoctorInputError} as the user sees it: exit 2, with the doctors a name could have meant. */
export function doctorUsageError(err: DoctorInputError): UsageError {
  return new UsageError(
    err.message,
    err.candidates?.length ? `Doctors: ${err.candidates.map((d) => `${d._id} (${d.name})`).join(', ')}.` : undefined,
    { cause: err },
  );
}

/** The one doctor `ref` names (id or name). @throws UsageError (none or several, with the candidates) */
export function pickDoctor(all: Doctor[], ref: string): Doctor {
  try {
    return findDoctor(all, ref);
  } catch (err) {
    if (err instanceof DoctorInputError) throw doctorUsageError(err);
    throw err;
  }
}

/** The front desk of this command's store, clinic and clock; writes seal to the public keys. */
async function frontDesk(ctx: Context) {
  const store = await ctx.store();
  const config = await requireBotConfig(store);
  const sealer = await writeOnlySealer(store, ctx);
  return { store, config, sealer, desk: new FrontDesk(store, config.clinic, ctx.now, sealer, deskActor(ctx)) };
}

/** A refused time as the desk's error: the reason, and the nearest free times as the hint. */
function refusedError(r: Refused, desk: FrontDesk): UserError {
  const { message, hint } = refusalText(r, desk.book.horizonDays);
  return new UserError(message, hint);
}

/** Why an appointment cannot be changed, as the desk's error. */
function unchangeableError(id: string, r: Unchangeable): UserError {
  if (!r.found) return new UserError(`No appointment ${id}.`, '`receptionist appointments list` shows them by day.');
  return new UserError(`Appointment ${id} is ${r.found.status}.`);
}

/** A desk input that could not be read, as a usage error naming its field as the caller does. */
function deskUsageError(err: DeskInputError, label: FieldLabel): UsageError {
  const name = label(err.field);
  if (err.field === 'specialty')
    return new UsageError(`No doctor of specialty "${err.value}".`, err.hint, { cause: err });
  if (err.invalid)
    return new UsageError(`Invalid ${name} "${err.value}"${err.detail ? `: ${err.detail}` : '.'}`, err.hint, {
      cause: err,
    });
  return new UsageError(
    `${name} "${err.value}"${err.detail?.startsWith('is ') ? ' ' : ': '}${err.detail}`,
    err.hint ? `e.g. ${name} "${err.hint}".` : undefined,
    { cause: err },
  );
}

/**
 * Books at the desk (`appointments book`, the studio's Book form): the typed input read by
 * {@link deskBookRequest}, booked by the {@link FrontDesk} as `ctx`'s user. `label` names a field
 * in errors (`--at` on the command line, `time` in the studio).
 * @throws UsageError (a field that cannot be read; an unknown doctor), UserError (refused, with the nearest free times)
 */
export async function bookAtDesk(ctx: Context, o: DeskBookInput, label: FieldLabel): Promise<DeskChange> {
  const { config, sealer, desk } = await frontDesk(ctx);
  let req;
  try {
    req = deskBookRequest(o, config.clinic, await desk.doctors(), ctx.now());
  } catch (err) {
    if (err instanceof DeskInputError) throw deskUsageError(err, label);
    if (err instanceof DoctorInputError) throw doctorUsageError(err);
    throw err;
  }
  await sealer.prepare({ phones: [req.patient.phone], names: [req.patient.name] });
  const outcome = await desk.bookAppointment(req);
  if (outcome.kind === 'refused') throw refusedError(outcome, desk);
  return deskChange(outcome.appointment, 'appointments.book', config.clinic.timeZone, outcome.replayed);
}

/**
 * Moves a confirmed appointment to the time `at` (as typed) with the same doctor.
 * @throws UsageError (a time that cannot be read), UserError (unknown, not confirmed, refused)
 */
export async function rescheduleAtDesk(ctx: Context, id: string, at: string, label: FieldLabel): Promise<DeskChange> {
  const { config, desk } = await frontDesk(ctx);
  const found = await desk.confirmed(id);
  if (found.kind === 'unchangeable') throw unchangeableError(id, found);
  const appt = found.appointment;
  const doctor = await desk.doctorOf(appt);
  let start;
  try {
    start = deskTime(at, config.clinic, doctor ? [doctor] : [], ctx.now());
  } catch (err) {
    if (err instanceof DeskInputError) throw deskUsageError(err, label);
    throw err;
  }
  const moved = await desk.reschedule(appt, start);
  switch (moved.kind) {
    case 'moved':
      return deskChange(moved.appointment, 'appointments.reschedule', config.clinic.timeZone);
    case 'same-time':
      throw new UserError(`${id} is already at ${start.toFormat('ccc d LLL HH:mm')}.`);
    case 'doctor-gone':
      throw new UserError(
        `${appt.doctorName} no longer works at the clinic, so ${id} cannot be moved.`,
        'Cancel it and book with another doctor.',
      );
    case 'unchangeable':
      throw new UserError(`Appointment ${id} is no longer confirmed.`);
    case 'refused':
      throw refusedError(moved, desk);
  }
}

/** Cancels a confirmed appointment. @throws UserError (unknown, not confirmed) */
export async function cancelAtDesk(ctx: Context, id: string, reason: string): Promise<DeskChange> {
  const { config, desk } = await frontDesk(ctx);
  const found = await desk.confirmed(id);
  if (found.kind === 'unchangeable') throw unchangeableError(id, found);
  const done = await desk.cancel(found.appointment, reason);
  if (done.kind === 'unchangeable') throw new UserError(`Appointment ${id} is no longer confirmed.`);
  return deskChange(done.appointment, 'appointments.cancel', config.clinic.timeZone);
}
