import type { Leave } from '../../domain/clinic.js';
import { UserError } from '../../errors.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { Context } from '../shared/context.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { auditDeskChange } from '../shared/front-desk.js';
import type { LeaveAddFlags, LeaveRemoveFlags } from './index.js';
import { brief, coming, doctorsOf, leaveText, parseDays, parseFirstDay, stored, type DoctorChange } from './common.js';

// `doctors leave add|remove`: a doctor's days away; callers hear they are away, and the nearest free times.

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

/** `doctors leave add`. @throws UsageError (bad days) */
export const parseLeaveAdd = (f: LeaveAddFlags) => ({ ref: f.doctor, days: parseDays(f.days), note: f.note });
/** `doctors leave remove`. @throws UsageError (a bad day, or a range) */
export const parseLeaveRemove = (f: LeaveRemoveFlags) => ({ ref: f.doctor, from: parseFirstDay(f.from) });

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
