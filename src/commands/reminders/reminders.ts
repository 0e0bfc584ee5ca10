import { DateTime } from 'luxon';
import { normaliseSpokenId } from '../../domain/ids.js';
import { cancelReminders, listReminders, type DeliveryState, type OutboxEntry } from '../../domain/outbox.js';
import { PartialFailureError, UsageError } from '../../errors.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { CancelFlags, ListFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { auditDeskChange } from '../shared/front-desk.js';
import { dayFlag, dayIn, parseLimit } from '../shared/parse.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { renderTable } from '../shared/table.js';

/** A reminder as `reminders list` prints it: no patient data. Times UTC ISO 8601. */
export interface ReminderRow {
  /** The outbox entry (`msg_…`): the idempotency key of every delivery. */
  id: string;
  appointmentId: string;
  status: OutboxEntry['status'];
  dueAt: string;
  /** From the appointment, when it is still in the store. */
  appointmentStart?: string;
  doctorName?: string;
  /** The clinic's reminder channels when it was made (outgoing webhooks come on top). */
  channels: string[];
  deliveries: Record<string, DeliveryState>;
  lastError?: string;
  cancelReason?: string;
}

interface ListOptions {
  status: OutboxEntry['status'] | 'all';
  from?: string;
  to?: string;
  appointment?: string;
  limit?: number;
}

const appointmentId = (v: string) => {
  const out = normaliseSpokenId(v);
  if (!out) throw new UsageError(`Invalid appointment ID "${v}".`, 'E.g. K7MHQPXY4 (spaces and dashes are ignored).');
  return out;
};

async function runList(o: ListOptions, ctx: Context): Promise<{ rows: ReminderRow[]; timeZone: string }> {
  const store = await ctx.store({ readOnly: true });
  const { timeZone } = (await requireBotConfig(store)).clinic;
  const entries = await listReminders(store, {
    ...(o.status !== 'all' ? { status: o.status } : {}),
    ...(o.from ? { from: dayIn(o.from, timeZone, ctx.now()).toMillis() } : {}),
    ...(o.to ? { to: dayIn(o.to, timeZone, ctx.now()).plus({ days: 1 }).toMillis() } : {}),
    ...(o.appointment ? { appointmentId: o.appointment } : {}),
    ...(o.limit ? { limit: o.limit } : {}),
  });
  const subjects = [...new Set(entries.map((e) => e.subject))];
  const appts = subjects.length
    ? await store
        .collection('appointments')
        .find({ appointmentId: { $in: subjects } }, { fields: ['appointmentId', 'start', 'doctorName'] })
    : [];
  const byId = new Map(appts.map((a) => [a.appointmentId, a]));
  const rows = entries.map((e): ReminderRow => {
    const a = byId.get(e.subject);
    return {
      id: e._id,
      appointmentId: e.subject,
      status: e.status,
      dueAt: new Date(e.dueAt).toISOString(),
      ...(a ? { appointmentStart: a.start, doctorName: a.doctorName } : {}),
      channels: e.channels ?? [],
      deliveries: e.deliveries,
      ...(e.lastError ? { lastError: e.lastError } : {}),
      ...(e.cancelReason ? { cancelReason: e.cancelReason } : {}),
    };
  });
  return { rows, timeZone };
}

function renderList(
  r: { rows: ReminderRow[]; timeZone: string },
  o: ListOptions,
  { io, globals: g }: RenderContext,
): void {
  if (g.json) return io.line(JSON.stringify(r.rows, null, 2));
  if (!r.rows.length)
    return io.info(
      `No ${o.status === 'all' ? '' : `${o.status} `}reminders${o.appointment ? ` for ${o.appointment}` : ''}.`,
    );
  const at = (iso: string) => DateTime.fromISO(iso, { zone: r.timeZone }).toFormat('ccc d LLL yyyy HH:mm');
  const cells = r.rows.map((x) => [
    at(x.dueAt),
    x.id,
    x.appointmentId,
    x.doctorName ?? '',
    x.appointmentStart ? at(x.appointmentStart) : '',
    x.status,
    Object.keys(x.deliveries).length
      ? Object.entries(x.deliveries)
          .map(([ch, d]) => `${ch} ${d.status}`)
          .join(', ')
      : x.channels.join(', '),
    x.cancelReason ?? x.lastError ?? '',
  ]);
  if (io.isOutTTY) {
    io.line(
      renderTable(
        ['Due', 'Reminder', 'Appointment', 'Doctor', 'Appointment time', 'Status', 'Channels', 'Note'],
        cells,
        io,
        g.color,
      ),
    );
    return io.info(`Times in ${r.timeZone}.`);
  }
  for (const c of cells) io.line(c.join('\t'));
}

async function runCancel(o: { ids: string[] }, ctx: Context): Promise<Array<{ id: string; cancelled: number }>> {
  const store = await ctx.store();
  const out: Array<{ id: string; cancelled: number }> = [];
  for (const id of o.ids) {
    const query = id.startsWith('msg_') ? { id } : { appointmentId: appointmentId(id) };
    const cancelled = await cancelReminders(store, query, ctx.now(), 'reminders cancel');
    out.push({ id: 'id' in query ? id : query.appointmentId, cancelled });
  }
  const done = out.filter((r) => r.cancelled);
  if (done.length) await auditDeskChange(ctx, store, 'reminders.cancel', { ids: done.map((r) => r.id) });
  return out;
}

function renderCancel(rows: Array<{ id: string; cancelled: number }>, _o: unknown, { io, globals: g }: RenderContext) {
  if (g.json) io.line(JSON.stringify(rows));
  else
    for (const r of rows)
      if (r.cancelled)
        io.line(`Cancelled ${r.cancelled === 1 ? 'the reminder' : `${r.cancelled} reminders`} of ${r.id}.`);
  const missing = rows.filter((r) => !r.cancelled);
  if (missing.length)
    throw new PartialFailureError(
      `No pending reminder for ${missing.map((r) => r.id).join(', ')}.`,
      '`receptionist reminders list --status all --appointment <id>` shows what there was (already sent, cancelled, or none made).',
    );
}

/** `reminders list`. @throws UsageError (a bad day, appointment ID or --limit) */
export const parseList = (f: ListFlags): ListOptions => ({
  status: f.status ?? 'pending',
  from: dayFlag(f.from, '--from'),
  to: dayFlag(f.to, '--to'),
  ...(f.appointment !== undefined ? { appointment: appointmentId(f.appointment) } : {}),
  limit: parseLimit(f.limit),
});

/**
 * `reminders cancel`: appointment IDs and `msg_…` outbox IDs, all checked before anything is
 * cancelled, so one malformed ID cancels none. @throws UsageError
 */
export function parseCancel(f: CancelFlags): { ids: string[] } {
  const ids = f.id;
  for (const id of ids) if (!id.startsWith('msg_')) appointmentId(id);
  return { ids };
}

export const list = implement({
  parse: parseList,
  run: runList,
  render: renderList,
});

export const cancel = implement({
  parse: parseCancel,
  run: runCancel,
  render: renderCancel,
});
