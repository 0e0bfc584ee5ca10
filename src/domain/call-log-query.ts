import { DateTime } from 'luxon';
import type { CallLogQuery, CallLogRecord, Store } from '../store/types.js';
import type { CallStatus } from './call-records.js';
import type { Appointment } from './appointments.js';

/**
 * The call-log query `logs` shows (and the studio will): logged calls, plus calls still running
 * (a status but no `end-of-call-report` yet), newest first, with what was booked during each.
 */

/** A call-log row plus the latest status and what was booked during the call (readable fields only). */
export type LogRow = Omit<CallLogRecord, 'customerIndex'> & {
  status: string;
  /** "Asha Verma with Dr. Anil Mehta at 2026-12-01T11:00:00.000+05:30 (confirmed)", one per appointment made in the call. */
  bookings: string[];
};

/** Vapi's call statuses (spec `Call.status`) of a call that has not ended. */
export const LIVE_STATUSES = ['scheduled', 'queued', 'ringing', 'in-progress', 'forwarding'];

/** Which calls: `since` (ended after), one `call` id, at most `limit` rows. */
export interface CallLogFilter {
  since?: Date;
  limit?: number;
  call?: string;
}

/**
 * Appointments made during these calls: patient name (as `revealName` shows it: opened, or
 * `[sealed]`), doctor and time (the receptionist's view).
 */
export async function bookingsByCall(
  store: Store,
  callIds: string[],
  zone: string,
  revealName: (a: Appointment) => string = (a) => a.patientName ?? 'patient',
): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (!callIds.length) return out;
  const appts = await store
    .collection('appointments')
    .find(
      { callId: { $in: callIds }, status: { $in: ['confirmed', 'cancelled', 'rescheduled'] } },
      { sort: { startMs: 1 } },
    );
  for (const a of appts) {
    const list = out.get(a.callId!) ?? [];
    // ISO with the clinic's offset: the time the clinic speaks of, and still exact for a script.
    const at = DateTime.fromISO(a.start, { zone }).toISO() ?? a.start;
    list.push(`${revealName(a)} with ${a.doctorName} at ${at} (${a.status})`);
    out.set(a.callId!, list);
  }
  return out;
}

/** How {@link logRows} turns stored records into rows. */
export interface LogRowsOptions extends CallLogFilter {
  /** The clinic's IANA time zone, for the booking times. */
  timeZone: string;
  /** Statuses of calls still running (no report yet): merged in by time. Empty with a caller filter (they have no number). */
  live: CallStatus[];
  /** False for a record that must not be shown (a damaged or newer one, said by the caller); it is skipped. */
  accept: (r: CallLogRecord) => boolean;
  /** The sealed fields as the row shows them: opened, or `[sealed]`. @throws to stop the listing */
  reveal: (r: CallLogRecord) => Partial<CallLogRecord>;
  /** Keeps only the rows it returns true for (a caller found by comparing opened numbers). */
  keep?: (r: LogRow) => boolean;
  /** A booking's patient name as the row shows it (opened, or `[sealed]`). */
  revealName?: (a: Appointment) => string;
}

/** Records per read of the store's stream and per look-up of their statuses and bookings. */
const CHUNK = 200;

/**
 * The rows of `query` (a {@link Store.callLogs} query, which filters, sorts and limits in the
 * store), newest first, with calls still running merged in by time, each with its bookings and,
 * for a report without one, the ended reason of its last status. Read a chunk at a time, so
 * memory stays bounded at any store size.
 */
export async function* logRows(store: Store, query: CallLogQuery, o: LogRowsOptions): AsyncIterable<LogRow> {
  const live = await liveRows(store, o);
  const limit = o.limit ?? Infinity;
  let shown = 0;
  let next = 0;
  for await (const chunk of chunks(store.callLogs.stream(query), CHUNK)) {
    // A turn of the event loop per chunk: SQLite's reads are synchronous, and without one the
    // process never runs what frees native memory (finalizers) or anything else queued.
    await new Promise((resolve) => setImmediate(resolve));
    const rows = chunk
      .filter(o.accept)
      .map((r): LogRow => {
        const { customerIndex: _index, ...rest } = r;
        return { ...rest, ...o.reveal(r), status: 'ended', bookings: [] } as LogRow;
      })
      .filter(o.keep ?? (() => true));
    const unexplained = rows.filter((r) => !r.endedReason).map((r) => r.callId);
    const reasons = new Map(
      unexplained.length
        ? (await store.collection('call_status').find({ _id: { $in: unexplained } })).map((s) => [
            s._id,
            s.endedReason ?? '',
          ])
        : [],
    );
    const booked = await bookingsByCall(
      store,
      rows.map((r) => r.callId),
      o.timeZone,
      o.revealName,
    );
    for (const r of rows) {
      while (next < live.length && sortKey(live[next]!) > sortKey(r)) {
        if (shown++ >= limit) return;
        yield live[next++]!;
      }
      if (shown++ >= limit) return;
      yield { ...r, endedReason: r.endedReason || reasons.get(r.callId) || '', bookings: booked.get(r.callId) ?? [] };
    }
  }
  while (next < live.length) {
    if (shown++ >= limit) return;
    yield live[next++]!;
  }
}

/** Rows for the calls that have a live status but no report, newest first. */
async function liveRows(store: Store, o: LogRowsOptions): Promise<LogRow[]> {
  const out: LogRow[] = [];
  for (const s of o.live) {
    if (s.status === 'ended' || (o.call && s._id !== o.call)) continue;
    const at = new Date(s.at).toISOString();
    if (o.since && at < o.since.toISOString()) continue;
    // A report that came before its last status: the call is logged, not running.
    if (await store.callLogs.has(s._id)) continue;
    const { customerIndex: _i, ...empty } = emptyCallLog(s._id, at);
    out.push({
      ...empty,
      callType: s.callType ?? '',
      assistantId: s.assistantId ?? '',
      status: s.status,
      bookings: [],
    });
  }
  return out.sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
}

/** Where a row sorts: when it ended, else when it was received (the store's order). */
const sortKey = (r: LogRow) => r.endedAt || r.receivedAt;

/** The items of `source` in arrays of up to `size`. */
async function* chunks<T>(source: AsyncIterable<T>, size: number): AsyncIterable<T[]> {
  let chunk: T[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

/** A call-log record with nothing known but its id and when it was seen (ISO 8601): a live call, or a fixture. */
export function emptyCallLog(callId: string, at: string): CallLogRecord {
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
