import { PROVIDER_KEYS } from '../../domain/config-keys.js';
import type { FastifyRequest } from 'fastify';
import { DateTime } from 'luxon';
import { ConfirmationNeededError, UsageError } from '../../errors.js';
import { bookAtDesk, cancelAtDesk, DeskInputError, FrontDesk, rescheduleAtDesk } from '../../domain/front-desk.js';
import { normaliseSpokenId } from '../../domain/ids.js';
import { frontDesk } from '../shared/front-desk.js';
import { deskUsageError } from '../shared/user-errors.js';
import { writeOnlySealer } from '../shared/sealer.js';
import { CONFIG_KEYS, getConfigValue } from '../../vapi/bot-config-edit.js';
import { optionsCatalog } from '../../vapi/options.js';
import type { CommandModule, Flags } from '../shared/command.js';
import type { Context } from '../shared/context.js';
import { requireBotConfig } from '../shared/store.js';
import { dayFlag, dayIn } from '../shared/parse.js';
import { formatWeeklyHours } from '../../domain/doctors.js';
import type { RequestScope } from './server.js';
import type { Response, Route } from '../../studio/contract.js';

/** Registers a route of the contract; its handler must answer the contract's response. */
type RouteFn = <K extends Route>(
  route: K,
  opts: { role?: 'admin' },
  handler: (req: FastifyRequest, scope: RequestScope) => Promise<Response<K>>,
) => unknown;

/**
 * Runs a command's own parse and run, as the command line does with these flags: the studio
 * shares every rule (holds, hours, validation, audit) with the CLI instead of copying it.
 */
async function command<O, R, F>(load: Promise<CommandModule<O, R, F>>, flags: F, ctx: Context): Promise<R> {
  const m = await load;
  return m.run(m.parse(flags, ctx.env, ctx.now()), ctx);
}

const appointments = () => import('../appointments/appointments.js');
const doctors = () => import('../doctors/doctors.js');

/** How the Book and Move forms name their fields in errors. */
const FIELD_NAMES: Record<DeskInputError['field'] | 'name' | 'reason', string> = {
  at: 'time',
  email: 'email',
  phone: 'phone',
  specialty: 'specialty',
  doctor: 'doctor',
  name: "patient's name",
  reason: 'reason for the visit',
};
/** `fn`, a desk field it cannot read named as the form names it (the command line names its flag). */
async function namingFields<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof DeskInputError) throw deskUsageError(err, (field) => FIELD_NAMES[field]);
    throw err;
  }
}

/** An appointment ID from the URL, normalised. @throws UsageError when nothing is left */
function appointmentId(raw: string): string {
  const id = normaliseSpokenId(raw);
  if (!id) throw new UsageError(`Invalid appointment ID "${raw}".`);
  return id;
}

/** The `:id` (or other named) parameter of a route. */
const param = (req: FastifyRequest, name = 'id') => (req.params as Record<string, string>)[name]!;

/**
 * The body's `password`, with which this request's `ctx.keyring()` becomes the user's full keys
 * (checked, slowed and audited as the CLI's unlock). @throws UsageError when there is none
 */
function unlockFromBody(req: FastifyRequest, scope: RequestScope, what: string): void {
  const password = (req.body as { password?: unknown } | undefined)?.password;
  if (typeof password !== 'string' || !password) throw new UsageError(`Give your password to open the ${what}.`);
  scope.unlockWith(password);
}

/** The query string's or body's fields as strings (anything else left out). */
function fields(source: unknown, names: readonly string[]): Record<string, string> {
  const o = (source ?? {}) as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const n of names) {
    const v = o[n];
    if (typeof v === 'string' && v !== '') out[n] = v;
    else if (typeof v === 'number') out[n] = String(v);
  }
  return out;
}

/** A config value as the Assistant form holds it: text or a number, null when unset. */
const formValue = (v: unknown): string | number | null =>
  v === undefined || v === null ? null : typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);

/** The bot-config keys the Assistant page edits (a subset of `config set`'s). */
export const ASSISTANT_KEYS = ['name', 'firstMessage', 'systemPrompt', ...PROVIDER_KEYS] as const;

/** Routes of the JSON API (see docs/studio.md for each one's shape). */
export function registerApi(route: RouteFn, base: Context): void {
  // ---- Today: appointments, doctors, AC service visits ----
  route('GET /api/clinic', {}, async (_req, { ctx }) => {
    const config = await requireBotConfig(await ctx.store());
    const zone = config.clinic.timeZone;
    return {
      name: config.clinic.name,
      timeZone: zone,
      today: DateTime.fromJSDate(ctx.now(), { zone }).toISODate()!,
      slotMinutes: config.clinic.slotMinutes,
      bookingHorizonDays: config.clinic.bookingHorizonDays,
    };
  });

  // The week's (or day's) appointments with patients' names: an opening, audited as `appointments list --decrypt`.
  route('GET /api/appointments', {}, async (req, { ctx }) => {
    const q = fields(req.query, ['from', 'to', 'doctor', 'status']);
    return command(
      appointments().then((m) => m.list),
      { ...q, decrypt: true },
      ctx,
    );
  });
  // Booked, moved and cancelled by the front desk, as `appointments book|reschedule|cancel` do.
  route('POST /api/appointments', {}, async (req, { ctx }) => {
    const body = fields(req.body, ['doctor', 'specialty', 'at', 'name', 'phone', 'email', 'reason']);
    const need = (k: 'at' | 'name' | 'phone' | 'email' | 'reason') => {
      const v = body[k]?.trim();
      if (!v) throw new UsageError(`Give the ${FIELD_NAMES[k]}.`);
      return v;
    };
    if (!body.doctor === !body.specialty) throw new UsageError('Give a doctor or a specialty.');
    const key = req.headers['idempotency-key'];
    const input = {
      doctor: body.doctor,
      specialty: body.specialty,
      at: need('at'),
      name: need('name'),
      phone: need('phone'),
      email: need('email'),
      reason: need('reason'),
      ...(typeof key === 'string' && key ? { idempotencyKey: key } : {}),
    };
    return namingFields(async () => bookAtDesk(await frontDesk(ctx), input));
  });
  route('POST /api/appointments/:id/move', {}, async (req, { ctx }) => {
    const at = fields(req.body, ['at']).at?.trim();
    if (!at) throw new UsageError('Give the new time.');
    return namingFields(async () => rescheduleAtDesk(await frontDesk(ctx), appointmentId(param(req)), at));
  });
  route('POST /api/appointments/:id/cancel', {}, async (req, { ctx }) => {
    const reason = fields(req.body, ['reason']).reason?.trim();
    if (!reason) throw new UsageError('Give the reason for cancelling.');
    return cancelAtDesk(await frontDesk(ctx), appointmentId(param(req)), reason);
  });
  // The slots the front desk would book now, per doctor, on one day: what Today offers.
  route('GET /api/slots', {}, async (req, { ctx }) => {
    const store = await ctx.store();
    const config = await requireBotConfig(store);
    const zone = config.clinic.timeZone;
    const day = dayIn(dayFlag(fields(req.query, ['date']).date ?? 'today', 'date')!, zone, ctx.now());
    const desk = new FrontDesk(store, config.clinic, ctx.now, await writeOnlySealer(store, ctx));
    const free = await desk.bookableSlots(await desk.doctors(), day);
    return {
      date: day.toISODate()!,
      timeZone: zone,
      slots: free.map((s) => ({ doctorId: s.doctor._id, start: s.start.toUTC().toISO()! })),
    };
  });
  // One appointment in full (phone, email, reason), after the admin's password: `appointments show --decrypt`.
  route('POST /api/appointments/:id/decrypt', { role: 'admin' }, async (req, scope) => {
    unlockFromBody(req, scope, 'appointment');
    return command(
      appointments().then((m) => m.show),
      { id: param(req), decrypt: true },
      scope.ctx,
    );
  });
  // AC service visits booked by the voice tool (`schedule_ac_service`); the sealed issue is not shown.
  route('GET /api/service-visits', {}, async (req, { ctx }) => {
    const store = await ctx.store();
    const zone = (await requireBotConfig(store)).clinic.timeZone;
    const q = fields(req.query, ['from', 'to']);
    const from = dayIn(dayFlag(q.from ?? 'today', 'from')!, zone, ctx.now()).toISODate()!;
    const to = q.to ? dayIn(dayFlag(q.to, 'to')!, zone, ctx.now()).toISODate()! : from;
    const visits = await store
      .collection('ac_service_visits')
      .find({ date: { $gte: from, $lte: to } }, { sort: { date: 1 }, limit: 500 });
    return visits.map((v) => ({
      visitId: v.visitId,
      customerId: v.customerId,
      serialNumber: v.serialNumber,
      date: v.date,
      window: v.window,
      status: v.status,
      isInWarranty: v.isInWarranty,
    }));
  });

  // ---- Doctors: hours and leave ----
  // Each doctor's hours also in the notation `doctors update --hours` reads, for editing.
  route('GET /api/doctors', {}, async (_req, { ctx }) => {
    const r = await command(
      doctors().then((m) => m.list),
      {},
      ctx,
    );
    return { ...r, doctors: r.doctors.map((d) => ({ ...d, hours: formatWeeklyHours(d.weeklyHours) })) };
  });
  route('PUT /api/doctors/:doctor/hours', {}, async (req, { ctx }) =>
    command(
      doctors().then((m) => m.update),
      { doctor: param(req, 'doctor'), hours: fields(req.body, ['hours']).hours ?? '' },
      ctx,
    ),
  );
  route('POST /api/doctors/:doctor/leave', {}, async (req, { ctx }) => {
    const b = fields(req.body, ['from', 'to', 'note']);
    if (!b.from) throw new UsageError('Give the first day of the leave.');
    return command(
      import('../doctors/leave.js').then((m) => m.leaveAdd),
      { doctor: param(req, 'doctor'), days: b.to ? `${b.from}..${b.to}` : b.from, note: b.note },
      ctx,
    );
  });
  route('DELETE /api/doctors/:doctor/leave/:from', {}, async (req, { ctx }) => {
    return command(
      import('../doctors/leave.js').then((m) => m.leaveRemove),
      { doctor: param(req, 'doctor'), from: param(req, 'from') },
      ctx,
    );
  });

  // ---- Notifications: the outbox ----
  route('GET /api/outbox', {}, async (req, { ctx }) => {
    const q = fields(req.query, ['status']);
    if (q.status && !['pending', 'delivered', 'dead', 'cancelled'].includes(q.status))
      throw new UsageError(`Invalid status "${q.status}".`, 'Use pending, delivered, dead or cancelled.');
    return command(
      import('../outbox/outbox.js').then((m) => m.list),
      { ...q, limit: '200' },
      ctx,
    );
  });
  route('POST /api/outbox/retry', {}, async (req, { ctx }) =>
    command(
      import('../outbox/outbox.js').then((m) => m.retry),
      fields(req.body, ['id']),
      ctx,
    ),
  );

  // ---- Calls ----
  route('GET /api/calls', {}, async (req, { ctx }) => {
    const q = fields(req.query, ['date', 'endedReason', 'caller', 'limit']);
    const m = await import('../logs/logs.js');
    const flags: Flags = {
      endedReason: q.endedReason,
      caller: q.caller,
      limit: q.limit ?? '100',
      ...(q.date ? { since: q.date, until: q.date } : {}),
    };
    if (q.date && !/^\d{4}-\d\d-\d\d$/.test(q.date))
      throw new UsageError(`Invalid date "${q.date}".`, 'Give a day as YYYY-MM-DD.');
    const r = await m.logs.run(m.parseLogsOptions(flags, ctx.env), ctx);
    const rows = [];
    for await (const row of r.rows) rows.push(m.jsonRow(row));
    return { rows, timeZone: r.timeZone };
  });
  route('GET /api/calls/:id', {}, async (req, { ctx }) => oneCall(param(req), ctx, false));
  // Sealed fields of one call, after the admin's password: an opening audited as `logs --decrypt --call`.
  route('POST /api/calls/:id/decrypt', { role: 'admin' }, async (req, scope) => {
    unlockFromBody(req, scope, 'call');
    return oneCall(param(req), scope.ctx, true);
  });

  // ---- Assistant: the bot config, the options Vapi accepts, and publishing (sync) ----
  route('GET /api/assistant', {}, async (_req, { ctx }) => {
    const config = await requireBotConfig(await ctx.store());
    const catalog = optionsCatalog();
    return {
      values: Object.fromEntries(ASSISTANT_KEYS.map((k) => [k, formValue(getConfigValue(config, k))])),
      descriptions: Object.fromEntries(ASSISTANT_KEYS.map((k) => [k, CONFIG_KEYS[k] ?? ''])),
      options: { voices: catalog.voices, transcribers: catalog.transcribers, models: catalog.models },
      synced: { assistantId: config.vapi?.assistantId ?? null, serverUrl: config.vapi?.serverUrl ?? null },
      vapiKey: Boolean(base.env.get('VAPI_API_KEY')?.value),
    };
  });
  route('PUT /api/assistant', { role: 'admin' }, async (req, { ctx }) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const pairs: Array<[string, string]> = [];
    for (const [k, v] of Object.entries(body)) {
      if (!(ASSISTANT_KEYS as readonly string[]).includes(k))
        throw new UsageError(`The Assistant page cannot set "${k}".`, `It sets ${ASSISTANT_KEYS.join(', ')}.`);
      if (typeof v !== 'string' && typeof v !== 'number') throw new UsageError(`${k} must be text.`);
      // A value is the text itself: `config set`'s @file form is for the command line only.
      const text = String(v);
      pairs.push([k, text.startsWith('@') ? `@${text}` : text]);
    }
    if (!pairs.length) throw new UsageError('Nothing to save.');
    const force = (req.query as Record<string, unknown>).force === '1';
    try {
      const { runSet } = await import('../config/config.js');
      return { changes: await runSet({ pairs, force }, ctx) };
    } catch (err) {
      // What `config set` refuses without --force: the page asks for a second press instead.
      if (err instanceof ConfirmationNeededError)
        throw new ConfirmationNeededError(err.message, 'Press “Save anyway” if that is what you want.');
      throw err;
    }
  });
  const plan = async (ctx: Context, flags: Flags) => {
    const m = await import('../sync/sync.js');
    const r = await m.sync.run(m.sync.parse(flags, ctx.env, ctx.now()), ctx);
    return { ...r, plan: r.plan.map(({ body: _b, ...p }) => p) };
  };
  route('POST /api/assistant/plan', { role: 'admin' }, async (req, { ctx }) =>
    plan(ctx, { dryRun: true, ...fields(req.body, ['serverUrl']) }),
  );
  // Drift on Vapi is refused as `sync` refuses it (there is no --force here): it is shown, not overwritten.
  route('POST /api/assistant/publish', { role: 'admin' }, async (req, { ctx }) =>
    plan(ctx, fields(req.body, ['serverUrl'])),
  );

  // ---- Metrics: the figures of `receptionist metrics`, by day, ended reason and assistant ----
  route('GET /api/metrics', {}, async (req, { ctx }) => {
    const q = fields(req.query, ['since']);
    const m = await import('../metrics/metrics.js');
    const by = async (group: 'day' | 'endedReason' | 'assistant') =>
      m.runMetrics(m.parseMetricsOptions({ by: group, since: q.since ?? '30d' }), ctx);
    const [day, endedReason, assistant] = await Promise.all([by('day'), by('endedReason'), by('assistant')]);
    return {
      since: day.since,
      timeZone: day.timeZone,
      day: day.rows,
      endedReason: endedReason.rows,
      assistant: assistant.rows,
    };
  });
}

/** One call in full (`logs --call`), its sealed fields opened when `decrypt` (the request unlocked the keys). */
async function oneCall(id: string, ctx: Context, decrypt: boolean) {
  const m = await import('../logs/logs.js');
  const r = await m.logs.run(
    m.parseLogsOptions({ call: id, ...(decrypt ? { decrypt: true as const } : {}) }, ctx.env),
    ctx,
  );
  const rows = [];
  for await (const row of r.rows) rows.push(m.jsonRow(row));
  // `logs --call` of an unknown call fails (exit 1, 422): a row is there.
  return { call: rows[0]!, timeZone: r.timeZone };
}
