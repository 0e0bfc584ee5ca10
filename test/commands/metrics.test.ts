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
          operations: expect.arrayContaining([{ operation: 'count', column: 'id' }]),
        },
      ],
    });
    expect(r.err).toMatch(/^No calls since 2026-10-22 \(Vapi analytics\)\./);
  });
});
