import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, setup, startServe, E2E_SECRET, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { startMongoDouble, type MongoDouble } from '../support/mongo-double.js';
import { signBody } from '../../src/server/auth.js';

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

async function post(url: string, message: unknown) {
  const body = Buffer.from(JSON.stringify({ message }));
  const ts = String(Date.now());
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': signBody(E2E_SECRET, body, { timestamp: ts }) } });
  return { status: res.status, body: (await res.json()) as any };
}

test('BOOK-1 across two serve processes sharing MongoDB: 200 concurrent bookings of one slot, exactly one', async () => {
  const env = { MONGODB_URI: double.uri };
  await setup(tmp.dir, env);
  const a = await startServe(tmp.dir, [], env);
  const b = await startServe(tmp.dir, [], env);
  running.push(a, b);
  const args = { name: 'A B', email: 'a@b.co', phone: '+919812345678', date: 'Monday 7 December at 10am', reason: 'x', doctor: 'Rao' };
  const results = await Promise.all(Array.from({ length: 200 }, (_, i) =>
    post(i % 2 ? a.url : b.url, { type: 'tool-calls', call: { id: `call_${i}` }, toolCallList: [{ id: `tc_${i}`, function: { name: 'book_appointment', arguments: args } }] }),
  ));
  expect(results.every((r) => r.status === 200)).toBe(true);
  const booked = results.filter((r) => /^You're booked/.test(r.body.results[0].result ?? ''));
  expect(booked).toHaveLength(1);
  // No database in the URI: the store uses 'receptionist'.
  expect(double.collection('receptionist', 'appointments').filter((d) => d.activeSlot)).toHaveLength(1);
  // The call log and logs work on MongoDB too.
  await post(a.url, { type: 'end-of-call-report', endedReason: 'hangup', call: { id: 'call_0' }, artifact: { transcript: 'secret words' } });
  const logs = JSON.parse((await cli(['logs', '--json'], { cwd: tmp.dir, env })).stdout);
  expect(logs.map((r: { callId: string; transcript: string }) => [r.callId, r.transcript])).toEqual([['call_0', '[sealed]']]);
});
