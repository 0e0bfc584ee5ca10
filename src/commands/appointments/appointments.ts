import { DateTime } from 'luxon';
import { SEALED_APPOINTMENT_FIELDS, type Appointment } from '../../domain/appointments.js';
import { clinicDoctors, slotLength } from '../../domain/doctors.js';
import {
  bookAtDesk,
  cancelAtDesk,
  listAppointments,
  rescheduleAtDesk,
  type DeskBookInput,
  type DeskChange as ChangeResult,
  type ListQuery,
} from '../../domain/front-desk.js';
import { pickDoctor } from '../shared/front-desk.js';
import { frontDesk } from '../shared/desk.js';
import { normaliseSpokenId } from '../../domain/ids.js';
import { revealField, SEALED_PLACEHOLDER } from '../../domain/sealer.js';
import { appointmentsCalendar } from '../../notify/calendar.js';
import { appendAudit } from '../../domain/audit.js';
import type { Unlocked } from '../../domain/keyring.js';
import type { Store } from '../../store/types.js';
import { UsageError, UserError } from '../../errors.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { BookFlags, CancelFlags, ExportIcsFlags, ListFlags, RescheduleFlags, ShowFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { renderTable } from '../shared/table.js';
import { printable } from '../../io.js';
import { escapeCell } from '../../store/csv-cells.js';
import { dayFlag, dayIn } from '../shared/parse.js';
import type { AppointmentDetails } from '../../studio/contract.js';

/**
 * An appointment as printed (`--json`, the studio): times in UTC ISO, sealed fields opened for the
 * user's role or `[sealed]`; the studio's contract names its shape.
 */
export type AppointmentView = AppointmentDetails;

function view(a: Appointment, keys: Unlocked['dataKeys'] | undefined, full: boolean): AppointmentView {
  const reveal = (field: (typeof SEALED_APPOINTMENT_FIELDS)[number]) => {
    const v = a[field];
    return typeof v === 'string'
      ? revealField(v, { collection: 'appointments', recordId: a.rootId ?? a.appointmentId, field }, keys)
      : undefined;
  };
  return {
    appointmentId: a.appointmentId,
    status: a.status,
    start: a.start,
    doctorId: a.doctorId,
    doctorName: a.doctorName,
    specialty: a.specialty,
    patientName: reveal('patientName') ?? '',
    ...(full
      ? {
          email: reveal('email'),
          phone: reveal('phone'),
          reason: reveal('reason'),
          cancelReason: reveal('cancelReason'),
          createdAt: a.createdAt,
          confirmedAt: a.confirmedAt,
          cancelledAt: a.cancelledAt,
          movedFrom: a.movedFrom,
        }
      : { createdAt: a.createdAt }),
  };
}

// ---- list / show ----

interface ListOptions {
  date?: string;
  from?: string;
  to?: string;
  doctor?: string;
  status: ListQuery['status'];
  decrypt: boolean;
}

interface ListResult {
  rows: AppointmentView[];
  timeZone: string;
  from: string;
  to: string;
}

/** `appointments list`. @throws UsageError (a bad day; --date with --from or --to) */
export function parseList(flags: ListFlags): ListOptions {
  const date = dayFlag(flags.date, '--date');
  if (date && (flags.from || flags.to)) throw new UsageError('--date cannot be used with --from or --to.');
  return {
    date,
    from: dayFlag(flags.from, '--from'),
    to: dayFlag(flags.to, '--to'),
    doctor: flags.doctor,
    status: flags.status ?? 'confirmed',
    decrypt: flags.decrypt === true,
  };
}

async function unlockFor(ctx: Context, decrypt: boolean): Promise<Unlocked | undefined> {
  return decrypt ? ctx.keyring() : undefined;
}

async function runList(o: ListOptions, ctx: Context): Promise<ListResult> {
  const store = await ctx.store({ readOnly: true });
  const config = await requireBotConfig(store);
  const zone = config.clinic.timeZone;
  const from = dayIn(o.date ?? o.from ?? 'today', zone, ctx.now());
  const to = o.date ? from : o.to ? dayIn(o.to, zone, ctx.now()) : from.plus({ days: 6 });
  if (to < from) throw new UsageError(`--to ${to.toISODate()} is before --from ${from.toISODate()}.`);
  const doctor = o.doctor ? pickDoctor(await clinicDoctors(store), o.doctor) : undefined;
  const me = await unlockFor(ctx, o.decrypt);
  const rows = await listAppointments(store, ctx.now(), { from, to, doctorId: doctor?._id, status: o.status });
  if (me) await openingAudit(ctx, store, me, { list: rows.length, from: from.toISODate(), to: to.toISODate() });
  return {
    rows: rows.map((a) => view(a, me?.dataKeys, false)),
    timeZone: zone,
    from: from.toISODate()!,
    to: to.toISODate()!,
  };
}

async function openingAudit(ctx: Context, store: Store, me: Unlocked, details: Record<string, unknown>) {
  await appendAudit(store, {
    at: ctx.now().toISOString(),
    user: me.username,
    action: 'decrypt',
    details: { command: 'appointments', ...details, role: me.role },
  });
}

function renderList(r: ListResult, _o: ListOptions, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r.rows, null, 2));
  if (!r.rows.length) return io.info(`No appointments from ${r.from} to ${r.to}.`);
  const local = (iso: string) => DateTime.fromISO(iso, { zone: r.timeZone });
  const cells = r.rows.map((a) => [
    local(a.start).toFormat('ccc yyyy-MM-dd HH:mm'),
    a.doctorName,
    a.appointmentId,
    a.status,
    a.patientName,
  ]);
  if (io.isOutTTY) {
    io.line(
      renderTable(
        ['Time', 'Doctor', 'ID', 'Status', 'Patient'],
        cells.map((c) => c.map((x) => printable(x))),
        io,
        g.color,
      ),
    );
    return io.error(`Times are in the clinic's zone, ${r.timeZone}.`);
  }
  // Piped lines go into spreadsheets: a name like "=HYPERLINK(…)" is written as text (DUR-4), and a
  // tab or a line break in one cannot shift the columns.
  for (const c of cells) io.line(c.map((x) => escapeCell(printable(x).replace(/[\t\r\n]/g, ' '))).join('\t'));
}

interface ShowResult {
  appointment: AppointmentView;
  timeZone: string;
}

async function runShow(o: { id: string; decrypt: boolean }, ctx: Context): Promise<ShowResult> {
  const store = await ctx.store({ readOnly: true });
  const config = await requireBotConfig(store);
  const a = await store.collection('appointments').findOne({ appointmentId: o.id });
  if (!a) throw new UserError(`No appointment ${o.id}.`, '`receptionist appointments list` shows them by day.');
  const me = await unlockFor(ctx, o.decrypt);
  if (me) await openingAudit(ctx, store, me, { appointmentId: o.id });
  return { appointment: view(a, me?.dataKeys, true), timeZone: config.clinic.timeZone };
}

function renderShow(r: ShowResult, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r.appointment, null, 2));
  const a = r.appointment;
  const local = (iso: string) => DateTime.fromISO(iso, { zone: r.timeZone }).toFormat('cccc d LLLL yyyy, HH:mm');
  const lines: Array<[string, string | undefined]> = [
    ['ID', a.appointmentId],
    ['Status', a.status],
    ['When', `${local(a.start)} (${r.timeZone})`],
    ['Doctor', `${a.doctorName} (${a.doctorId}), ${a.specialty}`],
    ['Patient', a.patientName],
    ['Phone', a.phone],
    ['Email', a.email],
    ['Reason', a.reason],
    ['Cancelled', a.cancelledAt ? `${local(a.cancelledAt)}${a.cancelReason ? `: ${a.cancelReason}` : ''}` : undefined],
    ['Moved from', a.movedFrom?.length ? a.movedFrom.map(local).join(', ') : undefined],
    ['Booked', local(a.createdAt)],
  ];
  for (const [k, v] of lines) if (v) io.line(`${k.padEnd(11)} ${v}`);
}

// ---- book / reschedule / cancel ----

type BookOptions = DeskBookInput;

/** `appointments book`. @throws UsageError (neither or both of --doctor and --specialty; an empty value) */
export function parseBook(flags: BookFlags): BookOptions {
  if (!flags.doctor && !flags.specialty) throw new UsageError('Give --doctor or --specialty.');
  if (flags.doctor && flags.specialty) throw new UsageError('--doctor and --specialty cannot be used together.');
  const given = { at: flags.at, name: flags.name, phone: flags.phone, email: flags.email, reason: flags.reason };
  for (const [k, v] of Object.entries(given)) if (!v.trim()) throw new UsageError(`--${k} cannot be empty.`);
  return {
    doctor: flags.doctor,
    specialty: flags.specialty,
    at: given.at.trim(),
    name: given.name.trim(),
    phone: given.phone.trim(),
    email: given.email.trim(),
    reason: given.reason.trim(),
    idempotencyKey: flags.idempotencyKey,
  };
}

// The front desk's errors (a field that cannot be read, a refused time) become exit 2 and 1 by the kernel's table.
const runBook = async (o: BookOptions, ctx: Context) => bookAtDesk(await frontDesk(ctx), o);
const runReschedule = async (o: { id: string; at: string }, ctx: Context) =>
  rescheduleAtDesk(await frontDesk(ctx), o.id, o.at);
const runCancel = async (o: { id: string; reason: string }, ctx: Context) =>
  cancelAtDesk(await frontDesk(ctx), o.id, o.reason);

function renderChange(r: ChangeResult, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) {
    const { timeZone: _z, ...out } = r;
    return io.line(JSON.stringify(out));
  }
  const a = r.appointment;
  const when = DateTime.fromISO(a.start, { zone: r.timeZone }).toFormat('cccc d LLLL yyyy, HH:mm');
  const verb = {
    'appointments.book': 'Booked',
    'appointments.reschedule': 'Moved',
    'appointments.cancel': 'Cancelled',
  }[r.action];
  io.line(
    `${verb} ${a.appointmentId}: ${a.doctorName}, ${when} (${r.timeZone})${r.replayed ? ' (booked before with this idempotency key)' : ''}.`,
  );
}

/** An appointment ID as typed or read out (`K7M-HQP XY4`), normalised. @throws UsageError when nothing is left */
export const parseAppointmentId = (v: string): string => {
  const out = normaliseSpokenId(v);
  if (!out) throw new UsageError(`Invalid appointment ID "${v}".`);
  return out;
};

interface ExportOptions {
  doctor?: string;
  from?: string;
  to?: string;
  decrypt: boolean;
}

async function runExport(o: ExportOptions, ctx: Context): Promise<string> {
  const store = await ctx.store({ readOnly: true });
  const config = await requireBotConfig(store);
  const zone = config.clinic.timeZone;
  const from = dayIn(o.from ?? 'today', zone, ctx.now());
  const to = o.to ? dayIn(o.to, zone, ctx.now()) : from.plus({ days: config.clinic.bookingHorizonDays });
  if (to < from) throw new UsageError(`--to ${to.toISODate()} is before --from ${from.toISODate()}.`);
  const all = await clinicDoctors(store);
  const doctor = o.doctor ? pickDoctor(all, o.doctor) : undefined;
  const me = await unlockFor(ctx, o.decrypt);
  const rows = await store.collection('appointments').find(
    {
      ...(doctor ? { doctorId: doctor._id } : {}),
      status: { $in: ['confirmed', 'cancelled'] },
      startMs: { $gte: from.toMillis(), $lt: to.plus({ days: 1 }).toMillis() },
    },
    { sort: { startMs: 1 } },
  );
  if (me) await openingAudit(ctx, store, me, { export: rows.length, from: from.toISODate(), to: to.toISODate() });
  const byId = new Map(all.map((d) => [d._id, d]));
  return appointmentsCalendar(
    rows.map((a) => {
      const name = me ? view(a, me.dataKeys, false).patientName : undefined;
      return {
        appointmentId: a.appointmentId,
        start: a.start,
        durationMinutes: slotLength(byId.get(a.doctorId) ?? {}, config.clinic.slotMinutes),
        doctorName: a.doctorName,
        specialty: a.specialty,
        status: a.status,
        ...(name && name !== SEALED_PLACEHOLDER ? { patientName: name } : {}),
      };
    }),
    { name: doctor ? `${doctor.name}, ${config.clinic.name}` : config.clinic.name, timeZone: zone, now: ctx.now() },
  );
}

/** `appointments export --ics`. @throws UsageError (a bad day) */
export const parseExport = (f: ExportIcsFlags): ExportOptions => ({
  doctor: f.doctor,
  from: dayFlag(f.from, '--from'),
  to: dayFlag(f.to, '--to'),
  decrypt: f.decrypt === true,
});

/** `appointments show`. @throws UsageError (a bad ID) */
export const parseShow = (f: ShowFlags) => ({ id: parseAppointmentId(f.id), decrypt: f.decrypt === true });

/** `appointments reschedule`. @throws UsageError (a bad ID) */
export const parseReschedule = (f: RescheduleFlags) => ({ id: parseAppointmentId(f.id), at: f.at });

/** `appointments cancel`. @throws UsageError (a bad ID, an empty reason) */
export function parseCancel(f: CancelFlags): { id: string; reason: string } {
  const reason = f.reason.trim();
  if (!reason) throw new UsageError('--reason cannot be empty.');
  return { id: parseAppointmentId(f.id), reason };
}

export const exportIcs = implement({
  parse: parseExport,
  run: runExport,
  render: (ics: string, _o, { io }) => io.write(ics),
});
export const list = implement({ parse: parseList, run: runList, render: renderList });
export const show = implement({
  parse: parseShow,
  run: runShow,
  render: renderShow,
});
export const book = implement({ parse: parseBook, run: runBook, render: renderChange });
export const reschedule = implement({
  parse: parseReschedule,
  run: runReschedule,
  render: renderChange,
});
export const cancel = implement({
  parse: parseCancel,
  run: runCancel,
  render: renderChange,
});
