import { emptyCallLog } from '../../src/domain/call-log-query.js';
import path from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { CallLogRecord } from '../../src/store/types.js';
import { commandEnv } from '../support/command-env.js';

const { ctx, run } = commandEnv();
beforeEach(async () => {
  await run(['seed']);
  const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
  const rec = (
    callId: string,
    endedAt: string,
    durationSeconds: number,
    cost: number | null,
    endedReason: string,
  ): CallLogRecord => ({
    ...emptyCallLog(callId, endedAt),
    callType: 'inboundPhoneCall',
    assistantId: 'asst_1',
    startedAt: '',
    endedAt,
    durationSeconds,
    endedReason,
    cost,
  });
  // 2026-11-20 in Kolkata: two calls; 2026-11-21 (the 20th 20:00 UTC is already the 21st in Kolkata): one.
  await store.callLogs.append(rec('c1', '2026-11-20T05:00:00.000Z', 120, 0.1, 'customer-ended-call'));
  await store.callLogs.append(rec('c2', '2026-11-20T06:00:00.000Z', 60, 0.3, 'silence-timed-out'));
  await store.callLogs.append(rec('c3', '2026-11-20T20:00:00.000Z', 30, null, 'customer-ended-call'));
  await store.callLogs.append(rec('old', '2026-09-01T05:00:00.000Z', 600, 9, 'customer-ended-call'));
  await store.close();
});

describe('receptionist metrics', () => {
  test('logs on a terminal shows times in the clinic zone, and says which zone', async () => {
    const r = await run(['logs', '--limit', '1'], { tty: true });
    expect(r.code, r.err).toBe(0);
    expect(r.err).toContain("Times are in the clinic's zone, Asia/Kolkata.");
    // 20:00 UTC on the 20th is 01:30 on the 21st in Kolkata.
    expect(r.out).toMatch(/│ 2026-11-21 +│ c3 /);
    expect(r.out).toMatch(/│ 01:30 +│/);
    expect(r.out).not.toContain('20:00');
  });

  test('by day in the clinic zone: calls, minutes, total and average cost (calls without a cost not averaged)', async () => {
    const r = await run(['metrics', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).rows).toEqual([
      { group: '2026-11-20', calls: 2, minutes: 3, totalCost: 0.4, averageCost: 0.2, callsWithCost: 2 },
      { group: '2026-11-21', calls: 1, minutes: 0.5, totalCost: 0, averageCost: 0, callsWithCost: 0 },
    ]);
  });

  test('by ended reason, as a table with a total when piped', async () => {
    const r = await run(['metrics', '--by', 'endedReason', '--since', '7d']);
    expect(r.out).toBe(
      'Ended reason\tCalls\tMinutes\tTotal cost\tAvg cost\ncustomer-ended-call\t2\t2.5\t$0.1000\t$0.1000\nsilence-timed-out\t1\t1.0\t$0.3000\t$0.3000\nTotal\t3\t3.5\t$0.4000\t$0.2000\n',
    );
  });

  test('--remote asks Vapi /analytics with a spec-valid query', async () => {
    const r = await run(['metrics', '--remote', '--by', 'assistant']);
    expect(r.code, r.err).toBe(0);
    const req = ctx.fake.requests.find((q) => q.path === '/analytics')!;
    expect(req.status).toBe(201);
    expect(req.body).toMatchObject({
      queries: [
        {
          table: 'call',
          groupBy: ['assistantId'],
        },
      ],
    });
    expect(r.err).toMatch(/^No calls since 2026-10-22 \(Vapi analytics\)\./);
    // Each figure is asked for under its own alias (spec AnalyticsOperation.alias).
    expect(req.body).toMatchObject({
      queries: [
        {
          operations: [
            { operation: 'count', column: 'id', alias: 'calls' },
            { operation: 'sum', column: 'duration', alias: 'minutes' },
            { operation: 'sum', column: 'cost', alias: 'totalCost' },
            { operation: 'avg', column: 'cost', alias: 'averageCost' },
          ],
        },
      ],
    });
  });

  test("--remote reads Vapi's documented result shape (the spec's AnalyticsQueryResult example), and says the units", async () => {
    // Written from the spec's example: default names, a `date` per step.
    ctx.fake.analyticsRows = [
      {
        date: '2023-01-01',
        assistantId: '123',
        endedReason: 'customer-ended-call',
        countId: 4,
        sumDuration: 120,
        sumCost: 42,
        avgCost: 10.5,
      },
      {
        date: '2023-01-02',
        assistantId: '123',
        endedReason: 'customer-did-not-give-microphone-permission',
        sumDuration: 0,
        avgCost: 0,
      },
    ];
    const r = await run(['metrics', '--remote']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      'Day\tCalls\tMinutes\tTotal cost\tAvg cost\n2023-01-01\t4\t120.0\t$42.0000\t$10.5000\n2023-01-02\t0\t0.0\t$0.0000\t$0.0000\nTotal\t4\t120.0\t$42.0000\t$10.5000\n',
    );
    expect(r.err).toContain(
      "From Vapi's analytics: minutes are call minutes (Vapi's duration), costs in USD, days in Asia/Kolkata.",
    );
    // Under the aliases asked for, by assistant.
    ctx.fake.analyticsRows = [{ assistantId: 'asst_1', calls: 3, minutes: 7.25, totalCost: 0.3, averageCost: 0.1 }];
    const json = JSON.parse((await run(['metrics', '--remote', '--by', 'assistant', '--json'])).out);
    expect(json).toMatchObject({
      source: 'vapi',
      units: { minutes: 'minutes', cost: 'USD' },
      rows: [{ group: 'asst_1', calls: 3, minutes: 7.3, totalCost: 0.3, averageCost: 0.1 }],
    });
  });
});
