import path from 'node:path';
import { beforeEach, expect, test } from 'vitest';
import { emptyCallLog } from '../../src/domain/call-log-query.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { TABLE_ROWS } from '../../src/commands/logs/logs.js';
import { commandEnv } from '../support/command-env.js';

const { ctx, run } = commandEnv();

/** 1,250 logged calls, one a minute from 2026-11-20 00:00 UTC (more than one page of the store's stream), and one still running. */
beforeEach(async () => {
  await run(['seed']);
  const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
  for (let i = 0; i < 1_250; i++) {
    const endedAt = new Date(Date.UTC(2026, 10, 20, 0, i)).toISOString();
    await store.callLogs.append({
      ...emptyCallLog(`call_${String(i).padStart(4, '0')}`, endedAt),
      callType: 'inboundPhoneCall',
      endedAt,
      endedReason: 'customer-ended-call',
    });
  }
  // Still running, last seen at 10:00:30 UTC: between call_0600 (ended 10:00) and call_0601 (10:01).
  await store
    .collection('call_status')
    .insertOne({ _id: 'call_live', status: 'in-progress', at: Date.UTC(2026, 10, 20, 10, 0, 30) });
  await store.close();
});

test('--json writes every call as one array, newest first, the running call in its place by time', async () => {
  const r = await run(['logs', '--json']);
  expect(r.code, r.err).toBe(0);
  const ids = (JSON.parse(r.out) as Array<{ callId: string; status: string }>).map((row) => row.callId);
  expect(ids).toHaveLength(1_251);
  expect(ids.slice(0, 2)).toEqual(['call_1249', 'call_1248']);
  // call_0600 ended at 10:00:00, the live call was seen at 10:00:30, call_0601 ended at 10:01.
  expect(ids.slice(ids.indexOf('call_live') - 1, ids.indexOf('call_live') + 2)).toEqual([
    'call_0601',
    'call_live',
    'call_0600',
  ]);
  expect(ids.at(-1)).toBe('call_0000');
});

test('CSV when piped: a header and every call; --limit counts the running call too', async () => {
  const all = await run(['logs']);
  expect(all.out.trim().split('\n')).toHaveLength(1 + 1_251);
  const page = await run(['logs', '--json', '--limit', '650', '--since', '2026-11-20T09:00:00Z']);
  const ids = (JSON.parse(page.out) as Array<{ callId: string }>).map((row) => row.callId);
  // 09:00 to 20:49: 710 calls plus the live one; the newest 650 of them.
  expect(ids).toHaveLength(650);
  expect(ids[0]).toBe('call_1249');
  expect(ids).toContain('call_live');
});

test(`a terminal shows the newest ${TABLE_ROWS} calls and says how to see more`, async () => {
  const r = await run(['logs'], { tty: true });
  expect(r.code, r.err).toBe(0);
  expect(r.out).toContain('call_1249');
  expect(r.out).toContain(`call_${1249 - TABLE_ROWS + 1}`);
  expect(r.out).not.toContain(`call_${1249 - TABLE_ROWS}`);
  expect(r.err).toContain(
    `The newest ${TABLE_ROWS} calls. More with --limit <n>, --since, or all with --json or --csv.`,
  );
  const asked = await run(['logs', '--limit', '60'], { tty: true });
  expect(asked.out).toContain(`call_${1249 - 59}`);
  expect(asked.err).not.toContain('The newest');
});

test('issue 13 item 9: one stored record with an impossible time or figures stops no listing; each is skipped or left out, by name', async () => {
  const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
  // What an older build accepted from a `status-update` with `timestamp: 1e308`, and a report with
  // a negative duration and an absurd cost; the id carries an escape sequence and a newline.
  await store.collection('call_status').insertOne({ _id: 'call_1e308', status: 'in-progress', at: 1e308 });
  await store.callLogs.append({
    ...emptyCallLog('call_bad\x1b[2J\nforged', '2026-11-20T12:00:30.000Z'),
    endedAt: '2026-11-20T12:00:30.000Z',
    durationSeconds: -40,
    cost: 1e300,
  });
  await store.close();
  for (const argv of [['logs', '--json'], ['logs'], ['logs', '--csv'], ['logs', '--limit', '5']]) {
    const r = await run(argv);
    expect(r.code, `${argv.join(' ')}: ${r.err}`).toBe(0);
    expect(r.err).toContain('Warning: call status call_1e308: "at" must be <= 4102444800000; skipped.');
    expect(r.err).not.toContain('\x1b');
  }
  const json = JSON.parse((await run(['logs', '--json'])).out) as Array<{ callId: string }>;
  expect(json).toHaveLength(1_252);
  expect(json.map((x) => x.callId)).not.toContain('call_1e308');
  const m = await run(['metrics', '--since', '2026-11-19', '--by', 'endedReason', '--json']);
  expect(m.code, m.err).toBe(0);
  expect(m.err).toBe(
    'Warning: 1 call log with an impossible duration or cost (call_bad\\x1b[2J\\nforged) left out of minutes and cost.\n',
  );
  const rows = (
    JSON.parse(m.out) as { rows: Array<{ group: string; calls: number; minutes: number; totalCost: number }> }
  ).rows;
  expect(rows.find((r) => r.group === '(none)')).toMatchObject({ calls: 1, minutes: 0, totalCost: 0 });
});

test('--since and --until a day of the clinic, and --ended-reason, with --limit after the filter', async () => {
  const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
  const endedAt = '2026-11-20T12:00:30.000Z';
  await store.callLogs.append({
    ...emptyCallLog('call_silence', endedAt),
    endedAt,
    endedReason: 'silence-timed-out',
  });
  await store.close();
  const ids = async (...args: string[]) => {
    const r = await run(['logs', '--json', ...args]);
    expect(r.code, r.err).toBe(0);
    return (JSON.parse(r.out) as Array<{ callId: string }>).map((row) => row.callId);
  };
  // 20 November in Asia/Kolkata is 19 Nov 18:30 to 20 Nov 18:30 UTC: call_0000 to call_1109, and the
  // silent call; not the one still running (that day is over on the pinned clock).
  const day = await ids('--since', '2026-11-20', '--until', '2026-11-20');
  expect(day).toHaveLength(1_111);
  expect([day[0], day.at(-1)]).toEqual(['call_1109', 'call_0000']);
  expect(day).not.toContain('call_live');
  expect(await ids('--ended-reason', 'silence-timed-out', '--limit', '5')).toEqual(['call_silence']);
  expect(await ids('--ended-reason', 'customer-ended-call', '--limit', '2')).toEqual(['call_1249', 'call_1248']);
  const bad = await run(['logs', '--ended-reason', 'not a reason']);
  expect([bad.code, bad.err]).toEqual([2, expect.stringContaining('Invalid --ended-reason "not a reason".')]);
  const backwards = await run(['logs', '--since', '2026-11-20', '--until', '2026-11-19']);
  expect([backwards.code, backwards.err]).toEqual([
    2,
    expect.stringContaining('--until 2026-11-19 is before --since.'),
  ]);
});
