import { afterEach, beforeEach, expect, test } from 'vitest';
import { startTestServer, toolCalls, type TestServer } from '../support/app.js';

/** Issue 25 finding 4 (PERF-7): what would be answered after the deadline is refused at once; call-log events never. */
let s: TestServer;
beforeEach(async () => {
  s = await startTestServer({ admissionDeadlineMs: 2_000 });
});
afterEach(async () => {
  await s.close();
});

const health = async () => JSON.parse((await s.app.inject({ method: 'GET', url: '/health' })).body);

test('a tool call Vapi sent longer ago than the deadline gets 503 + Retry-After at once, does nothing, and /health says overloaded', async () => {
  expect(await health()).toMatchObject({ status: 'ok', shed: 0 });
  const late = new Date(s.clock.now.getTime() - 3_000);
  const r = await s.send(toolCalls('call_late', ['list_doctors', {}, 'tc_late']), { signedAt: late });
  expect(r.status).toBe(503);
  expect(r.headers['retry-after']).toBe('1');
  expect(r.body).toEqual({ error: 'busy' });
  expect(s.events.at(-1)).toMatchObject({
    type: 'tool-calls',
    status: 503,
    outcome: 'unavailable',
    detail: expect.stringMatching(/^overloaded: it would be answered after \d+ ms \(deadline 2000 ms\)$/),
  });
  expect(await health()).toMatchObject({ status: 'overloaded', shed: 1 });
  // Its retry, in time, is answered (nothing was stored for it).
  const retry = await s.send(toolCalls('call_late', ['list_doctors', {}, 'tc_late']));
  expect(retry.status).toBe(200);
  expect(retry.body.results[0].result).toMatch(/doctors/);
});

test("an assistant request has Vapi's 7.5 s whatever the deadline: admitted within 3/4 of 7 s, refused later", async () => {
  const roomy = await startTestServer({ admissionDeadlineMs: 15_000 });
  try {
    const message = { type: 'assistant-request', call: { id: 'c_ar' }, customer: { number: '+919812345678' } };
    expect((await roomy.send(message, { signedAt: new Date(roomy.clock.now.getTime() - 5_000) })).status).toBe(200);
    expect((await roomy.send(message, { signedAt: new Date(roomy.clock.now.getTime() - 6_000) })).status).toBe(503);
    // A tool call of the same age is still in time under the 15 s deadline.
    expect(
      (
        await roomy.send(toolCalls('c_tc', ['list_doctors', {}]), {
          signedAt: new Date(roomy.clock.now.getTime() - 6_000),
        })
      ).status,
    ).toBe(200);
  } finally {
    await roomy.close();
  }
});

test('call-log events are never refused, however late: the end-of-call report is kept', async () => {
  const late = new Date(s.clock.now.getTime() - 60_000);
  const report = {
    type: 'end-of-call-report',
    endedReason: 'customer-ended-call',
    call: { id: 'call_report_late', type: 'inboundPhoneCall' },
    artifact: { transcript: 'AI: hello' },
    analysis: {},
  };
  expect((await s.send(report, { signedAt: late })).status).toBe(200);
  expect(
    (await s.send({ type: 'status-update', status: 'ended', call: { id: 'call_report_late' } }, { signedAt: late }))
      .status,
  ).toBe(200);
  expect(await s.store.callLogs.has('call_report_late')).toBe(true);
});
