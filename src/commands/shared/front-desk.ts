import os from 'node:os';
import type { Doctor } from '../../domain/clinic.js';
import { DoctorInputError, findDoctor } from '../../domain/doctors.js';
import { appendAudit } from '../../domain/audit.js';
import type { Store } from '../../store/types.js';
import { UsageError } from '../../errors.js';
import type { Context } from './context.js';

/**
 * Audits a front-desk change (doctors, appointments, reminders, webhooks) or a backup or restore.
 * These commands open no sealed data and ask for no password, so the actor is the OS user, `os:<name>`,
 * or in `receptionist studio` the user signed in there ({@link Context.actor}).
 * @throws StoreUnavailableError
 */
export function auditDeskChange(ctx: Context, store: Store, action: string, details: Record<string, unknown>) {
  const user = ctx.actor ?? `os:${os.userInfo().username}`;
  return appendAudit(store, { at: ctx.now().toISOString(), user, action, details });
}

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
