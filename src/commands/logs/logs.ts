import { stringify } from 'csv-stringify/sync';
import Table from 'cli-table3';
import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { UsageError } from '../../errors.js';
import type { CallLogRecord } from '../../store/types.js';
import type { CallStatus } from '../../domain/call-records.js';
import { CALL_LOG_COLUMNS, escapeCell } from '../../store/local/csv-call-log.js';
import type { GlobalOptions } from '../shared/globals.js';
import { openStore } from '../shared/store.js';
import type { LogsFlags } from './index.js';

export interface LogsOptions {
  since?: Date;
  limit?: number;
  csv: boolean;
}

/** A call-log row plus the latest status; calls still running have only status fields. */
export type LogRow = CallLogRecord & { status: string };

/** @throws UsageError for a bad --since or --limit */
export function parseLogsOptions(flags: LogsFlags, now: Date): LogsOptions {
  let since: Date | undefined;
  if (flags.since) {
    const rel = /^(\d+)\s*(m|h|d)$/.exec(flags.since.trim());
    if (rel) since = new Date(now.getTime() - Number(rel[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 'm' | 'h' | 'd']);
    else {
      const t = Date.parse(flags.since);
      if (!Number.isFinite(t)) throw new UsageError(`Invalid --since "${flags.since}"`, 'Use an ISO date (2026-11-01, 2026-11-01T09:00Z) or a duration (30m, 24h, 7d).');
      since = new Date(t);
    }
  }
  let limit: number | undefined;
  if (flags.limit !== undefined) {
    limit = Number(flags.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new UsageError(`Invalid --limit "${flags.limit}"`, 'Give a whole number of at least 1.');
  }
  return { since, limit, csv: Boolean(flags.csv) };
}

/** Reads a snapshot of the store (no lock: safe while `serve` writes). */
export async function runLogs(opts: LogsOptions, g: GlobalOptions, deps: Deps): Promise<LogRow[]> {
  const store = await openStore(g, deps, { readOnly: true, purpose: 'receptionist logs' });
  try {
    const logged = await store.callLogs.list({ since: opts.since });
    const statuses = await store.collection<CallStatus>('call_status').find({});
    const byId = new Map(statuses.map((s) => [s._id, s]));
    // A report without an ended reason takes the one its last status-update carried.
    const rows: LogRow[] = logged.map((r) => ({ ...r, endedReason: r.endedReason || byId.get(r.callId)?.endedReason || '', status: 'ended' }));
    const loggedIds = new Set(logged.map((r) => r.callId));
    for (const s of statuses) {
      if (loggedIds.has(s._id) || s.status === 'ended') continue;
      const at = new Date(s.at).toISOString();
      if (opts.since && at < opts.since.toISOString()) continue;
      rows.push({ ...emptyRecord(s._id, at), callType: s.callType ?? '', assistantId: s.assistantId ?? '', status: s.status });
    }
    rows.sort((a, b) => sortKey(b).localeCompare(sortKey(a)));
    return opts.limit ? rows.slice(0, opts.limit) : rows;
  } finally {
    await store.close();
  }
}

const sortKey = (r: LogRow) => r.endedAt || r.startedAt || r.receivedAt;

function emptyRecord(callId: string, at: string): CallLogRecord {
  return {
    callId, callType: '', assistantId: '', startedAt: at, endedAt: '', durationSeconds: null, endedReason: '', cost: null,
    costBreakdown: '', customerNumber: '', summary: '', transcript: '', recordingUrl: '', successEvaluation: '', receivedAt: at,
  };
}

export function renderLogs(rows: LogRow[], opts: LogsOptions & { json: boolean }, io: IO): void {
  if (opts.json) return io.line(JSON.stringify(rows, null, 2));
  if (opts.csv || !io.isOutTTY) {
    const columns = [...CALL_LOG_COLUMNS, 'status'] as const;
    io.write(stringify([columns as unknown as string[], ...rows.map((r) => columns.map((c) => escapeCell(r[c] === null ? '' : String(r[c]))))]));
    return;
  }
  if (!rows.length) return io.info('No calls logged yet.');
  const table = new Table({ head: ['Ended', 'Call ID', 'Type', 'Status', 'Duration', 'Ended reason', 'Cost', 'Caller', 'Summary'], style: { head: [] }, wordWrap: true, colWidths: [null, null, null, null, null, null, null, null, 40] as unknown as number[] });
  for (const r of rows) {
    table.push([
      (r.endedAt || r.startedAt).replace('T', ' ').slice(0, 16),
      r.callId,
      r.callType,
      r.status,
      r.durationSeconds === null ? '' : `${Math.round(r.durationSeconds)}s`,
      r.endedReason,
      r.cost === null ? '' : `$${r.cost.toFixed(4)}`,
      r.customerNumber,
      r.summary,
    ]);
  }
  io.line(table.toString());
}
