import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DateTime } from 'luxon';
import type { Deps } from '../../deps.js';
import { AuthError, NetworkError, StoreError, UsageError, UserError } from '../../errors.js';
import { templatesDir } from '../../paths.js';
import { resolveSetting } from '../../settings.js';
import { DEFAULT_HMAC_PLAN, parseAuthPlan, signRequest, type WebhookAuthPlan } from '../../server/auth.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { TriggerFlags } from './index.js';
import { parseKeyValues } from '../shared/parse.js';
import type { Context } from '../shared/context.js';
import { appendAudit } from '../../domain/audit.js';
import { openField } from '../../domain/sealer.js';
import { recordingContext } from '../../domain/recordings.js';
import { purgeCalls, TRIGGER_CALL_PREFIX, type PurgeResult } from '../../domain/purge.js';

export interface TriggerOptions {
  /** What to do: list the events, send one event or file, replay a recorded call, or purge trigger's calls. */
  mode: 'list' | 'send' | 'replay' | 'purge';
  /** With --purge: count, remove nothing. */
  dryRun: boolean;
  event?: string;
  file?: string;
  /** `--replay <call-id>` */
  replay?: string;
  url?: string;
  set: string[];
  /** `--var name=value`: values for the template's `{{name}}` placeholders. */
  vars: Record<string, string>;
  callId?: string;
  customerNumber?: string;
  auth: 'hmac' | 'secret' | 'bearer' | 'none';
}

/** @throws UsageError (--replay with an event or --file; no event and no --file; --list with either) */
export function parseTriggerOptions(flags: TriggerFlags): TriggerOptions {
  const { event, file, replay } = flags;
  if (replay && (event || file)) throw new UsageError('--replay sends a recorded call; it takes no event or --file.');
  if (flags.purge && (event || file || replay))
    throw new UsageError('--purge removes the calls trigger made up; it takes no event, --file or --replay.');
  if (flags.dryRun && !flags.purge) throw new UsageError('--dry-run goes with --purge.');
  const mode = flags.list ? 'list' : flags.purge ? 'purge' : replay ? 'replay' : 'send';
  if (mode === 'send' && !event && !file)
    throw new UsageError('Name an event, or pass --file.', 'See `receptionist trigger --list`.');
  return {
    mode,
    event,
    file,
    replay,
    url: flags.url,
    set: flags.set,
    vars: parseKeyValues(flags.var, 'var'),
    callId: flags.callId,
    customerNumber: flags.customerNumber,
    auth: flags.auth,
    dryRun: flags.dryRun === true,
  };
}

export interface TriggerResult {
  event: string;
  url: string;
  callId: string;
  status: number;
  body: unknown;
}

interface EventTemplate {
  description: string;
  payload: unknown;
}

function eventsDir(): string {
  return path.join(templatesDir(), 'events');
}

export function listEvents(): Array<{ event: string; description: string }> {
  return fs
    .readdirSync(eventsDir())
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({
      event: f.slice(0, -5),
      description: (JSON.parse(fs.readFileSync(path.join(eventsDir(), f), 'utf8')) as EventTemplate).description,
    }));
}

function renderEventList(events: ReturnType<typeof listEvents>, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(events, null, 2));
  const w = Math.max(...events.map((e) => e.event.length));
  for (const e of events) io.line(`${e.event.padEnd(w)}  ${e.description}`);
}

/** Values for the `{{…}}` placeholders of a template. */
export function placeholderValues(
  now: Date,
  callId: string,
  customerNumber: string,
  timeZone: string,
): Record<string, string | number> {
  const started = new Date(now.getTime() - 154_000);
  return {
    callId,
    toolCallId: `call_${randomBytes(12).toString('base64url')}`,
    timestamp: now.getTime(),
    startedAt: started.toISOString(),
    endedAt: now.toISOString(),
    durationMs: 154_000,
    durationSeconds: 154,
    customerNumber,
    assistantId: 'asst_demo',
    /** What the sample transcript speaks; pass the ID book_appointment returned with --var. */
    appointmentId: 'K 7 M H Q P',
    timeZone,
  };
}

/**
 * Fills placeholders: a string that is exactly `{{name}}` takes the value's type (numbers stay
 * numbers); inside longer strings values are interpolated. `{{date:tue}}` → "Tuesday 1 December",
 * the first such weekday at least 3 days after `now` in the clinic's zone.
 */
export function fillPlaceholders(value: unknown, vars: Record<string, string | number>, now: Date): unknown {
  if (typeof value === 'string') {
    const whole = /^\{\{(\w+)\}\}$/.exec(value);
    if (whole && whole[1]! in vars) return vars[whole[1]!];
    return value.replace(/\{\{(\w+)(?::(\w+))?\}\}/g, (m, name: string, arg?: string) => {
      if (name === 'date' && arg) return weekdayAhead(arg, now, String(vars.timeZone ?? 'UTC'));
      return name in vars ? String(vars[name]) : m;
    });
  }
  if (Array.isArray(value)) return value.map((v) => fillPlaceholders(v, vars, now));
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillPlaceholders(v, vars, now)]));
  return value;
}

const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];

function weekdayAhead(day: string, now: Date, zone: string): string {
  const want = WEEKDAYS.indexOf(day.toLowerCase().slice(0, 3)) + 1;
  if (want === 0) throw new UsageError(`Unknown weekday in {{date:${day}}}`);
  let d = DateTime.fromJSDate(now, { zone }).plus({ days: 3 });
  while (d.weekday !== want) d = d.plus({ days: 1 });
  return d.toFormat('cccc d MMMM');
}

/** Applies one `path=value` (dots and array indexes; `args.` = first tool call's arguments). Values parse as JSON when they can. */
export function applySet(payload: unknown, assignment: string): void {
  const eq = assignment.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set needs path=value, got "${assignment}"`);
  let p = assignment.slice(0, eq).trim();
  const raw = assignment.slice(eq + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // Plain text.
  }
  const paths = p.startsWith('args.')
    ? [
        `message.toolCallList.0.function.arguments.${p.slice(5)}`,
        `message.toolWithToolCallList.0.toolCall.function.arguments.${p.slice(5)}`,
      ]
    : [p];
  for (p of paths) {
    const keys = p.split('.');
    let cur = payload as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) {
      if (cur[k] === undefined || cur[k] === null || typeof cur[k] !== 'object') cur[k] = /^\d+$/.test(k) ? [] : {};
      cur = cur[k] as Record<string, unknown>;
    }
    cur[keys[keys.length - 1]!] = value;
  }
}

function clinicTimeZone(): string {
  try {
    return (
      JSON.parse(fs.readFileSync(path.join(templatesDir(), 'bot-config', 'clinic.json'), 'utf8')) as {
        timeZone: string;
      }
    ).timeZone;
  } catch {
    return 'UTC';
  }
}

/** Builds, signs and sends one event; returns the server's reply. @throws UsageError, AuthError (401), NetworkError */
export async function runTrigger(flags: TriggerOptions, deps: Deps): Promise<TriggerResult> {
  const event = flags.event;
  let template: unknown;
  let name: string;
  if (flags.file) {
    name = path.basename(flags.file);
    try {
      template = JSON.parse(fs.readFileSync(path.resolve(deps.cwd, flags.file), 'utf8'));
    } catch (err) {
      throw new UsageError(
        `Cannot read ${flags.file}: ${(err as Error).message}`,
        'Give a JSON file holding {"message": {"type": …}}.',
      );
    }
  } else {
    if (!event) throw new UsageError('Name an event, or pass --file.', 'See `receptionist trigger --list`.');
    const file = path.join(eventsDir(), `${event}.json`);
    if (!/^[\w.-]+$/.test(event) || !fs.existsSync(file)) {
      throw new UsageError(
        `Unknown event "${event}".`,
        `Known events: ${listEvents()
          .map((e) => e.event)
          .join(', ')}`,
      );
    }
    name = event;
    template = (JSON.parse(fs.readFileSync(file, 'utf8')) as EventTemplate).payload;
  }
  const now = deps.now();
  const callId = flags.callId ?? `${TRIGGER_CALL_PREFIX}${randomBytes(8).toString('hex')}`;
  const payload = fillPlaceholders(
    template,
    { ...placeholderValues(now, callId, flags.customerNumber ?? '+919812345678', clinicTimeZone()), ...flags.vars },
    now,
  );
  for (const s of flags.set) applySet(payload, s);
  const body = Buffer.from(JSON.stringify(payload));

  const sent = await send(body, flags, deps);
  // The id the server saw: --set or a --file payload may name their own.
  const sentId = (payload as { message?: { call?: { id?: unknown } } }).message?.call?.id;
  return { event: name, callId: typeof sentId === 'string' ? sentId : callId, ...sent };
}

/**
 * POSTs one body to the server (`--url`, `RECEPTIONIST_URL`), authenticated with the current
 * VAPI_SERVER_SECRET as `--auth` says (HMAC over a fresh timestamp by default).
 * @throws AuthError (no secret; a 401), NetworkError (unreachable), UserError (another 4xx/5xx)
 */
async function send(
  body: Buffer,
  flags: Pick<TriggerOptions, 'url' | 'auth'>,
  deps: Deps,
): Promise<{ url: string; status: number; body: unknown }> {
  const url = resolveSetting('url', flags.url, 'RECEPTIONIST_URL', deps.env, 'http://127.0.0.1:3000/webhook');
  if (!/^https?:\/\/[^\s/]+/.test(url.value) || !URL.canParse(url.value)) {
    throw new UsageError(
      `Invalid URL "${url.value}" (from ${url.source}).`,
      'Give the webhook URL of `serve`, e.g. http://127.0.0.1:3000/webhook.',
    );
  }
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const secret = deps.env.get('VAPI_SERVER_SECRET')?.value;
  if (flags.auth !== 'none') {
    if (!secret)
      throw new AuthError(
        'No VAPI_SERVER_SECRET to sign with.',
        'Set it to the secret `serve` uses, or pass --auth none for a server run with --insecure-no-auth.',
      );
    if (flags.auth === 'secret') headers['x-vapi-secret'] = secret;
    if (flags.auth === 'bearer') headers.authorization = `Bearer ${secret}`;
    if (flags.auth === 'hmac') {
      // Signed as Vapi would with the plan serve verifies: RECEPTIONIST_AUTH_PLAN when set, else the one sync creates.
      const planSetting = deps.env.get('RECEPTIONIST_AUTH_PLAN');
      let plan: WebhookAuthPlan = DEFAULT_HMAC_PLAN;
      if (planSetting) {
        try {
          plan = parseAuthPlan(JSON.parse(planSetting.value));
        } catch (err) {
          throw new UsageError(`Invalid authentication plan (from ${planSetting.source}): ${(err as Error).message}.`);
        }
      }
      Object.assign(
        headers,
        signRequest(plan, secret, { body, timestamp: String(deps.now().getTime()), url: url.value }),
      );
    }
  }
  let res: Response;
  try {
    res = await deps.fetch(url.value, {
      method: 'POST',
      headers,
      body: new Uint8Array(body),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    const inner = (err as { cause?: { code?: string; message?: string } }).cause;
    const cause = inner?.code ?? inner?.message ?? (err as Error).message;
    throw new NetworkError(
      `Cannot reach ${url.value} (from ${url.source}): ${cause}`,
      'Start `receptionist serve` first, or pass --url.',
      { cause: err },
    );
  }
  const text = await res.text();
  let replyBody: unknown = text;
  try {
    replyBody = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON: show it as text.
  }
  if (res.status === 401)
    throw new AuthError(
      `The server rejected the request (401).`,
      'Check that VAPI_SERVER_SECRET is the secret `serve` runs with.',
    );
  if (res.status >= 400) {
    const reason =
      typeof replyBody === 'object' && replyBody && 'error' in replyBody
        ? String((replyBody as { error: unknown }).error)
        : text.slice(0, 200);
    throw new UserError(`The server answered ${res.status}: ${reason}`);
  }
  return { url: url.value, status: res.status, body: replyBody };
}

/**
 * `trigger --replay <call-id>`: the messages `serve --record` kept for that call, opened with an
 * admin's keys (audited), sent again in their original order and re-signed with the current
 * secret. Resolves to one result per message.
 * @throws UserError (nothing recorded for the call), AuthError (wrong password; a 401), StoreError (a tampered recording), NetworkError
 */
export async function runReplay(
  callId: string,
  flags: TriggerOptions,
  ctx: Context,
  onSent: (r: TriggerResult) => void,
): Promise<TriggerResult[]> {
  const store = await ctx.store({ readOnly: true });
  const recorded = (await store.recordings.list()).filter((r) => r.callId === callId);
  if (!recorded.length)
    throw new UserError(
      `Nothing is recorded for call ${callId} in ${store.location}.`,
      'Run `receptionist serve --record` while the call happens, then replay it.',
    );
  const unlocked = await ctx.keyring();
  const messages = recorded.map((r) => {
    try {
      return Buffer.from(openField(r.body, recordingContext(r.callId, r.at, r.seq), unlocked.dataKeys));
    } catch {
      throw new StoreError(
        `The recording of call ${callId} at ${r.at} failed authentication (tampered with, damaged, or sealed to a key you do not hold). Nothing was sent.`,
      );
    }
  });
  await appendAudit(store, {
    at: ctx.now().toISOString(),
    user: unlocked.username,
    action: 'decrypt',
    details: { command: 'trigger --replay', call: callId, records: messages.length },
  });
  const results: TriggerResult[] = [];
  for (const body of messages) {
    const type = String((JSON.parse(body.toString('utf8')) as { message?: { type?: unknown } }).message?.type ?? '?');
    const r = { event: type, callId, ...(await send(body, flags, ctx)) };
    onSent(r);
    results.push(r);
  }
  return results;
}

/** One reply: a line naming the event, URL, call and status, then the body; with --json one object. */
export function renderTrigger(r: TriggerResult, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r));
  io.info(`${r.event} → ${r.url}  call=${r.callId}  ${r.status}`);
  io.line(
    assistantSummary(r.body) ??
      toolResults(r.body) ??
      (typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2)),
  );
}

/** A `tool-calls` reply (spec `ToolCallResult[]`) as what each tool said: `name: result` or `name: error: …`. */
function toolResults(body: unknown): string | undefined {
  const results = (body as { results?: unknown } | null)?.results;
  if (!Array.isArray(results) || !results.length) return undefined;
  return results
    .map((x: { name?: string; result?: string; error?: string }) =>
      x.error === undefined ? `${x.name}: ${x.result}` : `${x.name}: error: ${x.error}`,
    )
    .join('\n');
}

/**
 * An `assistant-request` reply with an inline assistant (spec `CreateAssistantDTO`, hundreds of
 * lines) in a few lines a person reads; `--json` keeps it whole. Undefined for any other body.
 */
export function assistantSummary(body: unknown): string | undefined {
  type Part = { provider?: string; model?: string; voiceId?: string; language?: string };
  type Assistant = {
    name?: string;
    firstMessage?: string;
    model?: Part & { tools?: Array<{ type?: string; function?: { name?: string } }> };
    voice?: Part;
    transcriber?: Part;
  };
  const b = body as {
    assistant?: Assistant;
    assistantOverrides?: { firstMessage?: string; variableValues?: Record<string, unknown> };
  } | null;
  const a = b?.assistant;
  if (!a || typeof a !== 'object') return undefined;
  const tools = (a.model?.tools ?? []).map((t) => t.function?.name ?? t.type ?? '?');
  const lines = [
    `Inline assistant "${a.name ?? '(unnamed)'}" (not synced yet: \`receptionist sync\` gives it an id)`,
    `  model        ${a.model?.provider ?? '?'} / ${a.model?.model ?? '?'}`,
    `  voice        ${a.voice?.provider ?? '?'} / ${a.voice?.voiceId ?? '?'}`,
    `  transcriber  ${a.transcriber?.provider ?? '?'} / ${a.transcriber?.model ?? a.transcriber?.language ?? '?'}`,
    `  tools        ${tools.length}: ${tools.join(', ')}`,
    `  first        ${JSON.stringify(b?.assistantOverrides?.firstMessage ?? a.firstMessage ?? '')}`,
  ];
  const vars = b?.assistantOverrides?.variableValues;
  if (vars) lines.push(`  variables    ${Object.keys(vars).join(', ')} (the caller is known)`);
  lines.push('  (--json prints the whole assistant)');
  return lines.join('\n');
}

/** What was (or would be) removed; with --json one object. */
function renderPurge(r: PurgeResult, { io, globals }: RenderContext): void {
  if (globals.json) return io.line(JSON.stringify(r));
  if (!r.calls.length)
    return io.info(`No calls made up by trigger (ids starting "${TRIGGER_CALL_PREFIX}") in the store.`);
  io.info(
    `${r.dryRun ? 'Would remove' : 'Removed'} ${r.calls.length} made-up call(s): ${r.callLogs} call log(s), ${r.statuses} status(es), ${r.appointments} appointment(s) or hold(s), ${r.visits} AC visit(s), ${r.notifications} notification(s), ${r.replies} stored repl${r.replies === 1 ? 'y' : 'ies'}.`,
  );
  if (r.dryRun) io.info('Run it again without --dry-run to remove them.');
}

export type TriggerOutcome =
  | { mode: 'list'; events: ReturnType<typeof listEvents> }
  | { mode: 'purge'; purged: PurgeResult }
  | { mode: 'send'; result: TriggerResult }
  | { mode: 'replay'; results: TriggerResult[] };

/** `trigger`: list, send, or replay (each reply printed as it comes: NDJSON with --json). */
export async function run(opts: TriggerOptions, ctx: Context): Promise<TriggerOutcome> {
  if (opts.mode === 'list') return { mode: 'list', events: listEvents() };
  if (opts.mode === 'purge') {
    const store = await ctx.store({ readOnly: opts.dryRun });
    const purged = await purgeCalls(store, (id) => id.startsWith(TRIGGER_CALL_PREFIX), { dryRun: opts.dryRun });
    if (!opts.dryRun && purged.calls.length)
      await appendAudit(store, {
        at: ctx.now().toISOString(),
        user: '-',
        action: 'trigger.purge',
        details: { ...purged, calls: purged.calls.length },
      });
    return { mode: 'purge', purged };
  }
  if (opts.mode === 'replay')
    return { mode: 'replay', results: await runReplay(opts.replay!, opts, ctx, (r) => renderTrigger(r, ctx)) };
  return { mode: 'send', result: await runTrigger(opts, ctx) };
}

export const trigger = implement({
  parse: parseTriggerOptions,
  run,
  render: (o: TriggerOutcome, _opts, out) => {
    if (o.mode === 'list') renderEventList(o.events, out);
    if (o.mode === 'purge') renderPurge(o.purged, out);
    if (o.mode === 'send') renderTrigger(o.result, out);
  },
});
