import { DateTime } from 'luxon';
import { listAudit, type AuditEntry } from '../../domain/audit.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { AuditFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { readWithClinicZone, type ZonedRows } from '../shared/store.js';
import { parseLimit, parseSinceFlag, resolveSince, type Since } from '../shared/parse.js';
import { renderTable } from '../shared/table.js';

export interface AuditOptions {
  since?: Since;
  limit?: number;
}

/** @throws UsageError for a bad --since or --limit */
export function parseAuditOptions(flags: AuditFlags): AuditOptions {
  return {
    since: parseSinceFlag(flags.since),
    limit: parseLimit(flags.limit),
  };
}

/** The records, newest first, and the clinic's IANA zone they are read in. */
export type AuditResult = ZonedRows<AuditEntry>;

/** @throws StoreError (no store), UsageError (--since in the future) */
export async function runAudit(opts: AuditOptions, ctx: Context): Promise<AuditResult> {
  const { store, timeZone } = await readWithClinicZone(ctx);
  const since = resolveSince(opts.since, ctx.now(), timeZone);
  return { rows: await listAudit(store, { since, limit: opts.limit }), timeZone };
}

/** A table on a terminal, tab-separated lines when piped, or with --json an array of records. */
export function renderAudit(
  { rows, timeZone }: AuditResult,
  _o: AuditOptions,
  { io, globals: g }: RenderContext,
): void {
  if (g.json) return io.line(JSON.stringify(rows, null, 2));
  if (!rows.length) return io.info('No audit records yet.');
  const details = (r: AuditEntry) =>
    Object.entries(r.details)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
  const local = (at: string) => DateTime.fromISO(at, { zone: timeZone });
  if (io.isOutTTY) {
    const cells = rows.map((r) => [local(r.at).toFormat('yyyy-MM-dd HH:mm:ss'), r.user, r.action, details(r)]);
    io.line(renderTable(['Time', 'User', 'Action', 'Details'], cells, io, g.color));
    return io.error(`Times are in the clinic's zone, ${timeZone}.`);
  }
  for (const r of rows)
    io.line(
      `${local(r.at).toISO({ suppressMilliseconds: true })}  ${r.user.padEnd(12)}  ${r.action.padEnd(13)}  ${details(r)}`,
    );
}

export const audit = implement({ parse: parseAuditOptions, run: runAudit, render: renderAudit });
