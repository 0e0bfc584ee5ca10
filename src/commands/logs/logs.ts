import { DateTime } from 'luxon';
import { stringify } from 'csv-stringify/sync';
import { renderTable } from '../shared/table.js';
import type { Deps } from '../../deps.js';
import { StoreError, UsageError, UserError } from '../../errors.js';
import { documentId, documentProblem } from '../../store/schemas.js';
import { SEALED_CALL_LOG_FIELDS } from '../../store/types.js';
import { callLogContext, type CallStatus } from '../../domain/call-records.js';
import { bookingsByCall, LIVE_STATUSES, withLiveCalls, type LogRow } from '../../domain/call-log-query.js';
import type { Unlocked } from '../../domain/keyring.js';
import { parseLimit, parseSinceFlag, resolveSince, type Since } from '../shared/parse.js';
import { openField, SEALED_PLACEHOLDER } from '../../domain/sealer.js';
import { appendAudit } from '../../domain/audit.js';
import { toE164 } from '../../domain/contact.js';
import { isSealed, SealError } from '../../crypto/seal.js';
import { blindIndex } from '../../crypto/blind-index.js';
import { blindIndexKeyFromEnv } from '../shared/sealer.js';
import type { Env } from '../../env.js';
import { CALL_LOG_COLUMNS, escapeCell } from '../../store/csv-cells.js';
import { implement, type Flags, type RenderContext } from '../shared/command.js';
import type { Context } from '../shared/context.js';
import { readWithClinicZone, type ZonedRows } from '../shared/store.js';

export type { LogRow };

export interface LogsOptions {
  since?: Since;
  limit?: number;
  csv: boolean;
  /** CSV cells without the spreadsheet formula guard (`+91…` stays `+91…`). */
  raw: boolean;
  decrypt: boolean;
  /** E.164 */
  caller?: string;
  call?: string;
}

/** @throws UsageError for a bad --since, --limit or --caller, */
export function parseLogsOptions(flags: Flags, env?: Env): LogsOptions {
  const since = parseSinceFlag(flags.since as string | undefined);
  const limit = parseLimit(flags.limit as string | undefined);
  let caller: string | undefined;
  const callerFlag = flags.caller as string | undefined;
  if (callerFlag) {
    caller = toE164(callerFlag, env?.get('RECEPTIONIST_DEFAULT_REGION')?.value ?? 'IN');
    if (!caller)
      throw new UsageError(
        `Invalid --caller "${callerFlag}"`,
        'Give a phone number, best in E.164 form such as +919812345678.',
      );
  }
  return {
    since,
    limit,
    csv: flags.csv === true,
    raw: flags.raw === true,
    decrypt: flags.decrypt === true,
    caller,
    call: flags.call as string | undefined,
  };
}

/** The calls, and the clinic's IANA time zone in which a person reads their times. */
export type LogsResult = ZonedRows<LogRow>;

/**
 * Reads a snapshot of the store (no lock: safe while `serve` writes). Sealed fields come back
 * as `[sealed]`, or, with `decrypt`, opened with the admin's keys after an audit record is
 * written. A record that fails to open stops the command before anything is printed (ENC-6).
 * @throws AuthError (wrong username or password), StoreError (a tampered record), NeedsInputError,
 *   UsageError (--since in the future), UserError (--call unknown)
 */
export async function runLogs(opts: LogsOptions, ctx: Context): Promise<LogsResult> {
  const { store, timeZone } = await readWithClinicZone(ctx);
  const since = resolveSince(opts.since, ctx.now(), timeZone);
  // Without the blind-index key an admin can still find a caller, by comparing opened numbers.
  const callerIndex = opts.caller ? blindIndexOf(opts.caller, ctx, opts.decrypt) : undefined;
  const byComparison = Boolean(opts.caller && !callerIndex);
  // The store filters, sorts and limits: only the page shown is read (and opened).
  const query = {
    since,
    callId: opts.call,
    customerIndex: callerIndex,
    limit: byComparison ? undefined : opts.limit,
  };
  // The password's key derivation runs in the thread pool while this thread reads the log.
  // Both settle before the store closes, so no read outlives the command.
  const [u, l] = await Promise.allSettled([opts.decrypt ? ctx.keyring() : undefined, store.callLogs.list(query)]);
  if (u.status === 'rejected') throw u.reason;
  if (l.status === 'rejected') throw l.reason;
  const unlocked = u.value;
  // A row from a newer receptionist, or one a tool outside receptionist damaged, is skipped by name.
  const logged = l.value.filter((r) => {
    const problem = documentProblem('call_logs', r);
    if (problem) ctx.io.error(`Warning: call log ${documentId(r)}: ${problem}; skipped.`);
    return !problem;
  });
  const rows: LogRow[] = [];
  for (const r of logged) {
    const { customerIndex: _index, ...rest } = r;
    const row = { ...rest, status: 'ended', bookings: [] } as LogRow;
    for (const f of SEALED_CALL_LOG_FIELDS) {
      if (unlocked) row[f] = openOrFail(r[f], r.callId, f, unlocked.dataKeys);
      else if (isSealed(r[f])) row[f] = SEALED_PLACEHOLDER;
    }
    rows.push(row);
  }
  const filtered = byComparison ? rows.filter((r) => r.customerNumber === opts.caller) : rows;
  // Calls still running: a status, no report yet (a caller filter leaves them out: they have no number).
  const live = opts.caller
    ? []
    : await store
        .collection<CallStatus>('call_status')
        .find(opts.call ? { _id: opts.call, status: { $in: LIVE_STATUSES } } : { status: { $in: LIVE_STATUSES } });
  // A report without an endedReason takes the one its last status-update carried.
  const unexplained = filtered.filter((r) => !r.endedReason).map((r) => r.callId);
  const statuses = unexplained.length
    ? [...live, ...(await store.collection<CallStatus>('call_status').find({ _id: { $in: unexplained } }))]
    : live;
  const result = withLiveCalls(filtered, statuses, {
    since,
    limit: opts.limit,
    call: opts.call,
    byCaller: Boolean(opts.caller),
  });
  // What was booked, for the calls shown only.
  const booked = await bookingsByCall(
    store,
    result.map((r) => r.callId),
    timeZone,
  );
  for (const r of result) r.bookings = booked.get(r.callId) ?? r.bookings;
  if (opts.call && !result.some((r) => r.callId === opts.call)) {
    throw new UserError(
      `No call ${opts.call} in the store at ${store.location}.`,
      '`receptionist logs` lists the calls it holds.',
    );
  }
  if (unlocked) {
    await appendAudit(store, {
      at: ctx.now().toISOString(),
      user: unlocked.username,
      action: 'decrypt',
      details: {
        command: 'logs',
        since: since?.toISOString(),
        limit: opts.limit,
        call: opts.call,
        caller: callerIndex ? `index:${callerIndex}` : byComparison ? 'by comparison' : undefined,
        records: result.length,
      },
    });
  }
  return { rows: result, timeZone };
}

function openOrFail(value: string, callId: string, field: string, keys: Unlocked['dataKeys']): string {
  try {
    return openField(value, callLogContext(callId, field), keys);
  } catch (err) {
    if (err instanceof SealError) {
      throw new StoreError(
        `Call ${callId}: the sealed ${field} failed authentication (tampered with, damaged, or sealed to a key you do not hold). Nothing was shown.`,
        'Restore calls.csv from a backup, or check the keys with `receptionist users list`.',
      );
    }
    throw err;
  }
}

function blindIndexOf(e164: string, deps: Pick<Deps, 'env'>, canCompare: boolean): string | undefined {
  const key = blindIndexKeyFromEnv(deps.env);
  if (key) return blindIndex(key, e164);
  if (canCompare) return undefined;
  throw new UserError(
    '--caller needs RECEPTIONIST_BLIND_INDEX_KEY (or --decrypt).',
    'Restore the key from your backup of .env, or add --decrypt.',
  );
}

/**
 * A row as `--json` prints it: JSON types, not CSV text: `costBreakdown` an object, a success
 * evaluation of "true"/"false" a boolean, and an absent value `null` rather than "".
 */
export function jsonRow(r: LogRow): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(r)) out[k] = v === '' ? null : v;
  if (typeof r.costBreakdown === 'string' && r.costBreakdown) {
    try {
      out.costBreakdown = JSON.parse(r.costBreakdown);
    } catch {
      // not JSON (an older row): kept as the text it is
    }
  }
  if (r.successEvaluation === 'true' || r.successEvaluation === 'false')
    out.successEvaluation = r.successEvaluation === 'true';
  return out;
}

/** A time as a person at the clinic reads it: `2026-12-01 15:00` in its zone. */
function local(iso: string, zone: string): string {
  const t = DateTime.fromISO(iso, { zone: 'utc' });
  return t.isValid ? t.setZone(zone).toFormat('yyyy-MM-dd HH:mm') : iso;
}

/**
 * A table on a terminal, CSV when piped or with --csv (cells guarded against spreadsheet formulas
 * unless --raw), one call in full with --call; with --json an array of rows (one object, or null, with --call).
 */
export function renderLogs({ rows, timeZone }: LogsResult, opts: LogsOptions, { io, globals }: RenderContext): void {
  // Indented for a person at a terminal; compact when piped (jq indents it again if wanted).
  if (globals.json)
    return io.line(
      JSON.stringify(
        opts.call ? (rows[0] ? jsonRow(rows[0]) : null) : rows.map(jsonRow),
        null,
        io.isOutTTY ? 2 : undefined,
      ),
    );
  if (opts.call && !opts.csv) {
    const r = rows[0];
    if (!r) return io.info(`No call ${opts.call}.`);
    const fields: Array<[string, unknown]> = [
      ['Call', r.callId],
      ['Type', r.callType],
      ['Assistant', r.assistantId],
      ['Started', r.startedAt ? `${local(r.startedAt, timeZone)} (${timeZone})` : ''],
      ['Ended', r.endedAt ? `${local(r.endedAt, timeZone)} (${timeZone})` : ''],
      ['Duration', r.durationSeconds === null ? '' : `${r.durationSeconds}s`],
      ['Ended reason', r.endedReason],
      ['Cost', r.cost === null ? '' : `$${r.cost}`],
      ['Caller', r.customerNumber],
      ['Booked', r.bookings.join('; ')],
      ['Recording', r.recordingUrl],
      ['Success', r.successEvaluation],
      ['Summary', r.summary],
    ];
    for (const [k, v] of fields) io.line(`${`${k}:`.padEnd(14)}${String(v ?? '')}`);
    io.line('Transcript:');
    io.line(
      r.transcript
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    return;
  }
  if (opts.csv || !io.isOutTTY) {
    const columns = [...CALL_LOG_COLUMNS.filter((c) => c !== 'customerIndex'), 'status', 'bookings'] as const;
    const cell = (r: LogRow, c: (typeof columns)[number]) =>
      c === 'bookings' ? r.bookings.join('; ') : r[c] === null ? '' : String(r[c]);
    io.write(
      stringify([
        columns as unknown as string[],
        ...rows.map((r) => columns.map((c) => (opts.raw ? cell(r, c) : escapeCell(cell(r, c))))),
      ]),
    );
    return;
  }
  if (!rows.length) return io.info('No calls logged yet.');
  io.info(`Times are in the clinic's zone, ${timeZone}.`);
  const head = [
    'Ended',
    'Call ID',
    'Type',
    'Status',
    'Duration',
    'Ended reason',
    'Cost',
    'Caller',
    'Booked',
    'Summary',
  ];
  const cells = rows.map((r) => [
    local(r.endedAt || r.startedAt, timeZone),
    r.callId,
    r.callType,
    r.status,
    r.durationSeconds === null ? '' : `${Math.round(r.durationSeconds)}s`,
    r.endedReason,
    r.cost === null ? '' : `$${r.cost.toFixed(4)}`,
    r.customerNumber,
    r.bookings.join('\n'),
    r.summary,
  ]);
  io.line(renderTable(head, cells, io, globals.color));
}

export const logs = implement({
  parse: (flags: Flags, env: Env) => parseLogsOptions(flags, env),
  run: runLogs,
  render: renderLogs,
});

/** `logs export --csv`: calls.csv rebuilt from the store. @throws StoreError (another process writes the CSV) */
export const exportCsv = implement({
  parse: () => undefined,
  run: async (_o: unknown, ctx: Context) => {
    const store = await ctx.store({ readOnly: true });
    const { rebuildCsv } = await import('../../store/embedded.js');
    return rebuildCsv(store, ctx.globals.dataDir.value, ctx.commandPath);
  },
  render: (r: { file: string; rows: number }, _o, { io, globals }) =>
    globals.json ? io.line(JSON.stringify(r)) : io.info(`Wrote ${r.rows} call log(s) to ${r.file}.`),
});
