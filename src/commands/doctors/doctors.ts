import { DateTime } from 'luxon';
import type { Doctor, Holiday, Leave } from '../../domain/clinic.js';
import {
  DoctorInputError,
  clinicDoctors,
  doctorIdFor,
  formatWeeklyHours,
  parseDayRange,
  parseWeeklyHours,
  slotLength,
} from '../../domain/doctors.js';
import { AppointmentBook, type Appointment } from '../../domain/appointments.js';
import { cancelBooking, reassignAppointment } from '../../domain/booking.js';
import { isSlotStart, slotKey } from '../../domain/schedule.js';
import type { Store } from '../../store/types.js';
import { UsageError, UserError } from '../../errors.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type {
  AddFlags,
  FeedUrlFlags,
  HolidaysAddFlags,
  HolidaysRemoveFlags,
  LeaveAddFlags,
  LeaveRemoveFlags,
  RemoveFlags,
  ShowFlags,
  UpdateFlags,
} from './index.js';
import type { Context } from '../shared/context.js';
import { requireBotConfig } from '../shared/store.js';
import { writeOnlySealer } from '../shared/sealer.js';
import { auditDeskChange, doctorUsageError, pickDoctor } from '../shared/front-desk.js';
import { feedPath } from '../../notify/calendar-feed.js';
import { renderTable } from '../shared/table.js';

/** A domain input error as the user sees it (exit 2). */
function usage(err: unknown): never {
  if (err instanceof DoctorInputError) throw doctorUsageError(err);
  throw err;
}
const attempt = <T>(fn: () => T): T => {
  try {
    return fn();
  } catch (err) {
    return usage(err);
  }
};

const doctorsOf = (store: Store) => store.collection<Doctor>('doctors');

/** The stored doctor `ref` names (without holidays merged). @throws UsageError */
async function stored(store: Store, ref: string): Promise<Doctor> {
  const all = await doctorsOf(store).find({}, { sort: { name: 1 } });
  return pickDoctor(all, ref);
}

/** Coming confirmed appointments, optionally of one doctor in [from, to] (ISO dates, clinic zone). */
async function coming(
  store: Store,
  zone: string,
  now: Date,
  opts: { doctorId?: string; days?: { from: string; to: string } } = {},
): Promise<Appointment[]> {
  const startMs: Record<string, number> = { $gt: now.getTime() };
  if (opts.days) {
    startMs.$gte = Math.max(now.getTime() + 1, DateTime.fromISO(opts.days.from, { zone }).toMillis());
    startMs.$lt = DateTime.fromISO(opts.days.to, { zone }).plus({ days: 1 }).toMillis();
  }
  return store
    .collection<Appointment>('appointments')
    .find(
      { ...(opts.doctorId ? { doctorId: opts.doctorId } : {}), status: 'confirmed', startMs },
      { sort: { startMs: 1 } },
    );
}

/** `APPT1 (Fri 24 Dec 10:00)` for a warning or refusal: ids and times, no patient data. */
const brief = (a: Appointment, zone: string) =>
  `${a.appointmentId} (${DateTime.fromMillis(a.startMs, { zone }).toFormat('ccc d LLL HH:mm')}, ${a.doctorName})`;

/** `--slot-minutes`: whole minutes 5–240, or `clinic` (null: the clinic's length). @throws UsageError */
export function parseSlotMinutes(v: string | undefined): number | null | undefined {
  if (v === undefined) return undefined;
  if (v === 'clinic') return null;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 5 || n > 240)
    throw new UsageError(`Invalid --slot-minutes "${v}".`, 'Give whole minutes from 5 to 240, or "clinic".');
  return n;
}

// ---- list / show ----

interface ListResult {
  doctors: Doctor[];
  timeZone: string;
  clinicSlotMinutes: number;
  today: string;
}

async function runList(_o: unknown, ctx: Context): Promise<ListResult> {
  const store = await ctx.store({ readOnly: true });
  const config = await requireBotConfig(store);
  return {
    doctors: await doctorsOf(store).find({}, { sort: { name: 1 } }),
    timeZone: config.clinic.timeZone,
    clinicSlotMinutes: config.clinic.slotMinutes,
    today: DateTime.fromJSDate(ctx.now(), { zone: config.clinic.timeZone }).toISODate()!,
  };
}

const leaveText = (l: Leave) => `${l.from === l.to ? l.from : `${l.from}..${l.to}`}${l.note ? ` (${l.note})` : ''}`;
const comingLeave = (d: Doctor, today: string) => (d.leave ?? []).filter((l) => l.to >= today);

function renderList(r: ListResult, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r.doctors, null, 2));
  if (!r.doctors.length) return io.info('No doctors yet. Add one with `receptionist doctors add`.');
  const rows = r.doctors.map((d) => [
    d._id,
    d.name,
    d.specialty,
    formatWeeklyHours(d.weeklyHours),
    `${slotLength(d, r.clinicSlotMinutes)} min`,
    comingLeave(d, r.today).map(leaveText).join(', '),
  ]);
  if (io.isOutTTY) {
    io.line(renderTable(['ID', 'Name', 'Specialty', 'Hours', 'Slot', 'Leave'], rows, io, g.color));
    return io.error(`Hours are in the clinic's zone, ${r.timeZone}.`);
  }
  for (const row of rows) io.line(row.join('\t'));
}

interface ShowResult {
  doctor: Doctor;
  upcoming: number;
  clinicSlotMinutes: number;
  today: string;
  timeZone: string;
}

async function runShow(o: { ref: string }, ctx: Context): Promise<ShowResult> {
  const store = await ctx.store({ readOnly: true });
  const config = await requireBotConfig(store);
  const doctor = await stored(store, o.ref);
  return {
    doctor,
    upcoming: (await coming(store, config.clinic.timeZone, ctx.now(), { doctorId: doctor._id })).length,
    clinicSlotMinutes: config.clinic.slotMinutes,
    today: DateTime.fromJSDate(ctx.now(), { zone: config.clinic.timeZone }).toISODate()!,
    timeZone: config.clinic.timeZone,
  };
}

function renderShow(r: ShowResult, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify({ doctor: r.doctor, upcoming: r.upcoming }, null, 2));
  const d = r.doctor;
  const leave = comingLeave(d, r.today);
  io.line(`${d.name} (${d._id}), ${d.specialty}`);
  io.line(`  Hours     ${formatWeeklyHours(d.weeklyHours) || 'none'} (${r.timeZone})`);
  io.line(`  Slot      ${slotLength(d, r.clinicSlotMinutes)} min${d.slotMinutes ? '' : " (the clinic's)"}`);
  io.line(`  Leave     ${leave.length ? leave.map(leaveText).join(', ') : 'none coming'}`);
  io.line(`  Coming    ${r.upcoming} appointment(s)`);
}

// ---- add / update ----

interface DoctorChange {
  action: string;
  doctor: Doctor;
  /** Coming appointments the change leaves outside the doctor's hours or on their leave (kept). */
  outsideHours?: string[];
  booked?: string[];
}

interface AddOptions {
  name: string;
  specialty: string;
  weeklyHours: Doctor['weeklyHours'];
  slotMinutes?: number;
  id?: string;
}

/** `doctors add`. @throws UsageError (a bad --id, hours or slot length; an empty name or specialty) */
export function parseAdd(flags: AddFlags): AddOptions {
  const slot = parseSlotMinutes(flags.slotMinutes);
  const id = flags.id;
  if (id !== undefined && !/^[a-z0-9][a-z0-9-]{0,62}$/.test(id))
    throw new UsageError(`Invalid --id "${id}".`, 'Use lower-case letters, digits and dashes, e.g. dr-iyer.');
  const name = flags.name.trim();
  const specialty = flags.specialty.trim();
  if (!name || !specialty) throw new UsageError('--name and --specialty cannot be empty.');
  return {
    name,
    specialty,
    weeklyHours: attempt(() => parseWeeklyHours(flags.hours)),
    ...(slot ? { slotMinutes: slot } : {}),
    ...(id ? { id } : {}),
  };
}

async function runAdd(o: AddOptions, ctx: Context): Promise<DoctorChange> {
  const store = await ctx.store();
  await requireBotConfig(store);
  const all = await doctorsOf(store).find({});
  if (all.some((d) => d.name.toLowerCase() === o.name.toLowerCase()))
    throw new UserError(
      `There is a doctor called ${o.name} already.`,
      'Change them with `receptionist doctors update`.',
    );
  const taken = new Set(all.map((d) => d._id));
  if (o.id && taken.has(o.id)) throw new UsageError(`The id ${o.id} is taken.`);
  const doctor: Doctor = {
    _id: o.id ?? doctorIdFor(o.name, taken),
    name: o.name,
    specialty: o.specialty,
    weeklyHours: o.weeklyHours,
    ...(o.slotMinutes ? { slotMinutes: o.slotMinutes } : {}),
  };
  await doctorsOf(store).insertOne(doctor);
  await auditDeskChange(ctx, store, 'doctors.add', { doctorId: doctor._id });
  return { action: 'doctors.add', doctor };
}

interface UpdateOptions {
  ref: string;
  name?: string;
  specialty?: string;
  weeklyHours?: Doctor['weeklyHours'];
  slotMinutes?: number | null;
}

/** `doctors update`. @throws UsageError (empty name or specialty, bad hours or slot length, nothing to change) */
export function parseUpdate(flags: UpdateFlags): UpdateOptions {
  const hours = flags.hours;
  const o: UpdateOptions = {
    ref: flags.doctor,
    name: flags.name?.trim(),
    specialty: flags.specialty?.trim(),
    weeklyHours: hours === undefined ? undefined : attempt(() => parseWeeklyHours(hours)),
    slotMinutes: parseSlotMinutes(flags.slotMinutes),
  };
  if (o.name === '' || o.specialty === '') throw new UsageError('--name and --specialty cannot be empty.');
  if ([o.name, o.specialty, o.weeklyHours, o.slotMinutes].every((v) => v === undefined))
    throw new UsageError('Nothing to change.', 'Pass --name, --specialty, --hours or --slot-minutes.');
  return o;
}

async function runUpdate(o: UpdateOptions, ctx: Context): Promise<DoctorChange> {
  const store = await ctx.store();
  const config = await requireBotConfig(store);
  const before = await stored(store, o.ref);
  const set: Partial<Doctor> = {};
  if (o.name !== undefined) set.name = o.name;
  if (o.specialty !== undefined) set.specialty = o.specialty;
  if (o.weeklyHours !== undefined) set.weeklyHours = o.weeklyHours;
  if (typeof o.slotMinutes === 'number') set.slotMinutes = o.slotMinutes;
  await store.atomically(async () => {
    await doctorsOf(store).updateOne(
      { _id: before._id },
      { $set: set, ...(o.slotMinutes === null ? { $unset: { slotMinutes: true } } : {}) },
    );
    // Coming appointments show the doctor's name and specialty as they are now.
    if (set.name || set.specialty)
      await store.collection<Appointment>('appointments').updateMany(
        { doctorId: before._id, startMs: { $gt: ctx.now().getTime() } },
        {
          $set: {
            ...(set.name ? { doctorName: set.name } : {}),
            ...(set.specialty ? { specialty: set.specialty } : {}),
          },
        },
      );
  });
  const doctor = { ...before, ...set } as Doctor;
  if (o.slotMinutes === null) delete doctor.slotMinutes;
  const zone = config.clinic.timeZone;
  const outside = (await coming(store, zone, ctx.now(), { doctorId: doctor._id })).filter(
    (a) => !isSlotStart(doctor, DateTime.fromMillis(a.startMs, { zone }), config.clinic.slotMinutes),
  );
  await auditDeskChange(ctx, store, 'doctors.update', { doctorId: doctor._id, fields: Object.keys(set) });
  return { action: 'doctors.update', doctor, outsideHours: outside.map((a) => brief(a, zone)) };
}

function renderChange(r: DoctorChange, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r));
  const verb = r.action === 'doctors.add' ? 'Added' : 'Updated';
  io.info(
    `${verb} ${r.doctor.name} (${r.doctor._id}): ${r.doctor.specialty}, ${formatWeeklyHours(r.doctor.weeklyHours)}.`,
  );
  const kept = r.outsideHours ?? r.booked ?? [];
  if (kept.length)
    io.error(
      `Warning: ${kept.length} coming appointment(s) now fall outside their hours and stay booked: ${kept.join(', ')}. Move or cancel them with \`receptionist appointments reschedule|cancel\`.`,
    );
}

// ---- remove ----

interface RemoveOptions {
  ref: string;
  reassign?: string;
  cancel: boolean;
  reason: string;
}

interface RemoveResult {
  action: 'doctors.remove';
  doctor: Doctor;
  reassigned: string[];
  cancelled: string[];
  to?: string;
}

export function parseRemove(flags: RemoveFlags): RemoveOptions {
  if (flags.reassign && flags.cancel) throw new UsageError('--reassign and --cancel cannot be used together.');
  return {
    ref: flags.doctor,
    reassign: flags.reassign,
    cancel: Boolean(flags.cancel),
    reason: flags.reason,
  };
}

async function runRemove(o: RemoveOptions, ctx: Context): Promise<RemoveResult> {
  const store = await ctx.store();
  const config = await requireBotConfig(store);
  const zone = config.clinic.timeZone;
  const doctor = await stored(store, o.ref);
  // The other doctor as the tools see them (holidays in their leave).
  const all = await clinicDoctors(store);
  const target = o.reassign ? pickDoctor(all, o.reassign) : undefined;
  if (target?._id === doctor._id) throw new UsageError('--reassign names the doctor being removed.');
  const upcoming = await coming(store, zone, ctx.now(), { doctorId: doctor._id });
  if (upcoming.length && !target && !o.cancel)
    throw new UserError(
      `${doctor.name} has ${upcoming.length} appointment(s) coming: ${upcoming.map((a) => brief(a, zone)).join(', ')}.`,
      'Pass --reassign <doctor> to give them to another doctor at the same times, or --cancel to cancel them (the patients are notified).',
    );
  const result: RemoveResult = { action: 'doctors.remove', doctor, reassigned: [], cancelled: [], to: target?._id };
  // Cancelling tells the patients, which needs the blind-index key (what serve opens pending notifications with).
  const sealer = upcoming.length ? await writeOnlySealer(store, ctx) : undefined;
  const book = sealer ? new AppointmentBook(store, config.clinic, ctx.now, sealer) : undefined;
  if (target && book) {
    // All or none: every appointment is checked first, so a refusal changes nothing on any backend.
    const taken = await book.occupied(
      [target._id],
      DateTime.fromMillis(upcoming[0]!.startMs, { zone }),
      DateTime.fromMillis(upcoming.at(-1)!.startMs + 1, { zone }),
    );
    const refused = upcoming.flatMap((a) => {
      const start = DateTime.fromMillis(a.startMs, { zone });
      if (!book.isBookable(target, start)) return [`${brief(a, zone)}: ${target.name} does not see patients then`];
      if (taken.has(slotKey(target._id, start))) return [`${brief(a, zone)}: ${target.name} is booked then`];
      return [];
    });
    if (refused.length)
      throw new UserError(
        `${target.name} cannot take ${refused.length} of ${doctor.name}'s ${upcoming.length} coming appointment(s), so nothing was changed: ${refused.join('; ')}.`,
        'Move those with `receptionist appointments reschedule <id>` first, reassign to another doctor, or pass --cancel.',
      );
  }
  await store.atomically(async () => {
    for (const a of upcoming) {
      if (target) {
        const moved = await reassignAppointment(book!, a, target);
        // Booked meanwhile by another process: the step is undone where the store has transactions.
        if (!moved.ok)
          throw new UserError(`${brief(a, zone)} could not be given to ${target.name} (${moved.reason}); retry.`);
        result.reassigned.push(a.appointmentId);
      } else if (await cancelBooking(book!, a, o.reason)) result.cancelled.push(a.appointmentId);
    }
    // Holds callers placed on the doctor's slots give them back; past appointments keep the name.
    await store
      .collection<Appointment>('appointments')
      .updateMany(
        { doctorId: doctor._id, status: 'held' },
        { $set: { status: 'expired' }, $unset: { activeSlot: true } },
      );
    await doctorsOf(store).deleteMany({ _id: doctor._id });
  });
  await auditDeskChange(ctx, store, 'doctors.remove', {
    doctorId: doctor._id,
    reassigned: result.reassigned.length,
    cancelled: result.cancelled.length,
    ...(target ? { to: target._id } : {}),
  });
  return result;
}

function renderRemove(r: RemoveResult, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r));
  io.info(
    `Removed ${r.doctor.name} (${r.doctor._id}).${r.reassigned.length ? ` ${r.reassigned.length} coming appointment(s) now with ${r.to}: ${r.reassigned.join(', ')}.` : ''}${r.cancelled.length ? ` Cancelled ${r.cancelled.length} coming appointment(s): ${r.cancelled.join(', ')}.` : ''}`,
  );
}

// ---- leave ----

interface LeaveOptions {
  ref: string;
  days: { from: string; to: string };
  note?: string;
}

async function runLeaveAdd(o: LeaveOptions, ctx: Context): Promise<DoctorChange> {
  const store = await ctx.store();
  const config = await requireBotConfig(store);
  const doctor = await stored(store, o.ref);
  const clash = (doctor.leave ?? []).find((l) => l.from <= o.days.to && o.days.from <= l.to);
  if (clash) throw new UserError(`${doctor.name} is already on leave ${leaveText(clash)}.`, 'Remove that leave first.');
  const leave: Leave = { ...o.days, ...(o.note ? { note: o.note } : {}) };
  const next = [...(doctor.leave ?? []), leave].sort((a, b) => a.from.localeCompare(b.from));
  await doctorsOf(store).updateOne({ _id: doctor._id }, { $set: { leave: next } });
  const booked = await coming(store, config.clinic.timeZone, ctx.now(), { doctorId: doctor._id, days: o.days });
  await auditDeskChange(ctx, store, 'doctors.leave.add', { doctorId: doctor._id, ...o.days });
  return {
    action: 'doctors.leave.add',
    doctor: { ...doctor, leave: next },
    booked: booked.map((a) => brief(a, config.clinic.timeZone)),
  };
}

async function runLeaveRemove(o: { ref: string; from: string }, ctx: Context): Promise<DoctorChange> {
  const store = await ctx.store();
  const doctor = await stored(store, o.ref);
  const gone = (doctor.leave ?? []).find((l) => l.from === o.from);
  if (!gone)
    throw new UserError(
      `${doctor.name} has no leave starting ${o.from}.`,
      `Their leave: ${(doctor.leave ?? []).map(leaveText).join(', ') || 'none'}.`,
    );
  const next = (doctor.leave ?? []).filter((l) => l !== gone);
  await doctorsOf(store).updateOne({ _id: doctor._id }, { $set: { leave: next } });
  await auditDeskChange(ctx, store, 'doctors.leave.remove', { doctorId: doctor._id, from: gone.from, to: gone.to });
  return { action: 'doctors.leave.remove', doctor: { ...doctor, leave: next } };
}

function renderLeave(r: DoctorChange, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r));
  const leave = r.doctor.leave ?? [];
  io.info(
    `${r.action === 'doctors.leave.add' ? 'Added leave for' : 'Removed leave of'} ${r.doctor.name}. Their leave: ${leave.map(leaveText).join(', ') || 'none'}.`,
  );
  if (r.booked?.length)
    io.error(
      `Warning: ${r.booked.length} appointment(s) are booked on those days and stay booked: ${r.booked.join(', ')}. Move or cancel them with \`receptionist appointments reschedule|cancel\`.`,
    );
}

// ---- holidays ----

const holidaysOf = (store: Store) => store.collection<Holiday>('holidays');

async function runHolidaysList(_o: unknown, ctx: Context): Promise<Holiday[]> {
  const store = await ctx.store({ readOnly: true });
  return holidaysOf(store).find({}, { sort: { from: 1 } });
}

function renderHolidays(rows: Holiday[], _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json)
    return io.line(
      JSON.stringify(
        rows.map(({ from, to, name }) => ({ from, to, name })),
        null,
        2,
      ),
    );
  if (!rows.length) return io.info('No clinic holidays.');
  for (const h of rows) io.line(`${h.from === h.to ? h.from : `${h.from}..${h.to}`}\t${h.name}`);
}

interface HolidayResult {
  action: string;
  holiday: { from: string; to: string; name: string };
  booked?: string[];
}

async function runHolidaysAdd(
  o: { days: { from: string; to: string }; name: string },
  ctx: Context,
): Promise<HolidayResult> {
  const store = await ctx.store();
  const config = await requireBotConfig(store);
  const clash = (await holidaysOf(store).find({})).find((h) => h.from <= o.days.to && o.days.from <= h.to);
  if (clash)
    throw new UserError(
      `${clash.from === clash.to ? clash.from : `${clash.from}..${clash.to}`} is already a holiday (${clash.name}).`,
    );
  const holiday: Holiday = { _id: o.days.from, ...o.days, name: o.name };
  await holidaysOf(store).insertOne(holiday);
  const booked = await coming(store, config.clinic.timeZone, ctx.now(), { days: o.days });
  await auditDeskChange(ctx, store, 'doctors.holidays.add', { ...o.days });
  return {
    action: 'doctors.holidays.add',
    holiday: { ...o.days, name: o.name },
    booked: booked.map((a) => brief(a, config.clinic.timeZone)),
  };
}

async function runHolidaysRemove(o: { from: string }, ctx: Context): Promise<HolidayResult> {
  const store = await ctx.store();
  const h = await holidaysOf(store).findOne({ _id: o.from });
  if (!h)
    throw new UserError(`No clinic holiday starts ${o.from}.`, 'See them with `receptionist doctors holidays list`.');
  await holidaysOf(store).deleteMany({ _id: o.from });
  await auditDeskChange(ctx, store, 'doctors.holidays.remove', { from: h.from, to: h.to });
  return { action: 'doctors.holidays.remove', holiday: { from: h.from, to: h.to, name: h.name } };
}

function renderHoliday(r: HolidayResult, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r));
  const days = r.holiday.from === r.holiday.to ? r.holiday.from : `${r.holiday.from}..${r.holiday.to}`;
  io.info(
    `${r.action === 'doctors.holidays.add' ? 'Added' : 'Removed'} the clinic holiday ${days} (${r.holiday.name}).`,
  );
  if (r.booked?.length)
    io.error(
      `Warning: ${r.booked.length} appointment(s) are booked then and stay booked: ${r.booked.join(', ')}. Move or cancel them with \`receptionist appointments reschedule|cancel\`.`,
    );
}

/** A day or an inclusive range of days (`2026-12-24..2026-12-26`). @throws UsageError */
export const parseDays = (v: string) => attempt(() => parseDayRange(v));
/** One day, not a range. @throws UsageError */
export const parseFirstDay = (v: string) => {
  const d = parseDays(v);
  if (d.from !== d.to) throw new UsageError(`Give the first day only (${d.from}), not a range.`);
  return d.from;
};

interface FeedResult {
  doctor: string;
  url: string;
  rotated: boolean;
}

async function runFeedUrl(o: { ref: string; rotate: boolean; publicUrl?: string }, ctx: Context): Promise<FeedResult> {
  const store = await ctx.store();
  const config = await requireBotConfig(store);
  const sealer = await writeOnlySealer(store, ctx);
  const doctor = await stored(store, o.ref);
  const base =
    o.publicUrl ??
    ctx.env.get('RECEPTIONIST_PUBLIC_URL')?.value ??
    config.vapi?.serverUrl?.replace(/\/webhook\/?$/, '');
  if (!base)
    throw new UsageError(
      'No public URL of serve is known.',
      'Pass --public-url (your tunnel or proxy, e.g. https://clinic.example.com), or set RECEPTIONIST_PUBLIC_URL.',
    );
  if (o.rotate) {
    doctor.feedVersion = (doctor.feedVersion ?? 1) + 1;
    await doctorsOf(store).updateOne({ _id: doctor._id }, { $set: { feedVersion: doctor.feedVersion } });
    await auditDeskChange(ctx, store, 'doctors.feed.rotate', { doctorId: doctor._id, version: doctor.feedVersion });
  }
  return { doctor: doctor._id, url: `${base.replace(/\/+$/, '')}${feedPath(doctor, sealer)}`, rotated: o.rotate };
}

/** `doctors feed-url`. @throws UsageError (a --public-url that is not http(s)) */
export function parseFeedUrl(f: FeedUrlFlags): { ref: string; rotate: boolean; publicUrl?: string } {
  const publicUrl = f.publicUrl;
  if (publicUrl && !/^https?:\/\//.test(publicUrl)) throw new UsageError(`Invalid --public-url "${publicUrl}".`);
  return { ref: f.doctor, rotate: f.rotate === true, publicUrl };
}
/** `doctors show`. */
export const parseShow = (f: ShowFlags) => ({ ref: f.doctor });
/** `doctors leave add`. @throws UsageError (bad days) */
export const parseLeaveAdd = (f: LeaveAddFlags) => ({ ref: f.doctor, days: parseDays(f.days), note: f.note });
/** `doctors leave remove`. @throws UsageError (a bad day, or a range) */
export const parseLeaveRemove = (f: LeaveRemoveFlags) => ({ ref: f.doctor, from: parseFirstDay(f.from) });
/** `doctors holidays add`. @throws UsageError (bad days, an empty name) */
export function parseHolidaysAdd(f: HolidaysAddFlags) {
  const name = f.name.trim();
  if (!name) throw new UsageError('--name cannot be empty.');
  return { days: parseDays(f.days), name };
}
/** `doctors holidays remove`. @throws UsageError (a bad day, or a range) */
export const parseHolidaysRemove = (f: HolidaysRemoveFlags) => ({ from: parseFirstDay(f.from) });

export const feedUrl = implement({
  parse: parseFeedUrl,
  run: runFeedUrl,
  render: (r: FeedResult, _o, { io, globals: g }) => {
    if (g.json) return io.line(JSON.stringify(r));
    io.line(r.url);
    if (r.rotated) io.info('The old URL no longer works; subscribe to this one.');
  },
});
export const list = implement({ parse: noFlags, run: runList, render: renderList });
export const show = implement({ parse: parseShow, run: runShow, render: renderShow });
export const add = implement({ parse: parseAdd, run: runAdd, render: renderChange });
export const update = implement({ parse: parseUpdate, run: runUpdate, render: renderChange });
export const remove = implement({ parse: parseRemove, run: runRemove, render: renderRemove });
export const leaveAdd = implement({
  parse: parseLeaveAdd,
  run: runLeaveAdd,
  render: renderLeave,
});
export const leaveRemove = implement({
  parse: parseLeaveRemove,
  run: runLeaveRemove,
  render: renderLeave,
});
export const holidaysList = implement({ parse: noFlags, run: runHolidaysList, render: renderHolidays });
export const holidaysAdd = implement({
  parse: parseHolidaysAdd,
  run: runHolidaysAdd,
  render: renderHoliday,
});
export const holidaysRemove = implement({
  parse: parseHolidaysRemove,
  run: runHolidaysRemove,
  render: renderHoliday,
});
