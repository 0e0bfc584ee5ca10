import { DateTime } from 'luxon';
import type { CallLogRecord, Store } from '../store/types.js';
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

/** Which calls: `since` (ended after), one `call` id, and whether a caller filter is on (live calls have no caller). */
export interface CallLogFilter {
  since?: Date;
  limit?: number;
  call?: string;
  byCaller?: boolean;
}

/** Appointments made during these calls: patient name, doctor and time stay readable (the receptionist's view). */
export async function bookingsByCall(store: Store, callIds: string[], zone: string): Promise<Map<string, string[]>> {
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

/** Adds calls that have a status but no report yet (still running), then sorts and limits. */
export function withLiveCalls(rows: LogRow[], statuses: CallStatus[], opts: CallLogFilter): LogRow[] {
  const byId = new Map(statuses.map((s) => [s._id, s]));
  const out = rows.map((r) => ({ ...r, endedReason: r.endedReason || byId.get(r.callId)?.endedReason || '' }));
  const loggedIds = new Set(rows.map((r) => r.callId));
  if (!opts.byCaller) {
    for (const s of statuses) {
      if (loggedIds.has(s._id) || s.status === 'ended' || (opts.call && s._id !== opts.call)) continue;
      const at = new Date(s.at).toISOString();
      if (opts.since && at < opts.since.toISOString()) continue;
      const { customerIndex: _i, ...empty } = emptyCallLog(s._id, at);
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
