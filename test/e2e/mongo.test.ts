import { afterEach, beforeEach, expect, test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cli, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { startMongoDouble, type MongoDouble } from '../support/mongo-double.js';
import { spokenDayAhead } from '../support/dates.js';

// The built binary on MongoDB (the wire double): two `serve` processes share one database.
let tmp: ReturnType<typeof tempDir>;
let double: MongoDouble;
const running: RunningServe[] = [];
beforeEach(async () => {
  tmp = tempDir('receptionist-e2e-mongo-');
  double = await startMongoDouble();
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop('SIGKILL');
  await double.close();
  tmp.cleanup();
});

const post = postSigned;

test('BOOK-1 across two serve processes sharing MongoDB: 200 concurrent bookings of one slot, exactly one', async () => {
  const env = { MONGODB_URI: double.uri };
  await setup(tmp.dir, env);
  const a = await startServe(tmp.dir, [], env);
  const b = await startServe(tmp.dir, [], env);
  running.push(a, b);
  const args = {
    name: 'A B',
    email: 'a@b.co',
    phone: '+919812345678',
    date: `${spokenDayAhead(1)} at 10am`,
    reason: 'x',
    doctor: 'Rao',
  };
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      post(i % 2 ? a.url : b.url, {
        type: 'tool-calls',
        call: { id: `call_${i}` },
        toolCallList: [{ id: `tc_${i}`, function: { name: 'book_appointment', arguments: args } }],
      }),
    ),
  );
  expect(results.every((r) => r.status === 200)).toBe(true);
  const booked = results.filter((r) => /^You're booked/.test(r.body.results[0].result ?? ''));
  expect(booked).toHaveLength(1);
  // No database in the URI: the store uses 'receptionist'.
  expect(double.collection('receptionist', 'appointments').filter((d) => d.activeSlot)).toHaveLength(1);
  // The call log and logs work on MongoDB too.
  await post(a.url, {
    type: 'end-of-call-report',
    endedReason: 'hangup',
    call: { id: 'call_0' },
    artifact: { transcript: 'secret words' },
  });
  const logs = JSON.parse((await cli(['logs', '--json'], { cwd: tmp.dir, env })).stdout);
  expect(logs.map((r: { callId: string; transcript: string }) => [r.callId, r.transcript])).toEqual([
    ['call_0', '[sealed]'],
  ]);
});

test('DUR-2 on the built binary: MongoDB stops, a report is acknowledged and spooled, serve reports the depth and the drain', async () => {
  const env = { MONGODB_URI: double.uri };
  await setup(tmp.dir, env);
  const a = await startServe(tmp.dir, [], env);
  running.push(a);
  await double.stop();
  expect(
    (await post(a.url, { type: 'end-of-call-report', endedReason: 'hangup', call: { id: 'call_spooled' } })).status,
  ).toBe(200);
  const health = a.url.replace('/webhook', '/health');
  expect(await (await fetch(health)).json()).toEqual({ ok: true, spoolDepth: 1 });
  await double.start();
  for (let i = 0; i < 200 && ((await (await fetch(health)).json()) as { spoolDepth: number }).spoolDepth > 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(double.collection('receptionist', 'call_logs').map((d) => d._id)).toEqual(['call_spooled']);
  const result = await a.stop('SIGTERM');
  const events = String(result.stdout)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  expect(events.filter((e) => e.kind === 'spool').map(({ time: _time, reason: _reason, ...e }) => e)).toEqual([
    { kind: 'spool', state: 'queued', depth: 1 },
    { kind: 'spool', state: 'drained', written: 1, depth: 0 },
  ]);
  expect(events.find((e) => e.kind === 'message' && e.type === 'end-of-call-report')).toMatchObject({
    status: 200,
    outcome: 'spooled',
  });
}, 60_000);

test('--log-to csv also writes call logs to <data-dir>/calls.csv, derived from MongoDB; --log-to mongo needs MongoDB', async () => {
  const env = { MONGODB_URI: double.uri, RECEPTIONIST_LOG_TO: 'csv' };
  await setup(tmp.dir, env);
  const a = await startServe(tmp.dir, [], env);
  running.push(a);
  expect(
    (await post(a.url, { type: 'end-of-call-report', endedReason: 'hangup', call: { id: 'call_csv' } })).status,
  ).toBe(200);
  // The store holds the call (queried, acknowledged); the CSV is a copy for spreadsheets.
  expect(double.collection('receptionist', 'call_logs').map((d) => d._id)).toEqual(['call_csv']);
  expect(fs.readFileSync(path.join(tmp.dir, '.receptionist', 'calls.csv'), 'utf8')).toContain('call_csv');
  const logs = await cli(['logs', '--json', '--log-to', 'csv'], { cwd: tmp.dir, env: { MONGODB_URI: double.uri } });
  expect(JSON.parse(logs.stdout).map((r: { callId: string }) => r.callId)).toEqual(['call_csv']);
  const noMongo = await cli(['logs', '--log-to', 'mongo'], { cwd: tmp.dir });
  expect(noMongo.exitCode).toBe(2);
  expect(noMongo.stderr).toContain('Error: Call logs cannot go to MongoDB (from --log-to): no MongoDB is configured.');
  const bad = await cli(['logs', '--log-to', 'kafka'], { cwd: tmp.dir });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('Invalid log target "kafka" (from --log-to).');
}, 60_000);
