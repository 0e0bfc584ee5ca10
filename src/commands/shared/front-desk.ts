import os from 'node:os';
import type { Doctor } from '../../domain/clinic.js';
import { findDoctor } from '../../domain/doctors.js';
import { appendAudit } from '../../domain/audit.js';
import type { Store } from '../../store/types.js';
import type { Context } from './context.js';

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

/** The one doctor `ref` names (id or name). @throws DoctorInputError (none or several; the kernel's table names the candidates) */
export const pickDoctor = (all: Doctor[], ref: string): Doctor => findDoctor(all, ref);
