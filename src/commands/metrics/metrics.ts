import type { MetricsRow } from '../../studio/contract.js';
import { renderTable } from '../shared/table.js';
import { firstFew, printable } from '../../io.js';
import type { Vapi } from '@vapi-ai/server-sdk';
import { DateTime } from 'luxon';
import { vapiRequest } from '../../vapi/client.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { MetricsFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { readWithClinicZone } from '../shared/store.js';
import { parseSinceFlag, resolveSince, type Since } from '../shared/parse.js';

export interface MetricsOptions {
  by: 'day' | 'assistant' | 'endedReason';
  since: Since;
  remote: boolean;
}

/** @throws UsageError for a bad --since */
export function parseMetricsOptions(flags: MetricsFlags): MetricsOptions {
  return {
    by: flags.by,
    since: parseSinceFlag(flags.since)!,
    remote: flags.remote === true,
  };
}

export type { MetricsRow };

export interface MetricsResult {
  source: 'local' | 'vapi';
  /** The units of `minutes` and of the costs. */
  units: { minutes: 'minutes'; cost: 'USD' };
  /** ISO 8601, UTC. */
  since: string;
  /** The clinic's IANA zone: the days are its days. */
  timeZone: string;
  rows: MetricsRow[];
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

/** Figures per group since `since`. @throws StoreError; with --remote AuthError, NetworkError */
export async function runMetrics(flags: MetricsOptions, ctx: Context): Promise<MetricsResult> {
  const { store, timeZone: zone } = await readWithClinicZone(ctx);
  const since = resolveSince(flags.since, ctx.now(), zone)!;
  const head = { since: since.toISOString(), timeZone: zone, units: { minutes: 'minutes', cost: 'USD' } as const };
  if (flags.remote) return { source: 'vapi', ...head, rows: await remote(flags, since, zone, ctx) };
  // The store sums per group; days are the clinic's, from 15-minute buckets (every zone's offset is a multiple of 15 min).
  const totals = await store.callLogs.totals({
    since,
    by: flags.by === 'day' ? 'quarterHour' : flags.by === 'assistant' ? 'assistantId' : 'endedReason',
  });
  // A record an older build stored with an impossible figure: counted, left out of the sums, named.
  const outOfRange = totals.flatMap((t) => t.outOfRange);
  if (outOfRange.length)
    ctx.io.error(
      `Warning: ${outOfRange.length} call log${outOfRange.length === 1 ? '' : 's'} with an impossible duration or cost (${firstFew(outOfRange.map(printable), 10)}) left out of minutes and cost.`,
    );
  const groups = new Map<string, { calls: number; seconds: number; cost: number; costed: number }>();
  for (const t of totals) {
    const key =
      flags.by === 'day' ? (DateTime.fromISO(t.key, { zone }).toISODate() ?? t.key.slice(0, 10)) : t.key || '(none)';
    const gr = groups.get(key) ?? { calls: 0, seconds: 0, cost: 0, costed: 0 };
    gr.calls += t.calls;
    gr.seconds += t.seconds;
    gr.cost += t.cost;
    gr.costed += t.costed;
    groups.set(key, gr);
  }
  const rows = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([group, x]) => ({
      group,
      calls: x.calls,
      minutes: round(x.seconds / 60, 1),
      totalCost: round(x.cost, 4),
      averageCost: x.costed ? round(x.cost / x.costed, 4) : 0,
      callsWithCost: x.costed,
    }));
  return { source: 'local', ...head, rows };
}

/**
 * The operations of the remote query, each with the `alias` Vapi names its figure by (spec
 * `AnalyticsOperation.alias`: "the alias for column name returned. Defaults to `${operation}${column}`").
 */
const OPERATIONS = [
  { operation: 'count', column: 'id', alias: 'calls' },
  { operation: 'sum', column: 'duration', alias: 'minutes' },
  { operation: 'sum', column: 'cost', alias: 'totalCost' },
  { operation: 'avg', column: 'cost', alias: 'averageCost' },
] as const;

/**
 * One figure of a result row: by the alias we asked for, else by Vapi's default name, as the spec
 * writes it (`${operation}${column}`, e.g. `sumduration`) or as its example shows it (`sumDuration`).
 */
function figure(row: Record<string, unknown>, op: (typeof OPERATIONS)[number]): number {
  const camel = `${op.operation}${op.column[0]!.toUpperCase()}${op.column.slice(1)}`;
  for (const key of [op.alias, camel, `${op.operation}${op.column}`]) {
    const v = row[key];
    if (v !== undefined && v !== null && Number.isFinite(Number(v))) return Number(v);
  }
  return 0;
}

/**
 * Rows of Vapi's `POST /analytics` answer (spec `AnalyticsQueryResult`: `[{name, timeRange, result}]`,
 * `result` "a list of unique groups with result of their aggregations", its example
 * `{ "date": "2023-01-01", "assistantId": "123", "endedReason": "customer-ended-call", "sumDuration": 120, "avgCost": 10.5 }`).
 * The group is the row's `date` (with a time step), `assistantId` or `endedReason`. Vapi's `duration`
 * is in minutes (its dashboard's Call Minutes chart is this sum; the spec does not state a unit), `cost`
 * in USD. Rows of another query name are ignored.
 */
export function analyticsRows(res: unknown, by: MetricsOptions['by'], queryName = QUERY_NAME): MetricsRow[] {
  const results = Array.isArray(res) ? (res as Array<{ name?: string; result?: unknown }>) : [];
  const mine = results.find((r) => r?.name === queryName) ?? (results.length === 1 ? results[0] : undefined);
  const rows = Array.isArray(mine?.result) ? (mine.result as Array<Record<string, unknown>>) : [];
  const key = by === 'day' ? 'date' : by === 'assistant' ? 'assistantId' : 'endedReason';
  return rows.map((r) => {
    const calls = figure(r, OPERATIONS[0]);
    const group = r[key];
    return {
      group:
        group === undefined || group === null || group === ''
          ? '(none)'
          : String(group).slice(0, by === 'day' ? 10 : undefined),
      calls,
      minutes: round(figure(r, OPERATIONS[1]), 1),
      totalCost: round(figure(r, OPERATIONS[2]), 4),
      averageCost: round(figure(r, OPERATIONS[3]), 4),
      callsWithCost: calls,
    };
  });
}

const QUERY_NAME = 'receptionist_metrics';

/** Vapi `POST /analytics` (spec `AnalyticsQueryDTO`): count, minutes and cost per group. */
async function remote(flags: MetricsOptions, since: Date, zone: string, ctx: Context): Promise<MetricsRow[]> {
  const settings = ctx.vapiSettings();
  const vapi = await ctx.vapi();
  const groupBy: Vapi.AnalyticsQueryGroupByItem[] =
    flags.by === 'assistant' ? ['assistantId'] : flags.by === 'endedReason' ? ['endedReason'] : [];
  const query: Vapi.AnalyticsQuery = {
    table: 'call',
    name: QUERY_NAME,
    timeRange: {
      ...(flags.by === 'day' ? { step: 'day' as const } : {}),
      start: since.toISOString(),
      end: ctx.now().toISOString(),
      timezone: zone,
    },
    ...(groupBy.length ? { groupBy } : {}),
    operations: OPERATIONS.map((o) => ({ ...o })) as Vapi.AnalyticsOperation[],
  };
  const res = await vapiRequest('read analytics', settings, () => vapi.analytics.get({ queries: [query] }));
  return analyticsRows(res, flags.by).sort((a, b) => a.group.localeCompare(b.group));
}

export function renderMetrics(r: MetricsResult, flags: MetricsOptions, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r));
  if (!r.rows.length)
    return io.info(
      `No calls since ${r.since.slice(0, 10)} (${r.source === 'vapi' ? 'Vapi analytics' : 'local call logs'}).`,
    );
  const total = r.rows.reduce(
    (t, x) => ({
      calls: t.calls + x.calls,
      minutes: t.minutes + x.minutes,
      cost: t.cost + x.totalCost,
      costed: t.costed + x.callsWithCost,
    }),
    { calls: 0, minutes: 0, cost: 0, costed: 0 },
  );
  const head = [
    flags.by === 'day' ? 'Day' : flags.by === 'assistant' ? 'Assistant' : 'Ended reason',
    'Calls',
    'Minutes',
    'Total cost',
    'Avg cost',
  ];
  const rows = r.rows.map((x) => [
    x.group,
    String(x.calls),
    x.minutes.toFixed(1),
    `$${x.totalCost.toFixed(4)}`,
    `$${x.averageCost.toFixed(4)}`,
  ]);
  const totalRow = [
    'Total',
    String(total.calls),
    total.minutes.toFixed(1),
    `$${total.cost.toFixed(4)}`,
    total.costed ? `$${(total.cost / total.costed).toFixed(4)}` : '',
  ];
  if (r.source === 'vapi')
    io.info(
      "From Vapi's analytics: minutes are call minutes (Vapi's duration), costs in USD, days in " + r.timeZone + '.',
    );
  if (!io.isOutTTY) {
    for (const row of [head, ...rows, totalRow]) io.line(row.join('\t'));
    return;
  }
  io.line(renderTable(head, [...rows, totalRow], io, g.color));
}

export const metrics = implement({ parse: parseMetricsOptions, run: runMetrics, render: renderMetrics });
