import { afterEach, beforeEach, expect, test } from 'vitest';
import { startTestServer, toolCalls, only, type TestServer, RAVI_BOOKING, NOW } from '../support/app.js';
import { ReplyCache } from '../../src/server/replies.js';

// Issue 13 items 3 and 15: the reply cache kept "Welcome back, <name>", customers' purchases and the
// raw email that failed validation, and grew without bound (40 MB after 2,000 requests).

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.close();
});

test("the reply cache keeps no patient's or customer's data, and assistant-request replies not at all", async () => {
  const known = { type: 'assistant-request', call: { id: 'c_ar' }, customer: { number: '+919812345678' } };
  const first = await s.send(known);
  // The name is sealed at rest, and serve cannot open it: the greeting is personal without it.
  expect(JSON.stringify(first.body)).toContain('Welcome back! Are you calling');
  // A redelivery is answered again, the same.
  expect((await s.send(known)).body).toEqual(first.body);
  for (const [name, args] of [
    ['get_ac_purchase_details', { customerId: 'CUST-1001' }],
    ['get_warranty_info', { customerId: 'CUST-1001' }],
    ['book_appointment', { ...RAVI_BOOKING, email: 'ravi.kumar at examplecom' }],
    ['book_appointment', { ...RAVI_BOOKING, phone: '98450' }],
    ['book_appointment', RAVI_BOOKING],
  ] as const) {
    const r = only((await s.send(toolCalls('c_tools', [name, args]))).body);
    expect(r.result ?? r.error).toBeTruthy();
  }
  const cached = JSON.stringify(await s.store.collection('replies').find({}));
  for (const canary of ['Asha', 'Verma', 'Ravi', 'Kumar', 'examplecom', '98450', 'CA-55X', '42,990', '+91'])
    expect(cached, canary).not.toContain(canary);
  // What a booking's retry needs is kept: the confirmation.
  expect(cached).toContain("You're booked with Dr. Anil Mehta");
});

test('a redelivered read-only lookup is answered again, and a failed one counts once', async () => {
  const msg = toolCalls('c_ro', [
    'get_ac_purchase_details',
    { customerId: 'CUST-1002', customerName: 'Nobody' },
    'tc_1',
  ]);
  for (let i = 0; i < 3; i++)
    expect(only((await s.send(msg)).body).result).toMatch(/^Those details don't match customer ID CUST-1002/);
  expect(await s.store.collection('access_failures').findOne({ _id: 'c_ro' })).toMatchObject({ count: 1 });
});

test('prune keeps the cache bounded: replies past the age, then all but the newest maxReplies, go', async () => {
  const cache = new ReplyCache(s.store, () => new Date(NOW));
  const col = s.store.collection('replies');
  for (let i = 0; i < 30; i++)
    await col.insertOne({
      _id: `tool:c:${i}`,
      reply: {},
      createdAt: new Date(NOW.getTime() - i * 60_000).toISOString(),
    });
  await col.insertOne({
    _id: 'tool:old:1',
    reply: {},
    createdAt: new Date(NOW.getTime() - 3 * 86_400_000).toISOString(),
  });
  expect(await cache.prune(2, 10)).toBe(21);
  const left = (await col.find({}, { sort: { createdAt: -1 } })).map((d) => d._id);
  expect(left).toEqual(Array.from({ length: 10 }, (_, i) => `tool:c:${i}`));
});
