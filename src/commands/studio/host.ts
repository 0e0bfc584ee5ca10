import { DateTime } from 'luxon';
import { ConfirmationNeededError, NeedsInputError, UsageError, UserError } from '../../errors.js';
import { createMemoryIO } from '../../io.js';
import type { Prompter } from '../../prompter.js';
import { PROVIDER_KEYS } from '../../domain/config-keys.js';
import { bookAtDesk, cancelAtDesk, DeskInputError, rescheduleAtDesk } from '../../domain/front-desk.js';
import { normaliseSpokenId } from '../../domain/ids.js';
import { formatWeeklyHours } from '../../domain/doctors.js';
import { unlock, wipe, type Unlocked } from '../../domain/keyring.js';
import { CONFIG_KEYS, getConfigValue } from '../../vapi/bot-config-edit.js';
import { optionsCatalog } from '../../vapi/options.js';
import type { StudioSession } from '../../studio/auth.js';
import type { CallView } from '../../studio/contract.js';
import type { RequestScope, StudioHost, StudioOperations } from '../../studio/operations.js';
import type { Context } from '../shared/context.js';
import { frontDesk } from '../shared/desk.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { dayFlag, dayIn, parseSinceFlag } from '../shared/parse.js';
import { deskUsageError, toUserError } from '../shared/user-errors.js';

/**
 * What `receptionist studio` hands its web server (src/studio/): the command's store and clock,
 * each request's {@link Context} as the signed-in user, and the operations of the API, each the
 * command line's own code run with the request's typed input (the front desk; `run` of `logs`,
 * `metrics`, `sync`, `config set`, `doctors`, `outbox`), never with made-up flags.
 */
export function studioHost(base: Context): StudioHost<Context> {
  return {
    store: () => base.store(),
    now: () => base.now(),
    sleep: (ms) => base.sleep(ms),
    scope: (session) => requestScope(base, session),
    explain: (err) => {
      const e = toUserError(err);
      return e instanceof UserError ? e : undefined;
    },
    operations: {
      ...today(),
      ...calls(),
      ...assistant(base),
      ...metrics(),
      ...doctors(),
      ...outbox(),
    },
  };
}

type Ops = StudioOperations<Context>;

/** How the Book and Move forms name their fields in errors (the command line names its flags). */
const FIELD_NAMES: Record<DeskInputError['field'], string> = {
  at: 'time',
  email: 'email',
  phone: 'phone',
  specialty: 'specialty',
  doctor: 'doctor',
};

/** `fn`, a desk field it cannot read named as the form names it. */
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

/** A day of a query (`today`, `tomorrow` or ISO), in the clinic's zone. @throws UsageError */
const day = (v: string | undefined, name: string, zone: string, now: Date) =>
  dayIn(dayFlag(v ?? 'today', name)!, zone, now);

function today(): Pick<
  Ops,
  | 'GET /api/clinic'
  | 'GET /api/appointments'
  | 'POST /api/appointments'
  | 'POST /api/appointments/:id/move'
  | 'POST /api/appointments/:id/cancel'
  | 'POST /api/appointments/:id/decrypt'
  | 'GET /api/slots'
  | 'GET /api/service-visits'
> {
  const appointments = () => import('../appointments/appointments.js');
  return {
    'GET /api/clinic': async (_in, ctx) => {
      const { clinic } = await requireBotConfig(await ctx.store());
      return {
        name: clinic.name,
        timeZone: clinic.timeZone,
        today: DateTime.fromJSDate(ctx.now(), { zone: clinic.timeZone }).toISODate()!,
        slotMinutes: clinic.slotMinutes,
        bookingHorizonDays: clinic.bookingHorizonDays,
      };
    },
    // With patients' names: an opening, audited as `appointments list --decrypt`.
    'GET /api/appointments': async ({ query: q }, ctx) => {
      const m = await appointments();
      return m.list.run(m.parseList({ ...q, decrypt: true }), ctx);
    },
    'POST /api/appointments': async ({ body, headers }, ctx) => {
      const key = headers['idempotency-key'];
      return namingFields(async () =>
        bookAtDesk(await frontDesk(ctx), { ...body, ...(key ? { idempotencyKey: key } : {}) }),
      );
    },
    'POST /api/appointments/:id/move': async ({ params, body }, ctx) =>
      namingFields(async () => rescheduleAtDesk(await frontDesk(ctx), appointmentId(params.id), body.at)),
    'POST /api/appointments/:id/cancel': async ({ params, body }, ctx) =>
      cancelAtDesk(await frontDesk(ctx), appointmentId(params.id), body.reason),
    // In full (phone, email, reason), after the admin's password: `appointments show --decrypt`.
    'POST /api/appointments/:id/decrypt': async ({ params }, ctx) =>
      (await appointments()).show.run({ id: appointmentId(params.id), decrypt: true }, ctx),
    'GET /api/slots': async ({ query }, ctx) => {
      const desk = await frontDesk(ctx);
      const date = day(query.date, 'date', desk.zone, ctx.now());
      const free = await desk.bookableSlots(await desk.doctors(), date);
      return {
        date: date.toISODate()!,
        timeZone: desk.zone,
        slots: free.map((s) => ({ doctorId: s.doctor._id, start: s.start.toUTC().toISO()! })),
      };
    },
    // Booked by the voice tool `schedule_ac_service`; the sealed issue is not shown.
    'GET /api/service-visits': async ({ query }, ctx) => {
      const store = await ctx.store();
      const zone = (await requireBotConfig(store)).clinic.timeZone;
      const from = day(query.from, 'from', zone, ctx.now()).toISODate()!;
      const to = query.to ? day(query.to, 'to', zone, ctx.now()).toISODate()! : from;
      const visits = await store
        .collection('ac_service_visits')
        .find({ date: { $gte: from, $lte: to } }, { sort: { date: 1 }, limit: 500 });
      return visits.map(({ visitId, customerId, serialNumber, date, window, status, isInWarranty }) => ({
        visitId,
        customerId,
        serialNumber,
        date,
        window,
        status,
        isInWarranty,
      }));
    },
  };
}

/** One call in full (`logs --call`), its sealed fields opened when `decrypt` (the request unlocked the keys). */
async function oneCall(id: string, ctx: Context, decrypt: boolean): Promise<{ call: CallView; timeZone: string }> {
  const m = await import('../logs/logs.js');
  const r = await m.logs.run(m.parseLogsOptions({ call: id, ...(decrypt ? { decrypt: true } : {}) }, ctx.env), ctx);
  const rows: CallView[] = [];
  for await (const row of r.rows) rows.push(m.jsonRow(row));
  // `logs --call` of an unknown call fails (exit 1, 422): a row is there.
  return { call: rows[0]!, timeZone: r.timeZone };
}

function calls(): Pick<Ops, 'GET /api/calls' | 'GET /api/calls/:id' | 'POST /api/calls/:id/decrypt'> {
  return {
    // `logs --since D --until D --ended-reason --caller --limit`
    'GET /api/calls': async ({ query: q }, ctx) => {
      const m = await import('../logs/logs.js');
      const options = m.parseLogsOptions(
        {
          endedReason: q.endedReason,
          caller: q.caller,
          limit: q.limit ?? '100',
          ...(q.date ? { since: q.date, until: q.date } : {}),
        },
        ctx.env,
      );
      const r = await m.logs.run(options, ctx);
      const rows: CallView[] = [];
      for await (const row of r.rows) rows.push(m.jsonRow(row));
      return { rows, timeZone: r.timeZone };
    },
    'GET /api/calls/:id': async ({ params }, ctx) => oneCall(params.id, ctx, false),
    // An opening audited as `logs --decrypt --call`.
    'POST /api/calls/:id/decrypt': async ({ params }, ctx) => oneCall(params.id, ctx, true),
  };
}

/** The bot-config keys the Assistant page edits (a subset of `config set`'s). */
export const ASSISTANT_KEYS = ['name', 'firstMessage', 'systemPrompt', ...PROVIDER_KEYS] as const;

/** A config value as the Assistant form holds it: text or a number, null when unset. */
const formValue = (v: unknown): string | number | null =>
  v === undefined || v === null ? null : typeof v === 'number' || typeof v === 'string' ? v : JSON.stringify(v);

function assistant(
  base: Context,
): Pick<Ops, 'GET /api/assistant' | 'PUT /api/assistant' | 'POST /api/assistant/plan' | 'POST /api/assistant/publish'> {
  // `sync`, or `sync --dry-run`; drift on Vapi is refused as `sync` refuses it (there is no --force here).
  const sync = async (ctx: Context, serverUrl: string | undefined, dryRun: boolean) => {
    const m = await import('../sync/sync.js');
    const r = await m.sync.run({ serverUrl, dryRun, check: false, force: false, rotateSecret: false }, ctx);
    return { ...r, plan: r.plan.map(({ body: _b, ...p }) => p) };
  };
  return {
    'GET /api/assistant': async (_in, ctx) => {
      const config = await requireBotConfig(await ctx.store());
      const catalog = optionsCatalog();
      return {
        values: Object.fromEntries(ASSISTANT_KEYS.map((k) => [k, formValue(getConfigValue(config, k))])),
        descriptions: Object.fromEntries(ASSISTANT_KEYS.map((k) => [k, CONFIG_KEYS[k] ?? ''])),
        options: { voices: catalog.voices, transcribers: catalog.transcribers, models: catalog.models },
        synced: { assistantId: config.vapi?.assistantId ?? null, serverUrl: config.vapi?.serverUrl ?? null },
        vapiKey: Boolean(base.env.get('VAPI_API_KEY')?.value),
      };
    },
    // `config set [--force]`
    'PUT /api/assistant': async ({ query, body }, ctx) => {
      const pairs: Array<[string, string]> = [];
      for (const [k, v] of Object.entries(body)) {
        if (!(ASSISTANT_KEYS as readonly string[]).includes(k))
          throw new UsageError(`The Assistant page cannot set "${k}".`, `It sets ${ASSISTANT_KEYS.join(', ')}.`);
        // A value is the text itself: `config set`'s @file form is for the command line only.
        const text = String(v);
        pairs.push([k, text.startsWith('@') ? `@${text}` : text]);
      }
      if (!pairs.length) throw new UsageError('Nothing to save.');
      try {
        const { runSet } = await import('../config/config.js');
        return { changes: await runSet({ pairs, force: query.force === '1' }, ctx) };
      } catch (err) {
        // What `config set` refuses without --force: the page asks for a second press instead.
        if (err instanceof ConfirmationNeededError)
          throw new ConfirmationNeededError(err.message, 'Press “Save anyway” if that is what you want.');
        throw err;
      }
    },
    'POST /api/assistant/plan': async ({ body }, ctx) => sync(ctx, body.serverUrl, true),
    'POST /api/assistant/publish': async ({ body }, ctx) => sync(ctx, body.serverUrl, false),
  };
}

function metrics(): Pick<Ops, 'GET /api/metrics'> {
  return {
    // `metrics --by day|endedReason|assistant`
    'GET /api/metrics': async ({ query }, ctx) => {
      const m = await import('../metrics/metrics.js');
      const since = parseSinceFlag(query.since ?? '30d')!;
      const by = (group: 'day' | 'endedReason' | 'assistant') => m.runMetrics({ by: group, since, remote: false }, ctx);
      const [day, endedReason, assistant] = await Promise.all([by('day'), by('endedReason'), by('assistant')]);
      return {
        since: day.since,
        timeZone: day.timeZone,
        day: day.rows,
        endedReason: endedReason.rows,
        assistant: assistant.rows,
      };
    },
  };
}

function doctors(): Pick<
  Ops,
  | 'GET /api/doctors'
  | 'PUT /api/doctors/:doctor/hours'
  | 'POST /api/doctors/:doctor/leave'
  | 'DELETE /api/doctors/:doctor/leave/:from'
> {
  const load = () => import('../doctors/doctors.js');
  const leave = () => import('../doctors/leave.js');
  /** A leave's days: each a day, the last not before the first. @throws UsageError */
  const leaveDays = async (from: string, to: string | undefined) => {
    const { parseFirstDay } = await import('../doctors/common.js');
    const days = { from: parseFirstDay(from), to: parseFirstDay(to ?? from) };
    if (days.to < days.from) throw new UsageError(`The leave ends (${days.to}) before it starts (${days.from}).`);
    return days;
  };
  return {
    // Each doctor's hours also in the notation `doctors update --hours` reads, for editing.
    'GET /api/doctors': async (_in, ctx) => {
      const r = await (await load()).list.run(undefined, ctx);
      return { ...r, doctors: r.doctors.map((d) => ({ ...d, hours: formatWeeklyHours(d.weeklyHours) })) };
    },
    'PUT /api/doctors/:doctor/hours': async ({ params, body }, ctx) => {
      const m = await load();
      return m.update.run(m.parseUpdate({ doctor: params.doctor, hours: body.hours }), ctx);
    },
    'POST /api/doctors/:doctor/leave': async ({ params, body }, ctx) => {
      const days = await leaveDays(body.from, body.to);
      return (await leave()).leaveAdd.run({ ref: params.doctor, days, note: body.note }, ctx);
    },
    'DELETE /api/doctors/:doctor/leave/:from': async ({ params }, ctx) => {
      const { from } = await leaveDays(params.from, undefined);
      return (await leave()).leaveRemove.run({ ref: params.doctor, from }, ctx);
    },
  };
}

function outbox(): Pick<Ops, 'GET /api/outbox' | 'POST /api/outbox/retry'> {
  const load = () => import('../outbox/outbox.js');
  return {
    'GET /api/outbox': async ({ query }, ctx) => (await load()).list.run({ status: query.status, limit: 200 }, ctx),
    'POST /api/outbox/retry': async ({ body }, ctx) => (await load()).retry.run({ id: body.id }, ctx),
  };
}

/** A prompter for requests: the studio never prompts (its `io` cannot either). */
const noPrompts: Prompter = {
  input: () => Promise.reject(new NeedsInputError('a value the studio form does not have')),
  password: () => Promise.reject(new NeedsInputError('a password')),
  select: () => Promise.reject(new NeedsInputError('a choice')),
};

/**
 * A {@link Context} for one request of `session`: the studio's store, clock and environment; an
 * `io` that keeps what the command prints (its warnings go back to the page); desk changes
 * audited as the session's user; `keyring()` the session's keys (names only), or, once
 * `unlockWith(password)` is called, the user's full keys, unlocked as the command line does
 * (slowed after failures, failures audited) and wiped when the request ends.
 */
function requestScope(base: Context, session: StudioSession): RequestScope<Context> {
  const io = createMemoryIO();
  let full: Promise<Unlocked> | undefined;
  const ctx: Context = {
    ...base,
    // What a command renders is not used here: no tables, spinners or colours.
    globals: { ...base.globals, json: true, color: false },
    io,
    prompter: noPrompts,
    actor: session.username,
    keyring: () => full ?? Promise.resolve(session.keys),
    credentials: () => Promise.reject(new NeedsInputError('a password (the studio asks for it on the page)')),
    close: async () => undefined,
  };
  return {
    ctx,
    unlockWith: (password) => {
      full = base
        .store()
        .then((store) =>
          unlock(store, session.username, password, { now: base.now(), sleep: base.sleep, command: 'studio' }),
        );
    },
    warnings: () =>
      io
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('Warning: '))
        .map((l) => l.slice('Warning: '.length)),
    done: () => {
      full?.then(wipe, () => undefined);
    },
  };
}
