import fs from 'node:fs';
import type { Vapi } from '@vapi-ai/server-sdk';
import path from 'node:path';
import { parse } from 'csv-parse/sync';
import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Deps } from '../../deps.js';
import { NetworkError, RefusedError, PartialFailureError, UsageError, UserError } from '../../errors.js';
import { resolveSetting } from '../../settings.js';
import type { BotConfig } from '../../domain/clinic.js';
import { toE164 } from '../../domain/contact.js';
import { checkVariables, placeholdersIn } from '../../vapi/variables.js';
import { vapiError, vapiRequest, type VapiSettings } from '../../vapi/client.js';
import { canCall, readPhoneNumber } from '../../vapi/phone-numbers.js';
import { IMPORT_NUMBER_HINT } from '../shared/phone-number-hint.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { progress, resolveAssistant } from '../shared/vapi.js';
import { parseIsoTime, parseKeyValues } from '../shared/parse.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { CallFlags } from './index.js';
import type { Context } from '../shared/context.js';

export interface CallOptions {
  numbers: string[];
  /** `--var key=value`, parsed. */
  vars: Record<string, string>;
  /** `--vars <file.json>` */
  varsFile?: string;
  fromCsv?: string;
  concurrency: number;
  assistant?: string;
  phoneNumberId?: string;
  /** `--schedule-at`, as given (read in the clinic's zone by run). */
  scheduleAt?: string;
  wait: boolean;
  dryRun: boolean;
}

/** @throws UsageError (a --var without =, a bad --concurrency, numbers and --from-csv together, neither) */
export function parseCallOptions(flags: CallFlags): CallOptions {
  const numbers = flags.numbers ?? [];
  const fromCsv = flags.fromCsv;
  if (fromCsv && numbers.length) throw new UsageError('Give numbers or --from-csv, not both.');
  if (!fromCsv && !numbers.length)
    throw new UsageError(
      'Give at least one number to call, or --from-csv.',
      'E.g. `receptionist call +919812345678 --var name=Asha`.',
    );
  const rawConcurrency = flags.concurrency;
  const concurrency = Number(rawConcurrency);
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 50)
    throw new UsageError(`Invalid --concurrency "${rawConcurrency}"`, 'Give a whole number from 1 to 50.');
  return {
    numbers,
    vars: parseKeyValues(flags.var, 'var'),
    varsFile: flags.vars,
    fromCsv,
    concurrency,
    assistant: flags.assistant,
    phoneNumberId: flags.phoneNumberId,
    scheduleAt: flags.scheduleAt,
    wait: flags.wait === true,
    dryRun: flags.dryRun === true,
  };
}

/** One number (or CSV row) to call. */
interface Target {
  label: string;
  rawNumber: string;
  variables: Record<string, string>;
}

/** What happened for one number or row. */
export interface CallResult {
  target: string;
  number?: string;
  ok: boolean;
  /** The request body (with --dry-run, the only thing produced). */
  request?: Record<string, unknown>;
  callId?: string;
  status?: string;
  endedReason?: string;
  durationSeconds?: number;
  cost?: number;
  error?: string;
}

function readJsonVars(file: string, cwd: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path.resolve(cwd, file), 'utf8'));
  } catch (err) {
    throw new UsageError(
      `Cannot read --vars ${file}: ${(err as Error).message}`,
      'Give a JSON object, e.g. {"name": "Asha"}.',
    );
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new UsageError(`--vars ${file} must hold a JSON object.`);
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)]));
}

function targetsFrom(numbers: string[], flags: CallOptions, base: Record<string, string>, cwd: string): Target[] {
  if (!flags.fromCsv) {
    return numbers.map((n) => ({ label: n, rawNumber: n, variables: base }));
  }
  let rows: Array<Record<string, string>>;
  try {
    rows = parse(fs.readFileSync(path.resolve(cwd, flags.fromCsv), 'utf8'), {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
    });
  } catch (err) {
    throw new UsageError(
      `Cannot read --from-csv ${flags.fromCsv}: ${(err as Error).message}`,
      'Give a CSV with a header row and a number (or phone) column.',
    );
  }
  return rows.map((row, i) => {
    const { number, phone, ...vars } = row;
    return {
      label: `row ${i + 2}`,
      rawNumber: number ?? phone ?? '',
      variables: { ...base, ...Object.fromEntries(Object.entries(vars).filter(([, v]) => v !== undefined)) },
    };
  });
}

/** --phone-number-id, $RECEPTIONIST_PHONE_NUMBER_ID, the number `sync --phone-number` points at serve, else the account's only one. */
async function resolvePhoneNumberId(
  flag: string | undefined,
  deps: Deps,
  config: BotConfig,
  client: () => Promise<{ vapi: VapiClient; s: VapiSettings }>,
): Promise<string> {
  // Only asks Vapi when nothing names a number.
  const set = resolveSetting('phone-number-id', flag, 'RECEPTIONIST_PHONE_NUMBER_ID', deps.env);
  if (set) return set.value;
  if (config.vapi?.phoneNumber?.id) return config.vapi.phoneNumber.id;
  const { vapi, s } = await client();
  const numbers = (await vapiRequest('list phone numbers', s, () => vapi.phoneNumbers.list())) as unknown as Array<{
    id: string;
    number?: string;
  }>;
  if (numbers.length === 1) return numbers[0]!.id;
  throw new UserError(
    numbers.length
      ? `Your Vapi organisation has ${numbers.length} phone numbers; choose one.`
      : 'Your Vapi organisation has no phone number to call from.',
    numbers.length
      ? `Pass --phone-number-id or set RECEPTIONIST_PHONE_NUMBER_ID: ${numbers.map((n) => `${n.id} (${n.number ?? '?'})`).join(', ')}`
      : 'Buy or import one in the Vapi dashboard.',
  );
}

function requestFor(
  t: Target,
  config: BotConfig,
  assistantId: string,
  phoneNumberId: string,
  scheduleAt: string | undefined,
  region: string,
): { body?: Record<string, unknown>; number?: string; error?: string } {
  const number = toE164(t.rawNumber, region);
  if (!number)
    return { error: t.rawNumber ? `"${t.rawNumber}" is not a valid phone number` : 'no number (or phone) column' };
  const a = config.assistant as {
    firstMessage?: string;
    model?: { messages?: Array<{ role: string; content: string }> };
  };
  const placeholders = placeholdersIn(a.firstMessage, ...(a.model?.messages ?? []).map((m) => m.content));
  const { missing, unknown } = checkVariables(placeholders, t.variables);
  if (missing.length || unknown.length) {
    const parts = [
      missing.length ? `missing variables: ${missing.join(', ')}` : '',
      unknown.length
        ? `unknown variables: ${unknown.join(', ')} (the assistant uses: ${[...placeholders.required, ...placeholders.optional].join(', ') || 'none'})`
        : '',
    ];
    return { number, error: parts.filter(Boolean).join('; ') };
  }
  const body: Record<string, unknown> = {
    assistantId,
    phoneNumberId,
    customer: { number, ...(t.variables.name ? { name: t.variables.name } : {}) },
    ...(Object.keys(t.variables).length ? { assistantOverrides: { variableValues: t.variables } } : {}),
    ...(scheduleAt ? { schedulePlan: { earliestAt: scheduleAt } } : {}),
  };
  return { body, number };
}

/**
 * Validates every target first, then places the calls (in parallel up to --concurrency); with
 * --dry-run only the request bodies. @throws UsageError (unreadable files, --schedule-at in the past),
 *   AuthError (no key, rejected key), NetworkError (Vapi unreachable: exit 6), UserError (no assistant, no phone number)
 */
export async function runCall(flags: CallOptions, ctx: Context): Promise<CallResult[]> {
  const deps: Deps = ctx;
  const base = { ...(flags.varsFile ? readJsonVars(flags.varsFile, deps.cwd) : {}), ...flags.vars };
  const targets = targetsFrom(flags.numbers, flags, base, deps.cwd);
  const concurrency = flags.concurrency;
  // A dry run with every id given never contacts Vapi, so it needs no key either.
  if (!flags.dryRun) ctx.vapiSettings();
  const store = await ctx.store({ readOnly: true });
  const config = await requireBotConfig(store, 'Run `receptionist seed` and `receptionist sync` first.');
  const assistant = resolveAssistant(flags.assistant, deps, config, 'call with');
  // --schedule-at: ISO, read in the clinic's zone when it has no offset, and not in the past.
  let scheduleAt: string | undefined;
  if (flags.scheduleAt) {
    const at = parseIsoTime(flags.scheduleAt, '--schedule-at', config.clinic.timeZone);
    if (at.getTime() < deps.now().getTime())
      throw new UsageError(
        `--schedule-at ${flags.scheduleAt} is in the past.`,
        'Give a later time, or leave it out to call now.',
      );
    scheduleAt = at.toISOString();
  }
  const region = deps.env.get('RECEPTIONIST_DEFAULT_REGION')?.value ?? config.clinic.defaultRegion;
  const vapiClient = async () => ({ vapi: await ctx.vapi(), s: ctx.vapiSettings() });
  const phoneNumberId = await resolvePhoneNumberId(flags.phoneNumberId, deps, config, vapiClient);

  const results: CallResult[] = targets.map((t) => {
    const r = requestFor(t, config, assistant.value, phoneNumberId, scheduleAt, region);
    return { target: t.label, number: r.number, ok: !r.error, request: r.body, error: r.error };
  });
  if (flags.dryRun) return results;
  const { vapi, s: vapiSettings } = await vapiClient();
  // Refused before dialling: Vapi would accept each call and fail it later, number by number.
  const from = await readPhoneNumber(vapi, vapiSettings, phoneNumberId);
  const unreachable = results.filter((r) => r.ok && r.number && !canCall(from.callsOut, r.number));
  if (unreachable.length)
    throw new RefusedError(
      `${from.number ?? phoneNumberId} (${phoneNumberId}) is a free Vapi number, which calls US numbers only; ` +
        `${unreachable.map((r) => r.number).join(', ')} ${unreachable.length === 1 ? 'is' : 'are'} not. Nothing was placed.`,
      IMPORT_NUMBER_HINT,
    );

  const spinner = progress(ctx.globals, deps.io);
  const todo = results.filter((r) => r.ok);
  let done = 0;
  spinner.start(`Placing calls: 0/${todo.length}`);
  const pollMs = Number(deps.env.get('RECEPTIONIST_POLL_INTERVAL_MS')?.value ?? 2000);
  const work = async (r: CallResult) => {
    try {
      // The body is built by requestFor (spec `CreateCallDTO`), and checked against the spec by the tests.
      const call = (await vapi.calls.create(r.request as Vapi.CreateCallDto)) as unknown as {
        id: string;
        status?: string;
      };
      Object.assign(r, { callId: call.id, status: call.status });
      if (flags.wait) Object.assign(r, await follow(vapi, call.id, pollMs, vapiSettings));
    } catch (err) {
      const e = vapiError(`place the call to ${r.number}`, vapiSettings, err);
      // A rejected key or an unreachable Vapi fails every number alike: the command stops (exit 5 / 6).
      if ((err as { statusCode?: number }).statusCode === 401 || e instanceof NetworkError) throw e;
      Object.assign(r, { ok: false, error: e.message });
    } finally {
      spinner.text = `Placing calls: ${++done}/${todo.length}`;
    }
  };
  const queue = [...todo];
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) await work(r);
    }),
  );
  spinner.stop();
  return results;
}

/** Polls the call until it ends; returns its outcome. */
async function follow(vapi: VapiClient, id: string, pollMs: number, s: VapiSettings): Promise<Partial<CallResult>> {
  for (;;) {
    const c = (await vapiRequest(`read call ${id}`, s, () => vapi.calls.get({ id }))) as unknown as {
      status: string;
      endedReason?: string;
      cost?: number;
      startedAt?: string;
      endedAt?: string;
    };
    if (c.status === 'ended') {
      const duration = c.startedAt && c.endedAt ? (Date.parse(c.endedAt) - Date.parse(c.startedAt)) / 1000 : undefined;
      return { status: c.status, endedReason: c.endedReason, cost: c.cost, durationSeconds: duration };
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/**
 * One line per call (the request bodies with --dry-run); with --json one object per call (NDJSON).
 * @throws PartialFailureError when any failed (exit 1), after printing them all
 */
export function renderCallResults(results: CallResult[], flags: CallOptions, { io, globals: g }: RenderContext): void {
  for (const r of results) {
    if (g.json) io.line(JSON.stringify(flags.dryRun ? r : { ...r, request: undefined }));
    else if (flags.dryRun)
      io.line(r.ok ? `POST /call ${JSON.stringify(r.request, null, 2)}` : `${r.target}: ${r.error}`);
    else if (!r.ok) io.line(`${r.target}  failed  ${r.error}`);
    else
      io.line(
        [
          r.target,
          r.number,
          r.callId,
          r.status,
          r.endedReason,
          r.durationSeconds === undefined ? '' : `${r.durationSeconds}s`,
          r.cost === undefined ? '' : `$${r.cost}`,
        ]
          .filter((x) => x !== undefined && x !== '')
          .join('  '),
      );
  }
  const failed = results.filter((r) => !r.ok).length;
  if (failed) throw new PartialFailureError(callSummary(failed, results.length, Boolean(flags.dryRun)));
}

/** "1 of 3 calls failed; the other 2 were placed." and the like, in plain English. */
export function callSummary(failed: number, total: number, dryRun: boolean): string {
  const ok = total - failed;
  const noun = (n: number) => (dryRun ? (n === 1 ? 'request' : 'requests') : n === 1 ? 'call' : 'calls');
  const bad = dryRun ? (failed === 1 ? 'is invalid' : 'are invalid') : 'failed';
  if (ok === 0)
    return `${total === 1 ? `The ${noun(1)}` : `All ${total} ${noun(total)}`} ${bad}; ${dryRun ? 'none would be placed' : 'none was placed'}.`;
  const rest = dryRun ? `${ok === 1 ? 'is' : 'are'} shown above` : `${ok === 1 ? 'was' : 'were'} placed`;
  return `${failed} of ${total} ${noun(total)} ${bad}; the other ${ok === 1 ? 'one' : ok} ${rest}.`;
}

export const call = implement({ parse: parseCallOptions, run: runCall, render: renderCallResults });
