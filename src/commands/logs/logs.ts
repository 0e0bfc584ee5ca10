import { DateTime } from 'luxon';
import { stringify } from 'csv-stringify/sync';
import { renderTable } from '../shared/table.js';
import type { Deps } from '../../deps.js';
import { StoreError, UsageError, UserError } from '../../errors.js';
import { documentId, documentProblem } from '../../store/schemas.js';
import { SEALED_CALL_LOG_FIELDS, type CallLogQuery, type Store } from '../../store/types.js';
import { callLogContext, type CallStatus } from '../../domain/call-records.js';
import { LIVE_STATUSES, logRows, type LogRow } from '../../domain/call-log-query.js';
import type { Unlocked } from '../../domain/keyring.js';
import { dayFlag, dayIn, parseLimit, parseSinceFlag, resolveSince, type Since } from '../shared/parse.js';
import { revealField } from '../../domain/sealer.js';
import { appendAudit } from '../../domain/audit.js';
import { toE164 } from '../../domain/contact.js';
import { SealError } from '../../crypto/seal.js';
import { blindIndex } from '../../crypto/blind-index.js';
import { blindIndexKeyFromEnv } from '../../domain/sealing-keys.js';
import type { Env } from '../../env.js';
import { printable, type IO } from '../../io.js';
import { CALL_LOG_COLUMNS, escapeCell } from '../../store/csv-cells.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type { LogsFlags } from './index.js';
import type { CallView } from '../../studio/contract.js';
import type { Context } from '../shared/context.js';
import { readWithClinicZone } from '../shared/store.js';

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
  /** `--until`: calls that ended on or before this day (today, tomorrow, or YYYY-MM-DD, clinic zone). */
  until?: string;
  /** `--ended-reason`: Vapi's `endedReason`, e.g. `customer-ended-call`. */
  endedReason?: string;
}

/** @throws UsageError for a bad --since, --until, --limit, --caller or --ended-reason */
export function parseLogsOptions(flags: LogsFlags, env?: Env): LogsOptions {
  const since = parseSinceFlag(flags.since);
  const limit = parseLimit(flags.limit);
  let caller: string | undefined;
  const callerFlag = flags.caller;
  if (callerFlag) {
    caller = toE164(callerFlag, env?.get('RECEPTIONIST_DEFAULT_REGION')?.value ?? 'IN');
    if (!caller)
      throw new UsageError(
        `Invalid --caller "${callerFlag}"`,
        'Give a phone number, best in E.164 form such as +919812345678.',
      );
  }
  const endedReason = flags.endedReason?.trim();
  if (endedReason !== undefined && !/^[a-z0-9][a-z0-9.-]*$/i.test(endedReason))
    throw new UsageError(
      `Invalid --ended-reason "${printable(endedReason)}".`,
      "Give one of Vapi's ended reasons, e.g. customer-ended-call or assistant-ended-call.",
    );
  return {
    since,
    until: dayFlag(flags.until, '--until'),
    endedReason,
    limit,
    csv: flags.csv === true,
    raw: flags.raw === true,
    decrypt: flags.decrypt === true,
    caller,
    call: flags.call,
  };
}

/** How many rows a table on a terminal shows without --limit (as `gh run list` does). */
export const TABLE_ROWS = 50;

/** Opened rows `--decrypt` keeps in memory to print without reading them twice (UTF-16 units, ~64 MB). */
const KEEP_OPENED = 32 * 1024 * 1024;

/**
 * The calls, newest first, read from the store as they are printed (memory stays bounded at any
 * store size), and the clinic's IANA time zone in which a person reads their times. `more`: a
 * terminal's table was cut at {@link TABLE_ROWS}.
 */
export interface LogsResult {
  rows: AsyncIterable<LogRow> | LogRow[];
  timeZone: string;
  more?: boolean;
}

/**
 * Reads a snapshot of the store (no lock: safe while `serve` writes). Sealed fields come back
 * as `[sealed]`, or, with `decrypt`, opened with the admin's keys after an audit record is
 * written. With `decrypt`, every record is opened before the first is printed, so a record that
 * fails to open releases nothing (ENC-6): when the opened rows exceed ~64 MB they are read
 * and opened a second time, from the first row of the first pass, as they are printed.
 * @throws AuthError (wrong username or password), StoreError (a tampered record), NeedsInputError,
 *   UsageError (--since in the future), UserError (--call unknown)
 */
export async function runLogs(opts: LogsOptions, ctx: Context): Promise<LogsResult> {
  const { store, timeZone } = await readWithClinicZone(ctx);
  const since = resolveSince(opts.since, ctx.now(), timeZone);
  // The last moment of the --until day: the store starts its newest-first read there.
  const until = opts.until ? dayIn(opts.until, timeZone, ctx.now()).plus({ days: 1 }).toMillis() - 1 : undefined;
  if (until !== undefined && since && until < since.getTime())
    throw new UsageError(`--until ${opts.until} is before --since.`);
  // Without the blind-index key an admin can still find a caller, by comparing opened numbers.
  const callerIndex = opts.caller ? blindIndexOf(opts.caller, ctx, opts.decrypt) : undefined;
  const byComparison = Boolean(opts.caller && !callerIndex);
  // Filters the store does not index are kept in the stream; the limit then applies after them.
  const filtered = byComparison || opts.endedReason !== undefined;
  // A person at a terminal gets a page (and is told there is more); scripts get everything asked for.
  const table = ctx.io.isOutTTY && !ctx.globals.json && !opts.csv && !opts.call;
  const paged = table && opts.limit === undefined;
  const limit = opts.limit ?? (paged ? TABLE_ROWS + 1 : undefined);
  const unlocked = opts.decrypt ? await ctx.keyring() : undefined;
  const live = await liveCalls(store, opts, until, ctx);
  // The store filters, sorts and limits: only the rows shown are read (and opened).
  const query: CallLogQuery = {
    since,
    callId: opts.call,
    customerIndex: callerIndex,
    limit: filtered ? undefined : limit,
    // The read starts at the day's last moment, after any call id that ends there (U+FFFF sorts after them all).
    ...(until !== undefined ? { startAt: { at: new Date(until).toISOString(), callId: '\uffff' } } : {}),
  };
  // Told once, though a second pass of --decrypt meets the row again.
  const skipped = new Set<string>();
  const read = (q: CallLogQuery) =>
    logRows(store, q, {
      timeZone,
      live,
      since,
      limit,
      call: opts.call,
      // A row from a newer receptionist, or one a tool outside receptionist damaged, is skipped by name.
      accept: (r) => {
        const problem = documentProblem('call_logs', r);
        const id = documentId(r);
        if (problem && !skipped.has(id)) {
          skipped.add(id);
          ctx.io.error(`Warning: call log ${printable(id)}: ${printable(problem)}; skipped.`);
        }
        return !problem;
      },
      reveal: (r) =>
        Object.fromEntries(SEALED_CALL_LOG_FIELDS.map((f) => [f, openOrFail(r[f], r.callId, f, unlocked?.dataKeys)])),
      keep: filtered
        ? (r) =>
            (!byComparison || r.customerNumber === opts.caller) &&
            (opts.endedReason === undefined || r.endedReason === opts.endedReason)
        : undefined,
      // Patients' names in the bookings: sealed to the receptionist key (admins hold it too).
      revealName: (a) =>
        revealField(
          a.patientName ?? 'patient',
          { collection: 'appointments', recordId: a.rootId ?? a.appointmentId, field: 'patientName' },
          unlocked?.dataKeys,
        ),
    });
  let rows: AsyncIterable<LogRow> | LogRow[] = read(query);
  let count: number | undefined;
  // Read (and open) every row before printing any: kept when they fit, else read again as printed.
  if (unlocked || opts.call || table)
    ({ rows, count } = await readAllFirst(rows, (startAt) => read({ ...query, startAt })));
  if (opts.call && count === 0) {
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
        until: until !== undefined ? new Date(until).toISOString() : undefined,
        endedReason: opts.endedReason,
        limit: opts.limit,
        call: opts.call,
        caller: callerIndex ? `index:${callerIndex}` : byComparison ? 'by comparison' : undefined,
        records: count,
        // What was opened follows from the role: a receptionist's opening shows names only.
        role: unlocked.role,
      },
    });
  }
  if (paged && Array.isArray(rows) && rows.length > TABLE_ROWS)
    return { rows: rows.slice(0, TABLE_ROWS), timeZone, more: true };
  return { rows, timeZone };
}

/**
 * Calls still running: a status, no report yet. A caller filter leaves them out (they have no
 * number), an ended-reason filter too (they have none yet), and an --until day before today. A status
 * an older build stored with an impossible time (a `1e308`) is skipped by name, not fatal.
 */
async function liveCalls(
  store: Store,
  opts: LogsOptions,
  until: number | undefined,
  ctx: Context,
): Promise<CallStatus[]> {
  if (opts.caller || opts.endedReason || (until !== undefined && until < ctx.now().getTime())) return [];
  const statuses = await store
    .collection('call_status')
    .find(opts.call ? { _id: opts.call, status: { $in: LIVE_STATUSES } } : { status: { $in: LIVE_STATUSES } });
  return statuses.filter((st) => {
    const problem = documentProblem('call_status', st);
    if (problem) ctx.io.error(`Warning: call status ${printable(documentId(st))}: ${printable(problem)}; skipped.`);
    return !problem;
  });
}

/**
 * Every row read (and opened) before the first is printed (ENC-6): kept in memory while they fit in
 * {@link KEEP_OPENED}, else read again by `again`, from the first ended row of the first pass.
 */
async function readAllFirst(
  rows: AsyncIterable<LogRow>,
  again: (startAt: CallLogQuery['startAt']) => AsyncIterable<LogRow>,
): Promise<{ rows: AsyncIterable<LogRow> | LogRow[]; count: number }> {
  let kept: LogRow[] | undefined = [];
  let size = 0;
  let first: LogRow | undefined;
  let count = 0;
  for await (const r of rows) {
    count++;
    if (r.status === 'ended') first ??= r;
    if (kept) {
      kept.push(r);
      size += JSON.stringify(r).length;
      if (size > KEEP_OPENED) kept = undefined;
    }
  }
  return { rows: kept ?? again(first && { at: first.endedAt || first.receivedAt, callId: first.callId }), count };
}

/**
 * A sealed call-log field opened, `[sealed]` when it is sealed to a key this user's role does not
 * hold (a receptionist reading a summary). @throws StoreError when it fails authentication
 */
function openOrFail(value: string, callId: string, field: string, keys: Unlocked['dataKeys'] | undefined): string {
  try {
    return revealField(value, callLogContext(callId, field), keys);
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
export function jsonRow(r: LogRow): CallView {
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
  // The row's own fields, every empty one null: the shape the studio's contract names.
  return out as unknown as CallView;
}

/** A time as a person at the clinic reads it: `2026-12-01 15:00` in its zone. */
function local(iso: string, zone: string): string {
  const t = DateTime.fromISO(iso, { zone: 'utc' });
  return t.isValid ? t.setZone(zone).toFormat('yyyy-MM-dd HH:mm') : iso;
}

/**
 * A table on a terminal, CSV when piped or with --csv (cells guarded against spreadsheet formulas
 * unless --raw), one call in full with --call; with --json an array of rows (one object, or null,
 * with --call). JSON and CSV are written as the rows are read, waiting while stdout is full.
 */
export async function renderLogs(
  { rows, timeZone, more }: LogsResult,
  opts: LogsOptions,
  { io, globals }: RenderContext,
): Promise<void> {
  if (globals.json && !opts.call) return writeJsonArray(io, rows);
  if (opts.call && !opts.csv) {
    const [r] = Array.isArray(rows) ? rows : [];
    // Indented for a person at a terminal; compact when piped (jq indents it again if wanted).
    if (globals.json) return io.line(JSON.stringify(r ? jsonRow(r) : null, null, io.isOutTTY ? 2 : undefined));
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
    io.write(stringify([columns as unknown as string[]]));
    for await (const batch of batches(rows))
      if (
        !(await io.drain(
          stringify(
            batch.map((r) => columns.map((c) => (opts.raw ? cell(r, c) : escapeCell(cell(r, c))))),
            { quoted_match: /\r/ },
          ),
        ))
      )
        return;
    return;
  }
  const shown = Array.isArray(rows) ? rows : [];
  if (!shown.length) return io.info('No calls logged yet.');
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
  const cells = shown.map((r) => [
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
  if (more) io.info(`The newest ${TABLE_ROWS} calls. More with --limit <n>, --since, or all with --json or --csv.`);
}

/**
 * `--json`: one array, written a batch of rows at a time (indented on a terminal, compact when
 * piped, as `JSON.stringify` would write the whole array).
 */
async function writeJsonArray(io: IO, rows: AsyncIterable<LogRow> | LogRow[]): Promise<void> {
  const indent = io.isOutTTY ? 2 : undefined;
  let first = true;
  for await (const batch of batches(rows)) {
    const text = batch
      .map((r) => {
        const json = JSON.stringify(jsonRow(r), null, indent);
        return indent ? json.replace(/^/gm, '  ') : json;
      })
      .join(indent ? ',\n' : ',');
    if (!(await io.drain(`${first ? (indent ? '[\n' : '[') : indent ? ',\n' : ','}${text}`))) return;
    first = false;
  }
  io.line(first ? '[]' : indent ? '\n]' : ']');
}

/** Rows in arrays of up to 100, for writing. */
async function* batches(rows: AsyncIterable<LogRow> | LogRow[]): AsyncIterable<LogRow[]> {
  let batch: LogRow[] = [];
  for await (const r of rows) {
    batch.push(r);
    if (batch.length === 100) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length) yield batch;
}

export const logs = implement({
  parse: parseLogsOptions,
  run: runLogs,
  render: renderLogs,
});

/** `logs export --csv`: calls.csv rebuilt from the store. @throws StoreError (another process writes the CSV) */
export const exportCsv = implement({
  parse: noFlags,
  run: async (_o: unknown, ctx: Context) => {
    const store = await ctx.store({ readOnly: true });
    const { rebuildCsv } = await import('../../store/embedded.js');
    return rebuildCsv(store, ctx.globals.dataDir.value, ctx.commandPath);
  },
  render: (r: { file: string; rows: number }, _o, { io, globals }) =>
    globals.json ? io.line(JSON.stringify(r)) : io.info(`Wrote ${r.rows} call log(s) to ${r.file}.`),
});
