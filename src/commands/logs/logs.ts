import { DateTime } from 'luxon';
import { stringify } from 'csv-stringify/sync';
import { renderTable } from '../shared/table.js';
import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { StoreError, UsageError, UserError } from '../../errors.js';
import { documentId, documentProblem } from '../../store/schemas.js';
import { SEALED_CALL_LOG_FIELDS, type CallLogRecord, type Store } from '../../store/types.js';
import { callLogContext, type CallStatus } from '../../domain/call-records.js';
import type { Appointment } from '../../domain/appointments.js';
import { loadBotConfig } from '../../domain/clinic.js';
import type { Unlocked } from '../../domain/keyring.js';
import { asUserFacing, unlockForDecrypt } from '../shared/admin.js';
import { parseLimit, parseSince } from '../shared/parse.js';
import { openField, SEALED_PLACEHOLDER } from '../../domain/sealer.js';
import { appendAudit } from '../../domain/audit.js';
import { toE164 } from '../../domain/contact.js';
import { isSealed, SealError } from '../../crypto/seal.js';
import { blindIndex } from '../../crypto/blind-index.js';
import { blindIndexKeyFromEnv } from '../shared/sealer.js';
import type { Env } from '../../env.js';
import { CALL_LOG_COLUMNS, escapeCell } from '../../store/csv-cells.js';
import type { GlobalOptions } from '../shared/globals.js';
import { openStore } from '../shared/store.js';
import type { LogsFlags } from './index.js';

export interface LogsOptions {
  since?: Date;
  limit?: number;
  csv: boolean;
  decrypt: boolean;
  username?: string;
  passwordStdin: boolean;
  /** E.164 */
  caller?: string;
  call?: string;
}

/** A call-log row plus the latest status and what was booked during the call (readable fields only). */
export type LogRow = Omit<CallLogRecord, 'customerIndex'> & {
  status: string;
  /** "Asha Verma with Dr. Anil Mehta at 2026-12-01T05:30:00.000Z (confirmed)", one per appointment made in the call. */
  bookings: string[];
};

/** @throws UsageError for a bad --since, --limit or --caller */
export function parseLogsOptions(flags: LogsFlags, now: Date, env?: Env): LogsOptions {
  const since = parseSince(flags.since, now);
  const limit = parseLimit(flags.limit);
  let caller: string | undefined;
  if (flags.caller) {
    caller = toE164(flags.caller, env?.get('RECEPTIONIST_DEFAULT_REGION')?.value ?? 'IN');
    if (!caller)
      throw new UsageError(
        `Invalid --caller "${flags.caller}"`,
        'Give a phone number, best in E.164 form such as +919812345678.',
      );
  }
  return {
    since,
    limit,
    csv: Boolean(flags.csv),
    decrypt: Boolean(flags.decrypt),
    username: flags.username,
    passwordStdin: Boolean(flags.passwordStdin),
    caller,
    call: flags.call,
  };
}

/**
 * Reads a snapshot of the store (no lock: safe while `serve` writes). Sealed fields come back
 * as `[sealed]`, or, with `decrypt`, opened with the admin's keys after an audit record is
 * written. A record that fails to open stops the command before anything is printed (ENC-6).
 * @throws AuthError (wrong username or password), StoreError (a tampered record), NeedsInputError
 */
/** The calls, and the clinic's IANA time zone in which a person reads their times. */
export interface LogsResult {
  rows: LogRow[];
  timeZone: string;
}

export async function runLogs(opts: LogsOptions, g: GlobalOptions, deps: Deps): Promise<LogsResult> {
  const store = await openStore(g, deps, { readOnly: true, purpose: 'receptionist logs' });
  try {
    // The password's key derivation runs in the thread pool while this thread reads the log.
    // Both settle before the store closes, so no read outlives the command.
    const [u, l] = await Promise.allSettled([
      opts.decrypt ? unlockForDecrypt(store, opts, deps) : undefined,
      store.callLogs.list({ since: opts.since }),
    ]);
    if (u.status === 'rejected') throw u.reason;
    if (l.status === 'rejected') throw l.reason;
    const unlocked = u.value;
    // A row from a newer receptionist, or one a tool outside receptionist damaged, is skipped by name.
    const all = l.value.filter((r) => {
      const problem = documentProblem('call_logs', r);
      if (problem) deps.io.error(`Warning: call log ${documentId(r)}: ${problem}; skipped.`);
      return !problem;
    });
    let logged = all;
    if (opts.call) logged = logged.filter((r) => r.callId === opts.call);
    const callerIndex = opts.caller ? blindIndexOf(opts.caller, deps, Boolean(unlocked)) : undefined;
    if (opts.caller && callerIndex) logged = logged.filter((r) => r.customerIndex === callerIndex);
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
    // Without the blind-index key, an admin can still filter by comparing opened numbers.
    const filtered = opts.caller && !callerIndex ? rows.filter((r) => r.customerNumber === opts.caller) : rows;
    const timeZone = (await loadBotConfig(store.collection('bot_configs')))?.clinic.timeZone ?? 'UTC';
    const booked = await bookingsByCall(
      store,
      filtered.map((r) => r.callId),
      timeZone,
    );
    for (const r of filtered) r.bookings = booked.get(r.callId) ?? [];
    const result = withLiveCalls(filtered, await store.collection<CallStatus>('call_status').find({}), opts);
    if (opts.call && !result.some((r) => r.callId === opts.call)) {
      throw new UserError(
        `No call ${opts.call} in the store at ${store.location}.`,
        '`receptionist logs` lists the calls it holds.',
      );
    }
    if (unlocked) {
      await appendAudit(store, {
        at: deps.now().toISOString(),
        user: unlocked.username,
        action: 'decrypt',
        details: {
          command: 'logs',
          since: opts.since?.toISOString(),
          limit: opts.limit,
          call: opts.call,
          caller: callerIndex ? `index:${callerIndex}` : opts.caller ? 'by comparison' : undefined,
          records: result.length,
        },
      });
    }
    return { rows: result, timeZone };
  } catch (err) {
    throw asUserFacing(err);
  } finally {
    await store.close();
  }
}

/** Appointments made during these calls: patient name, doctor and time stay readable (the receptionist's view). */
async function bookingsByCall(store: Store, callIds: string[], zone: string): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!callIds.length) return out;
  const appts = await store
    .collection<Appointment>('appointments')
    .find(
      { callId: { $in: callIds }, status: { $in: ['confirmed', 'cancelled', 'rescheduled'] } },
      { sort: { startMs: 1 } },
    );
  for (const a of appts) {
    const list = out.get(a.callId!) ?? [];
    // ISO with the clinic's offset: the time the clinic speaks of, and still exact for a script.
    const at = DateTime.fromISO(a.start, { zone }).toISO() ?? a.start;
    list.push(`${a.patientName ?? 'patient'} with ${a.doctorName} at ${at} (${a.status})`);
    out.set(a.callId!, list);
  }
  return out;
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

function blindIndexOf(e164: string, deps: Deps, canCompare: boolean): string | undefined {
  const key = blindIndexKeyFromEnv(deps.env);
  if (key) return blindIndex(key, e164);
  if (canCompare) return undefined;
  throw new UserError(
    '--caller needs RECEPTIONIST_BLIND_INDEX_KEY (or --decrypt).',
    'Restore the key from your backup of .env, or add --decrypt.',
  );
}

/** Adds calls that have a status but no report yet (still running), then sorts and limits. */
function withLiveCalls(rows: LogRow[], statuses: CallStatus[], opts: LogsOptions): LogRow[] {
  const byId = new Map(statuses.map((s) => [s._id, s]));
  const out = rows.map((r) => ({ ...r, endedReason: r.endedReason || byId.get(r.callId)?.endedReason || '' }));
  const loggedIds = new Set(rows.map((r) => r.callId));
  if (!opts.caller) {
    for (const s of statuses) {
      if (loggedIds.has(s._id) || s.status === 'ended' || (opts.call && s._id !== opts.call)) continue;
      const at = new Date(s.at).toISOString();
      if (opts.since && at < opts.since.toISOString()) continue;
      const { customerIndex: _i, ...empty } = emptyRecord(s._id, at);
      out.push({
        ...empty,
        callType: s.callType ?? '',
        assistantId: s.assistantId ?? '',
        status: s.status,
        bookings: [],
      });
    }
  }
  out.sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
  return opts.limit ? out.slice(0, opts.limit) : out;
}

const sortKey = (r: LogRow) => r.endedAt || r.startedAt || r.receivedAt;

function emptyRecord(callId: string, at: string): CallLogRecord {
  return {
    callId,
    callType: '',
    assistantId: '',
    startedAt: at,
    endedAt: '',
    durationSeconds: null,
    endedReason: '',
    cost: null,
    costBreakdown: '',
    customerNumber: '',
    customerIndex: '',
    summary: '',
    transcript: '',
    recordingUrl: '',
    successEvaluation: '',
    receivedAt: at,
  };
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

export function renderLogs(
  { rows, timeZone }: LogsResult,
  opts: LogsOptions & { json: boolean; color: boolean },
  io: IO,
): void {
  // Indented for a person at a terminal; compact when piped (jq indents it again if wanted).
  if (opts.json)
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
      stringify([columns as unknown as string[], ...rows.map((r) => columns.map((c) => escapeCell(cell(r, c))))]),
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
  io.line(renderTable(head, cells, io, opts.color));
}
