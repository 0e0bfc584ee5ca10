import { DateTime } from 'luxon';
import type { Doctor } from '../../domain/clinic.js';
import { clinicDoctors, doctorIdFor, formatWeeklyHours, parseWeeklyHours, slotLength } from '../../domain/doctors.js';
import { AppointmentBook } from '../../domain/appointments.js';
import { cancelBooking, reassignAppointment } from '../../domain/booking.js';
import { isSlotStart, slotKey } from '../../domain/schedule.js';
import { UsageError, UserError } from '../../errors.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type { AddFlags, FeedUrlFlags, RemoveFlags, ShowFlags, UpdateFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { writeOnlySealer } from '../../domain/sealing-keys.js';
import { auditDeskChange, pickDoctor } from '../shared/front-desk.js';
import { feedPath } from '../../notify/calendar-feed.js';
import { renderTable } from '../shared/table.js';
import { attempt, brief, coming, doctorsOf, leaveText, parseSlotMinutes, stored, type DoctorChange } from './common.js';

export { parseDays, parseFirstDay, parseSlotMinutes } from './common.js';
export { parseLeaveAdd, parseLeaveRemove } from './leave.js';
export { parseHolidaysAdd, parseHolidaysRemove } from './holidays.js';

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
      await store.collection('appointments').updateMany(
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
      .collection('appointments')
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
