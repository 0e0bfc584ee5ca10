import { DateTime } from 'luxon';
import { listOutbox, purgeOutbox, retryOutbox, type OutboxEntry } from '../../domain/outbox.js';
import { UsageError, UserError } from '../../errors.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { ListFlags, PurgeFlags, RetryFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { parseLimit } from '../shared/parse.js';
import { renderTable } from '../shared/table.js';

type Row = Pick<
  OutboxEntry,
  | 'event'
  | 'subject'
  | 'status'
  | 'attempts'
  | 'createdAt'
  | 'dueAt'
  | 'deliveries'
  | 'lastError'
  | 'deliveredAt'
  | 'deadAt'
> & { id: string };

async function runList(o: { status?: OutboxEntry['status']; limit?: number }, ctx: Context): Promise<Row[]> {
  const store = await ctx.store({ readOnly: true });
  return (await listOutbox(store, o)).map((e) => ({
    id: e._id,
    event: e.event,
    subject: e.subject,
    status: e.status,
    attempts: e.attempts,
    createdAt: e.createdAt,
    dueAt: e.dueAt,
    deliveries: e.deliveries,
    ...(e.lastError ? { lastError: e.lastError } : {}),
    ...(e.deliveredAt ? { deliveredAt: e.deliveredAt } : {}),
    ...(e.deadAt ? { deadAt: e.deadAt } : {}),
  }));
}

function renderList(rows: Row[], _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(rows, null, 2));
  if (!rows.length) return io.info('The outbox is empty.');
  const cells = rows.map((r) => [
    DateTime.fromISO(r.createdAt).toUTC().toFormat("yyyy-MM-dd HH:mm:ss'Z'"),
    r.id,
    r.event,
    r.subject,
    r.status,
    Object.entries(r.deliveries)
      .map(([ch, d]) => `${ch} ${d.status}`)
      .join(', ') || '-',
    r.lastError ?? '',
  ]);
  if (io.isOutTTY)
    return io.line(
      renderTable(['Created', 'ID', 'Event', 'Subject', 'Status', 'Channels', 'Last error'], cells, io, g.color),
    );
  for (const c of cells) io.line(c.join('\t'));
}

async function runRetry(o: { id?: string }, ctx: Context): Promise<{ retried: number }> {
  const store = await ctx.store();
  const retried = await retryOutbox(store, o, ctx.now());
  if (o.id && !retried)
    throw new UserError(
      `No pending or dead notification ${o.id}.`,
      '`receptionist outbox list --status dead` shows them.',
    );
  return { retried };
}

async function runPurge(o: { olderThanDays: number; dead: boolean }, ctx: Context): Promise<{ purged: number }> {
  const store = await ctx.store();
  const before = new Date(ctx.now().getTime() - o.olderThanDays * 86_400_000);
  return { purged: await purgeOutbox(store, { before, dead: o.dead }) };
}

/** `outbox list`. @throws UsageError (a bad --limit) */
export const parseList = (f: ListFlags) => ({ status: f.status, limit: parseLimit(f.limit) });
/** `outbox retry`. */
export const parseRetry = (f: RetryFlags) => ({ id: f.id });
/** `outbox purge`. @throws UsageError (--older-than not a number of days ≥ 0) */
export function parsePurge(f: PurgeFlags): { olderThanDays: number; dead: boolean } {
  const days = Number(f.olderThan);
  if (!Number.isFinite(days) || days < 0)
    throw new UsageError(`Invalid --older-than "${f.olderThan}".`, 'Give a number of days.');
  return { olderThanDays: days, dead: f.dead === true };
}

export const list = implement({
  parse: parseList,
  run: runList,
  render: renderList,
});
export const retry = implement({
  parse: parseRetry,
  run: runRetry,
  render: (r, _o, { io, globals: g }) =>
    g.json ? io.line(JSON.stringify(r)) : io.info(`${r.retried} notification(s) will be sent again by serve.`),
});
export const purge = implement({
  parse: parsePurge,
  run: runPurge,
  render: (r, _o, { io, globals: g }) =>
    g.json ? io.line(JSON.stringify(r)) : io.info(`Removed ${r.purged} notification(s).`),
});
