import fs from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { startTestServer, toolCalls, only, NOW, SECRET, type TestServer, RAO_BOOKING } from '../support/app.js';
import { signBody } from '../../src/server/auth.js';
import { StoreUnavailableError } from '../../src/store/types.js';
import { STORE_DOWN_APOLOGY } from '../../src/server/messages.js';
import { openField } from '../../src/domain/sealer.js';
import { callLogContext } from '../../src/domain/call-records.js';

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.close();
});

const report = (callId: string, extra: Record<string, unknown> = {}) => ({
  type: 'end-of-call-report',
  timestamp: '2026-11-21T04:29:00.000Z',
  endedReason: 'customer-ended-call',
  startedAt: '2026-11-21T04:25:00.000Z',
  endedAt: '2026-11-21T04:28:30.000Z',
  cost: 0.21,
  costBreakdown: { stt: 0.01, llm: 0.1, total: 0.21 },
  call: { id: callId, type: 'inboundPhoneCall', assistantId: 'asst_1', status: 'queued', cost: 0 },
  customer: { number: '+919812345678' },
  artifact: { transcript: 'AI: Hello\nUser: =HYPERLINK("x")', recordingUrl: 'https://rec/1.wav', messages: [] },
  analysis: { summary: 'Booked.', successEvaluation: 'true' },
  ...extra,
});

describe('server messages', () => {
  test('end-of-call-report writes one call-log row per call id; a repeat is ignored', async () => {
    expect((await s.send(report('call_a'))).status).toBe(200);
    expect((await s.send(report('call_a', { cost: 9 }))).body).toEqual({});
    const rows = await s.store.callLogs.list();
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(row).toMatchObject({
      callId: 'call_a',
      callType: 'inboundPhoneCall',
      assistantId: 'asst_1',
      durationSeconds: 210,
      endedReason: 'customer-ended-call',
      cost: 0.21,
      costBreakdown: '{"stt":0.01,"llm":0.1,"total":0.21}',
      customerIndex: s.sealer.index('+919812345678'),
    });
    // Sensitive fields are sealed at rest, and open to the admin's keys only.
    const plain = {
      customerNumber: '+919812345678',
      summary: 'Booked.',
      transcript: 'AI: Hello\nUser: =HYPERLINK("x")',
      recordingUrl: 'https://rec/1.wav',
      // Vapi's judgement of the call (issue 13 item 3): sealed too.
      successEvaluation: 'true',
    };
    const { dataKeys } = await s.unlock();
    for (const [field, value] of Object.entries(plain)) {
      const stored = row[field as keyof typeof plain];
      expect(stored).toMatch(/^sealed:v1:/);
      expect(openField(stored, callLogContext('call_a', field), dataKeys)).toBe(value);
    }
    // Nothing in plaintext at rest: the store file and its write-ahead log.
    const atRest = ['receptionist.db', 'receptionist.db-wal']
      .filter((f) => fs.existsSync(path.join(s.dir, f)))
      .map((f) => fs.readFileSync(path.join(s.dir, f)).toString('latin1'))
      .join('');
    expect(atRest).toContain('call_a');
    expect(atRest).not.toMatch(/9812345678|Booked\.|HYPERLINK|rec\/1/);
    expect(s.events.map((e) => e.outcome)).toEqual(['ok', 'duplicate']);
  });

  test('a web call without a customer and with epoch-ms timestamps is logged with no number', async () => {
    await s.send(
      report('call_web', {
        customer: undefined,
        timestamp: NOW.getTime(),
        call: { id: 'call_web', type: 'webCall' },
        durationSeconds: 12.5,
      }),
    );
    expect((await s.store.callLogs.list())[0]).toMatchObject({
      callId: 'call_web',
      customerNumber: '',
      callType: 'webCall',
      durationSeconds: 12.5,
    });
  });

  test('status-update keeps the latest status even when messages arrive out of order', async () => {
    const t = NOW.getTime();
    await s.send({ type: 'status-update', status: 'in-progress', timestamp: t + 2000, call: { id: 'c1' } });
    await s.send({ type: 'status-update', status: 'ringing', timestamp: t + 1000, call: { id: 'c1' } });
    expect(await s.store.collection('call_status').findOne({ _id: 'c1' })).toMatchObject({
      status: 'in-progress',
      at: t + 2000,
    });
  });

  test('a timestamp of 1e308 (or any instant outside 2000…2100) is a malformed message, not a stored status', async () => {
    for (const timestamp of [1e308, -1, 1000, '9999-01-01T00:00:00Z', 'soon']) {
      const res = await s.send({ type: 'status-update', status: 'in-progress', timestamp, call: { id: 'c_ts' } });
      expect(res.status, String(timestamp)).toBe(400);
    }
    expect(await s.store.collection('call_status').findOne({ _id: 'c_ts' })).toBeNull();
  });

  test("an end-of-call-report's impossible dates, durations and costs are left out; the report is kept", async () => {
    const res = await s.send({
      type: 'end-of-call-report',
      call: { id: 'c_bad_numbers' },
      startedAt: '+275760-09-13T00:00:00.000Z',
      endedAt: 'yesterday-ish',
      durationSeconds: -40,
      cost: 1e300,
      summary: 'kept',
    });
    expect(res.status).toBe(200);
    const [log] = await s.store.callLogs.list({ callId: 'c_bad_numbers' });
    expect(log).toMatchObject({ startedAt: '', endedAt: '', durationSeconds: null, cost: null });
    expect(log!.summary).not.toBe('');
  });

  test('assistant-request: a known caller gets the assistant plus variableValues; an unknown one the default', async () => {
    await s.send(
      toolCalls('c0', [
        'book_appointment',
        {
          name: 'Asha Verma',
          email: 'asha@example.com',
          phone: '+919812345678',
          date: 'Tuesday 24 November at 9am',
          reason: 'x',
          specialty: 'general medicine',
        },
      ]),
    );
    const known = await s.send({
      type: 'assistant-request',
      call: { id: 'c2', customer: { number: '+919812345678' } },
      customer: { number: '+919812345678' },
    });
    expect(known.status).toBe(200);
    expect(known.body.assistant.name).toBe('Sunrise Receptionist');
    expect(known.body.assistant.model.tools.map((t: any) => t.function?.name ?? t.type)).toContain('book_appointment');
    // The name is sealed at rest and serve cannot open it: the last appointment is all it passes.
    expect(known.body.assistantOverrides.variableValues).toEqual({
      lastAppointment: 'Dr. Anil Mehta on Tuesday 24 November at 9 AM',
    });
    expect(known.body.assistantOverrides.firstMessage).toBe(
      'Welcome back! Are you calling about a doctor appointment or AC support today?',
    );
    const unknown = await s.send({
      type: 'assistant-request',
      call: { id: 'c3' },
      customer: { number: '+14155550100' },
    });
    expect(unknown.body.assistantOverrides).toBeUndefined();
    expect(unknown.body.assistant.firstMessage).toBe(
      'Welcome! Are you calling for a doctor appointment or AC support today?',
    );
  });

  test('tool arguments may arrive as a JSON string; the legacy toolCalls list and parallel calls are answered in order', async () => {
    const msg = toolCalls(
      'c4',
      ['list_doctors', JSON.stringify({ specialty: 'cardiology' }), 'tc_a'],
      ['get_warranty_info', { customerId: 'CUST-1002' }, 'tc_b'],
    );
    const legacy = { ...msg, toolCalls: msg.toolCallList, toolCallList: undefined, toolWithToolCallList: undefined };
    const res = await s.send(legacy);
    expect(res.body.results.map((r: any) => [r.toolCallId, r.name])).toEqual([
      ['tc_a', 'list_doctors'],
      ['tc_b', 'get_warranty_info'],
    ]);
    expect(res.body.results[0].result).toMatch(/Priya Rao/);
  });

  test('an unknown tool gets an error entry, never a 500', async () => {
    const res = await s.send(toolCalls('c5', ['launch_rocket', {}]));
    expect(res.status).toBe(200);
    expect(only(res.body).error).toMatch(/^Unknown tool "launch_rocket"\. Known tools: list_doctors/);
  });

  test('legacy function-call is answered {result}', async () => {
    const res = await s.send({
      type: 'function-call',
      call: { id: 'c6' },
      functionCall: { name: 'get_ac_purchase_details', parameters: { customerId: 'CUST-9' } },
    });
    expect(res.body).toEqual({
      result:
        "To protect our customers' privacy I need to check one detail first: the full name on the account for customer ID CUST-9.",
    });
  });

  test('other Vapi message types get 200 {} at once', async () => {
    for (const type of [
      'conversation-update',
      'speech-update',
      'transcript',
      'hang',
      'user-interrupted',
      'model-output',
    ]) {
      expect(await s.send({ type, call: { id: 'c7' } })).toEqual({ status: 200, body: {} });
    }
  });

  test("end-of-call-report takes summary and success from artifact.structuredOutputs (analysisPlan's successor), else from analysis", async () => {
    const outputs = {
      'so-1': { name: 'callSummary', result: 'Booked Dr. Mehta.' },
      'so-2': { name: 'callSuccessful', result: true },
    };
    await s.send(
      report('call_so', { analysis: {}, artifact: { transcript: 'AI: Hi', messages: [], structuredOutputs: outputs } }),
    );
    await s.send(report('call_old'));
    const { dataKeys } = await s.unlock();
    const open = async (callId: string, field: 'summary' | 'successEvaluation') => {
      const row = (await s.store.callLogs.list()).find((r) => r.callId === callId)!;
      return openField(row[field], callLogContext(callId, field), dataKeys);
    };
    expect([await open('call_so', 'summary'), await open('call_so', 'successEvaluation')]).toEqual([
      'Booked Dr. Mehta.',
      'true',
    ]);
    expect([await open('call_old', 'summary'), await open('call_old', 'successEvaluation')]).toEqual([
      'Booked.',
      'true',
    ]);
  });

  test('GET /health answers', async () => {
    expect((await s.app.inject({ method: 'GET', url: '/health' })).json()).toEqual({
      ok: true,
      status: 'ok',
      store: 'connected',
      spoolDepth: 0,
      shed: 0,
    });
  });
});

describe('malformed input gets a clear 4xx, nothing is recorded, and the server keeps serving', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['bad JSON', '{"message": {', /^body is not valid JSON$/],
    ['empty body', '', /^empty body/],
    ['an array', '[1,2]', /^body must be a JSON object/],
    ['no message', '{"msg":{}}', /^missing "message" object$/],
    ['no type', '{"message":{"call":{}}}', /^missing "message.type" string$/],
    [
      'report without call id',
      '{"message":{"type":"end-of-call-report","endedReason":"x"}}',
      /^end-of-call-report has no "message.call.id"$/,
    ],
    [
      'wrong type of call id',
      '{"message":{"type":"end-of-call-report","call":{"id":{"x":1}}}}',
      /^"message.call.id" must be a string$/,
    ],
    [
      'wrong type of cost',
      '{"message":{"type":"end-of-call-report","call":{"id":"c"},"cost":"lots"}}',
      /^"cost" must be a number$/,
    ],
    [
      'tool-calls without list',
      '{"message":{"type":"tool-calls","call":{"id":"c"}}}',
      /^tool-calls message has no "toolCallList"$/,
    ],
    [
      'tool call without id',
      '{"message":{"type":"tool-calls","toolCallList":[{"function":{"name":"list_doctors"}}]}}',
      /^toolCallList\[0\] has no "id"$/,
    ],
    ['bad timestamp', '{"message":{"type":"hang","timestamp":{"a":1}}}', /timestamp/],
  ];
  test.each(cases)('%s', async (_name, raw, reason) => {
    const res = await s.send({}, { raw });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(reason);
    expect(await s.store.callLogs.list()).toEqual([]);
    expect((await s.send(toolCalls('ok', ['list_doctors', {}]))).status).toBe(200);
  });

  test('a body over the limit gets 413', async () => {
    const big = JSON.stringify({ message: { type: 'hang', pad: 'x'.repeat(5 * 1024 * 1024) } });
    const res = await s.send({}, { raw: big });
    expect(res.status).toBe(413);
    expect((await s.send(toolCalls('ok', ['list_doctors', {}]))).status).toBe(200);
  });

  test('the 400 reason never quotes the body', async () => {
    const res = await s.send({}, { raw: '{"message": "+919812345678 secret transcript' });
    expect(JSON.stringify(res.body)).not.toContain('9812345678');
    expect(JSON.stringify(s.events)).not.toContain('9812345678');
  });
});

describe('reply codes against the backoffPlan sync writes', () => {
  test('a refusal a retry cannot fix (400, 401, 413) is excluded from retries; only a store outage gets a 5xx', async () => {
    const { BACKOFF_PLAN } = await import('../../src/vapi/sync-plan.js');
    const excluded = new Set<number>(BACKOFF_PLAN.excludedStatusCodes);
    expect(BACKOFF_PLAN.maxRetries).toBeGreaterThanOrEqual(3);
    const malformed = await s.send({}, { raw: '{"message": {' });
    const unauthenticated = await s.send(toolCalls('c', ['list_doctors', {}]), { headers: {} });
    const badSignature = await s.send(toolCalls('c', ['list_doctors', {}]), {
      headers: { 'x-timestamp': String(NOW.getTime()), 'x-signature': 'a'.repeat(64) },
    });
    const tooLarge = await s.send(
      {},
      { raw: JSON.stringify({ message: { type: 'hang', pad: 'x'.repeat(5 * 1024 * 1024) } }) },
    );
    for (const r of [malformed, unauthenticated, badSignature, tooLarge])
      expect(excluded.has(r.status), `status ${r.status}`).toBe(true);
    vi.spyOn(s.store.callLogs, 'append').mockRejectedValueOnce(new StoreUnavailableError('disk full'));
    const outage = await s.send(report('call_retry'));
    expect(outage.status).toBe(503);
    expect(excluded.has(503)).toBe(false);
    // Everything else Vapi sends, a tool that fails included, is a 200.
    expect((await s.send(toolCalls('c', ['launch_rocket', {}]))).status).toBe(200);
    expect((await s.send(report('call_retry'))).status).toBe(200);
  });
});

describe('a store that cannot be written', () => {
  test('gets 503 and recovers when the store does', async () => {
    const append = vi
      .spyOn(s.store.callLogs, 'append')
      .mockRejectedValueOnce(new StoreUnavailableError('cannot append: ENOSPC'));
    expect((await s.send(report('call_x'))).status).toBe(503);
    expect(s.events.at(-1)).toMatchObject({ status: 503, outcome: 'unavailable' });
    expect((await s.send(report('call_x'))).status).toBe(200);
    expect(append).toHaveBeenCalledTimes(2);
    expect((await s.store.callLogs.list()).map((r) => r.callId)).toEqual(['call_x']);
  });

  test('a booking whose reply cannot be stored leaves nothing behind; the redelivery books it once', async () => {
    const insert = vi
      .spyOn(s.store.collection('replies'), 'insertOne')
      .mockRejectedValueOnce(new StoreUnavailableError('cannot write: ENOSPC'));
    const msg = toolCalls('c_atomic', ['book_appointment', RAO_BOOKING, 'tc_atomic']);
    const customers = await s.store.collection('customers').find({}, { sort: { _id: 1 } });
    expect(only((await s.send(msg)).body).error).toBe(STORE_DOWN_APOLOGY);
    // The hold, the booking and the patient were one step with the reply: all rolled back.
    expect(await s.store.collection('appointments').count({})).toBe(0);
    expect(await s.store.collection('customers').find({}, { sort: { _id: 1 } })).toEqual(customers);
    const retry = await s.send(msg);
    expect(only(retry.body).result).toMatch(/^You're booked with Dr\. Priya Rao/);
    expect(insert).toHaveBeenCalledTimes(2);
    expect(await s.store.collection('appointments').count({})).toBe(1);
    expect((await s.send(msg)).body).toEqual(retry.body);
  });

  test('a store another process holds locked past the busy timeout: a spoken apology (not cached), then recovery', async () => {
    // Another writer holds the write lock (a long transaction, a stuck process).
    const other = new DatabaseSync(path.join(s.dir, 'receptionist.db'));
    other.exec('BEGIN EXCLUSIVE');
    const down = await s.send(toolCalls('c', ['book_appointment', RAO_BOOKING, 'tc_1']));
    expect(down.status).toBe(200);
    expect(only(down.body)).toEqual({ toolCallId: 'tc_1', name: 'book_appointment', error: STORE_DOWN_APOLOGY });
    expect(s.events.at(-1)).toMatchObject({ status: 200, outcome: 'unavailable' });
    other.exec('ROLLBACK');
    other.close();
    const retry = await s.send(toolCalls('c', ['book_appointment', RAO_BOOKING, 'tc_1']));
    expect(retry.status).toBe(200);
    expect(only(retry.body).result).toMatch(/^You're booked with Dr\. Priya Rao/);
    expect(await s.store.collection('appointments').count({ status: 'confirmed' })).toBe(1);
  });
});

describe('replays and redeliveries', () => {
  const book = RAO_BOOKING;

  test('SEC-2: 1,000 byte-identical replays, sequential and concurrent, add no booking and get the first reply', async () => {
    const raw = JSON.stringify({ message: toolCalls('c_r', ['book_appointment', book, 'tc_replay']) });
    const ts = String(NOW.getTime());
    const headers = { 'x-timestamp': ts, 'x-signature': signBody(SECRET, Buffer.from(raw), { timestamp: ts }) };
    const first = await s.send({}, { raw, headers });
    for (let i = 0; i < 500; i++) expect((await s.send({}, { raw, headers })).body).toEqual(first.body);
    const concurrent = await Promise.all(Array.from({ length: 500 }, () => s.send({}, { raw, headers })));
    for (const r of concurrent) expect(r.body).toEqual(first.body);
    expect(await s.store.collection('appointments').count({ status: 'confirmed' })).toBe(1);
  });

  test('SEC-2: a replay after a restart gets the first reply and books nothing', async () => {
    const msg = toolCalls('c_restart', ['book_appointment', book, 'tc_restart']);
    const first = await s.send(msg);
    const dir = s.dir;
    await s.app.close();
    await s.store.close();
    const again = await startTestServer({ dir });
    try {
      expect((await again.send(msg)).body).toEqual(first.body);
      expect(await again.store.collection('appointments').count({ status: 'confirmed' })).toBe(1);
    } finally {
      await again.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a HMAC timestamp more than 300 s off is rejected', async () => {
    const raw = JSON.stringify({ message: toolCalls('c', ['list_doctors', {}]) });
    const ts = String(NOW.getTime() - 301_000);
    const res = await s.send(
      {},
      { raw, headers: { 'x-timestamp': ts, 'x-signature': signBody(SECRET, Buffer.from(raw), { timestamp: ts }) } },
    );
    expect(res.status).toBe(401);
    expect(s.events.at(-1)?.detail).toBe('x-timestamp is more than 300 s off');
  });

  test('BOOK-2: one toolCallId delivered 10 times (some concurrently) books once with 10 identical replies', async () => {
    const replies = [];
    for (let i = 0; i < 4; i++) {
      // A different envelope timestamp each time: only the toolCallId is the same.
      s.clock.now = new Date(NOW.getTime() + i * 1000);
      replies.push((await s.send(toolCalls('c_b2', ['book_appointment', book, 'tc_same']))).body);
    }
    replies.push(
      ...(await Promise.all(
        Array.from({ length: 6 }, () =>
          s.send(toolCalls('c_b2', ['book_appointment', book, 'tc_same'])).then((r) => r.body),
        ),
      )),
    );
    expect(new Set(replies.map((r) => JSON.stringify(r))).size).toBe(1);
    expect(await s.store.collection('appointments').count({ status: 'confirmed' })).toBe(1);
  });

  test('BOOK-1: 1,000 concurrent bookings of one slot give exactly one booking', async () => {
    const results = await Promise.all(
      Array.from({ length: 1000 }, (_, i) =>
        s.send(toolCalls(`call_${i}`, ['book_appointment', { ...book, name: `Patient ${i}` }, `tc_${i}`])),
      ),
    );
    const booked = results.filter((r) => /^You're booked/.test(only(r.body).result ?? ''));
    expect(booked).toHaveLength(1);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(await s.store.collection('appointments').count({ activeSlot: { $exists: true } })).toBe(1);
  });

  test('BOOK-3: a hold expires at its expiry time and the slot is bookable again', async () => {
    const held = await s.send(
      toolCalls('holder', ['check_availability', { date: 'Monday 23 November at 10am', doctor: 'Rao' }]),
    );
    expect(only(held.body).result).toMatch(/held it for you for 5 minutes/);
    const blocked = await s.send(toolCalls('other', ['book_appointment', book]));
    expect(only(blocked.body).result).toMatch(/already taken/);
    s.clock.now = new Date(NOW.getTime() + 5 * 60_000);
    const after = await s.send(toolCalls('other', ['book_appointment', book]));
    expect(only(after.body).result).toMatch(/^You're booked with Dr\. Priya Rao on Monday 23 November at 10 AM/);
  });
});

test('issue 13 item 15: a body nested 100,000 deep is a 400 naming the limit, every time, not a 500', async () => {
  const s = await startTestServer();
  try {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    for (let i = 0; i < 2; i++) {
      const res = await s.send(
        { type: 'end-of-call-report', call: { id: 'c_deep' }, analysis: { successEvaluation: '@' } },
        {
          raw: `{"message":{"type":"end-of-call-report","call":{"id":"c_deep"},"analysis":{"successEvaluation":${deep}}}}`,
        },
      );
      expect(res).toEqual({ status: 400, body: { error: 'body nests objects or arrays deeper than 64 levels' } });
    }
    // Brackets inside strings do not count; a real report's depth is fine.
    const text = await s.send({ type: 'end-of-call-report', call: { id: 'c_text' }, summary: '['.repeat(1000) });
    expect(text.status).toBe(200);
  } finally {
    await s.close();
  }
});
