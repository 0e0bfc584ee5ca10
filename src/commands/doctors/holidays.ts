import type { Holiday } from '../../domain/clinic.js';
import type { Store } from '../../store/types.js';
import { UsageError, UserError } from '../../errors.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type { Context } from '../shared/context.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { auditDeskChange } from '../shared/front-desk.js';
import type { HolidaysAddFlags, HolidaysRemoveFlags } from './index.js';
import { brief, coming, parseDays, parseFirstDay } from './common.js';

// `doctors holidays list|add|remove`: days the whole clinic is closed.

const holidaysOf = (store: Store) => store.collection('holidays');

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

/** `doctors holidays add`. @throws UsageError (bad days, an empty name) */
export function parseHolidaysAdd(f: HolidaysAddFlags) {
  const name = f.name.trim();
  if (!name) throw new UsageError('--name cannot be empty.');
  return { days: parseDays(f.days), name };
}
/** `doctors holidays remove`. @throws UsageError (a bad day, or a range) */
export const parseHolidaysRemove = (f: HolidaysRemoveFlags) => ({ from: parseFirstDay(f.from) });

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
