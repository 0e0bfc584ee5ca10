import { afterEach, beforeEach, expect, test } from 'vitest';
import { OutboxWorker, PLACED_CHECK_MS, type Channel, type OutboxEvent } from '../../src/server/outbox-worker.js';
import { reminderCallChannel, reminderCallName } from '../../src/notify/call.js';
import { openNotification, retryOutbox } from '../../src/domain/outbox.js';
import type { VapiSettings } from '../../src/vapi/client.js';
import { startTestServer, toolCalls, only, RAO_BOOKING, type TestServer } from '../support/app.js';
import { startFakeVapi, FAKE_PHONE_NUMBER, type FakeVapi } from '../support/fake-vapi.js';

/** Reminders (issue 14 item 4): made with the booking, moved and cancelled with it, sent as a Vapi call when due. */

let s: TestServer;
let vapi: FakeVapi;
let worker: OutboxWorker;
let events: OutboxEvent[];
let assistantId: string;
let callChannel: Channel;

const FIRST_MESSAGE = 'Hello {{name}}, a reminder of your visit to {{doctor}} {{appointmentTime}}.';

beforeEach(async () => {
  s = await startTestServer();
  vapi = await startFakeVapi();
  assistantId = 'asst_reminders';
  vapi.assistants.set(assistantId, { id: assistantId, name: 'Receptionist', createdAt: new Date(0).toISOString() });
  const settings: VapiSettings = {
    apiKey: { value: vapi.token, source: 'test' },
    baseUrl: { value: vapi.url, source: 'test' },
    // Limits, not expected durations: the fake answers at once, a busy machine may be slow to run it.
    timeoutSeconds: 60,
    connectTimeoutMs: 30_000,
    maxRetries: 0,
    retryBaseMs: 1,
  };
  events = [];
  callChannel = reminderCallChannel(
    { vapi: settings, assistantId, phoneNumberId: FAKE_PHONE_NUMBER.id, firstMessage: FIRST_MESSAGE },
    () => s.clock.now,
  );
  worker = new OutboxWorker(s.store, s.sealer, {
    now: () => s.clock.now,
    onEvent: (e) => events.push(e),
    channels: [callChannel],
  });
});
afterEach(async () => {
  await worker.close();
  await vapi.close();
  await s.close();
});

const reminders = () => s.store.collection('outbox').find({ event: 'appointment.reminder' }, { sort: { order: 1 } });
/** Books by the voice tool; returns the appointment ID. */
const book = async (tc: string, args: Record<string, unknown> = RAO_BOOKING) => {
  const text = String(only((await s.send(toolCalls(`call_${tc}`, ['book_appointment', args, tc]))).body).result);
  expect(text).toMatch(/^You're booked/);
  const [a] = await s.store
    .collection('appointments')
    .find({ status: 'confirmed' }, { sort: { createdAt: -1 }, limit: 1 });
  return a!.appointmentId;
};
const placed = () => [...vapi.calls.values()];
/** Vapi's end-of-call-report of an outbound call (its `call.name` as created), sent to serve. */
const report = (call: Record<string, any>, endedReason: string) =>
  s.send({
    type: 'end-of-call-report',
    timestamp: s.clock.now.getTime(),
    endedReason,
    call: { id: call.id, name: call.name, type: 'outboundPhoneCall', status: 'queued' },
    customer: call.customer,
    artifact: { transcript: '', messages: [] },
    analysis: {},
  });

test('a booking has its reminder 24 h before; when due, one Vapi call to the patient with the variableValues, valid by the spec', async () => {
  const id = await book('tc_1');
  const [r] = await reminders();
  // Mon 23 Nov 10:00 IST (04:30Z): due Sun 22 Nov 04:30Z, not sent after 04:15Z on the day.
  expect(r).toMatchObject({
    subject: id,
    status: 'pending',
    dueAt: Date.parse('2026-11-22T04:30:00Z'),
    expiresAt: Date.parse('2026-11-23T04:15:00Z'),
    channels: ['call', 'email', 'sms'],
  });
  expect(JSON.stringify(r)).not.toMatch(/9812345678|a@b\.co/);
  expect(openNotification(r!, s.sealer)).toMatchObject({ type: 'appointment.reminder', data: { id } });
  expect(await worker.runOnce()).toBe(1); // the booking's own notification

  // Not before it is due.
  s.clock.now = new Date(Date.parse('2026-11-22T04:29:00Z'));
  expect(await worker.runOnce()).toBe(0);
  expect(placed()).toHaveLength(0);

  s.clock.now = new Date(Date.parse('2026-11-22T04:30:00Z'));
  expect(await worker.runOnce()).toBe(1);
  const calls = placed();
  expect(calls).toHaveLength(1);
  // The fake checks the body against Vapi's CreateCallDTO and the list's query against GET /call.
  expect(vapi.requests.filter((q) => q.path === '/call').map((q) => [q.method, q.status])).toEqual([
    ['GET', 200],
    ['POST', 201],
  ]);
  expect(calls[0]).toMatchObject({
    name: reminderCallName(r!._id),
    assistantId,
    phoneNumberId: FAKE_PHONE_NUMBER.id,
    customer: { number: '+919812345678', name: 'A B' },
    assistantOverrides: {
      firstMessage: FIRST_MESSAGE,
      variableValues: {
        name: 'A B',
        doctor: 'Dr. Priya Rao',
        appointmentTime: 'tomorrow, Monday 23 November, at 10 AM',
        appointmentId: id,
        clinic: expect.any(String),
      },
    },
    // A minute ahead: Vapi wants a future earliestAt (docs: outbound calling, scheduling).
    schedulePlan: { earliestAt: '2026-11-22T04:31:00.000Z', latestAt: '2026-11-23T04:15:00.000Z' },
    status: 'scheduled',
  });
  // Queued is not heard: pending until the call's end-of-call-report says the patient answered.
  expect((await reminders())[0]).toMatchObject({
    status: 'pending',
    deliveries: { call: { status: 'placed', callId: calls[0]!.id, attempts: 1 } },
  });
  expect(await worker.runOnce()).toBe(0);
  expect((await report(calls[0]!, 'customer-ended-call')).status).toBe(200);
  expect(await worker.runOnce()).toBe(1);
  expect((await reminders())[0]).toMatchObject({ status: 'delivered', deliveries: { call: { status: 'delivered' } } });
  expect((await reminders())[0]!.payload).toBeUndefined();
  expect(await worker.runOnce()).toBe(0);
  expect(placed()).toHaveLength(1);
});

test('a missed reminder call (no answer, voicemail) is tried again within the window, and the outbox says why; a late or repeated report changes nothing', async () => {
  await book('tc_1');
  const [r] = await reminders();
  s.clock.now = new Date(r!.dueAt);
  await worker.runOnce();
  const [first] = placed();
  await report(first!, 'customer-did-not-answer');
  await worker.runOnce();
  expect((await reminders())[0]).toMatchObject({
    status: 'pending',
    attempts: 1,
    lastError: 'call: not answered (customer-did-not-answer)',
    deliveries: { call: { status: 'failed', error: 'not answered (customer-did-not-answer)' } },
  });
  // After the retry delay: a second call, named as the second try.
  s.clock.now = new Date(s.clock.now.getTime() + 60_000);
  await worker.runOnce();
  const second = placed().find((c) => c.id !== first!.id)!;
  expect(second.name).toBe(reminderCallName(r!._id, 2));
  await report(second, 'voicemail');
  await worker.runOnce();
  expect((await reminders())[0]).toMatchObject({ status: 'pending', lastError: 'call: not answered (voicemail)' });
  // The first call's report again changes nothing.
  await report(first!, 'customer-ended-call');
  expect((await reminders())[0]).toMatchObject({ status: 'pending', deliveries: { call: { status: 'failed' } } });
  s.clock.now = new Date(s.clock.now.getTime() + 60_000);
  await worker.runOnce();
  const third = placed().find((c) => ![first!.id, second.id].includes(c.id))!;
  await report(third, 'customer-ended-call');
  await worker.runOnce();
  expect((await reminders())[0]).toMatchObject({ status: 'delivered', attempts: 2 });
  expect(placed()).toHaveLength(3);
});

test('no report: after a while the worker asks Vapi how the call ended; missed after the cutoff is dead, not rung again', async () => {
  await book('tc_1');
  const [r] = await reminders();
  s.clock.now = new Date(r!.dueAt);
  await worker.runOnce();
  expect(placed()).toHaveLength(1);
  // The fake's call moves on with each GET (queued, ringing, in progress, ended: customer-ended-call).
  for (let i = 0; i < 8 && (await reminders())[0]!.status === 'pending'; i++) {
    s.clock.now = new Date(s.clock.now.getTime() + PLACED_CHECK_MS);
    await worker.runOnce();
  }
  expect((await reminders())[0]).toMatchObject({ status: 'delivered' });
  expect(vapi.requests.filter((q) => q.method === 'GET' && q.path.startsWith('/call/')).length).toBeGreaterThan(0);

  // A second appointment whose only call is missed after the cutoff.
  await book('tc_2', { ...RAO_BOOKING, date: 'Wednesday 25 November at 10am', phone: '+919812345679' });
  const late = (await reminders()).at(-1)!;
  s.clock.now = new Date(late.expiresAt! - 30 * 60_000);
  await worker.runOnce();
  const call = placed().at(-1)!;
  s.clock.now = new Date(late.expiresAt! + 60_000);
  await report(call, 'customer-busy');
  await worker.runOnce();
  expect((await reminders()).at(-1)).toMatchObject({ status: 'dead', lastError: 'call: not answered (customer-busy)' });
  expect(placed()).toHaveLength(2);
});

test('a move cancels the reminder and makes one before the new time; a cancellation cancels it; nothing rings for either', async () => {
  const id = await book('tc_1');
  await s.send(
    toolCalls('call_tc_1', [
      'reschedule_appointment',
      { appointmentId: id, date: 'Wednesday 25 November at 11am' },
      'tc_2',
    ]),
  );
  const [old, moved] = await reminders();
  expect(old).toMatchObject({ status: 'cancelled', cancelReason: 'moved' });
  expect(old!.payload).toBeUndefined();
  expect(moved).toMatchObject({ status: 'pending', subject: id, dueAt: Date.parse('2026-11-24T05:30:00Z') });

  // At the old reminder's time: nothing.
  s.clock.now = new Date(Date.parse('2026-11-22T04:30:00Z'));
  await worker.runOnce();
  expect(placed()).toHaveLength(0);

  await s.send(toolCalls('call_tc_1', ['cancel_appointment', { appointmentId: id }, 'tc_3']));
  expect((await reminders()).map((r) => [r.status, r.cancelReason])).toEqual([
    ['cancelled', 'moved'],
    ['cancelled', 'appointment cancelled'],
  ]);
  s.clock.now = new Date(Date.parse('2026-11-24T05:30:00Z'));
  await worker.runOnce();
  expect(placed()).toHaveLength(0);
});

test('a booking nearer than the lead gets no reminder: its confirmation is the reminder', async () => {
  await book('tc_1', { ...RAO_BOOKING, doctor: 'Mehta', date: 'today at 11am' });
  expect(await reminders()).toEqual([]);
  expect(await s.store.collection('outbox').count({ event: 'appointment.booked' })).toBe(1);
});

test('a call Vapi took before serve died is not placed again; Vapi failing is retried; too late is dead, and stays dead', async () => {
  const id = await book('tc_1');
  const [r] = await reminders();
  s.clock.now = new Date(r!.dueAt);
  // serve placed the call, then died before recording it: the retry finds it by name.
  vapi.calls.set('call_earlier', {
    id: 'call_earlier',
    name: reminderCallName(r!._id),
    assistantId,
    createdAt: s.clock.now.toISOString(),
    status: 'scheduled',
  });
  await worker.runOnce();
  expect(placed()).toHaveLength(1);
  expect((await reminders())[0]).toMatchObject({
    status: 'pending',
    deliveries: { call: { status: 'placed', callId: 'call_earlier' } },
  });

  // A second appointment; Vapi answers 500 at its time: retried, then too late.
  await book('tc_2', { ...RAO_BOOKING, date: 'Wednesday 25 November at 10am', phone: '+919812345679' });
  const second = (await reminders()).at(-1)!;
  expect(second.subject).not.toBe(id);
  s.clock.now = new Date(second.dueAt);
  vapi.failNext(500, 2);
  await worker.runOnce();
  expect((await reminders()).at(-1)).toMatchObject({
    status: 'pending',
    attempts: 1,
    deliveries: { call: { status: 'failed', error: expect.stringMatching(/500/) } },
  });
  // serve down until 10 minutes before the appointment: it would come too late.
  s.clock.now = new Date(Date.parse('2026-11-25T04:20:00Z'));
  await worker.runOnce();
  const dead = (await reminders()).at(-1)!;
  expect(dead).toMatchObject({ status: 'dead', lastError: 'too late: not sent by 2026-11-25T04:15:00.000Z' });
  expect(dead.payload).toBeUndefined();
  expect(events.at(-1)).toMatchObject({ state: 'dead', id: dead._id });
  expect(await retryOutbox(s.store, { id: dead._id }, s.clock.now)).toBe(0);
  expect(placed()).toHaveLength(1);
});

test("reminders go only by the clinic's reminderChannels", async () => {
  const only_email = await startTestServer({ clinic: { reminderChannels: ['email'] } });
  try {
    await only_email.send(toolCalls('call_x', ['book_appointment', RAO_BOOKING, 'tc_x']));
    const [r] = await only_email.store.collection('outbox').find({ event: 'appointment.reminder' });
    expect(r!.channels).toEqual(['email']);
    const w = new OutboxWorker(only_email.store, only_email.sealer, {
      now: () => new Date(r!.dueAt),
      channels: [callChannel],
    });
    await w.runOnce();
    await w.close();
    expect(placed()).toHaveLength(0);
    // No channel of its own wanted it: closed, with nothing sent.
    expect(await only_email.store.collection('outbox').findOne({ _id: r!._id })).toMatchObject({
      status: 'delivered',
      deliveries: {},
    });
  } finally {
    await only_email.close();
  }
});

test('a placed call that never reports an outcome counts as missed after an hour, and is tried again', async () => {
  await book('tc_1');
  const [r] = await reminders();
  let placedCalls = 0;
  // Vapi took the call but it never ends (stuck, or deleted on Vapi): the report never comes and GET says nothing.
  const stuck: Channel = {
    name: 'call',
    wants: (n) => n.type === 'appointment.reminder',
    send: async () => ({ placed: `stuck_${++placedCalls}` }),
    check: async () => undefined,
  };
  const w = new OutboxWorker(s.store, s.sealer, { now: () => s.clock.now, channels: [stuck] });
  try {
    s.clock.now = new Date(r!.dueAt);
    await w.runOnce();
    for (let i = 0; i < 11; i++) {
      s.clock.now = new Date(s.clock.now.getTime() + PLACED_CHECK_MS);
      await w.runOnce();
    }
    expect((await reminders())[0]).toMatchObject({ status: 'pending', deliveries: { call: { status: 'placed' } } });
    s.clock.now = new Date(s.clock.now.getTime() + PLACED_CHECK_MS);
    await w.runOnce();
    expect((await reminders())[0]).toMatchObject({
      status: 'pending',
      lastError: 'call: not answered (no-outcome-within-an-hour)',
      deliveries: { call: { status: 'failed' } },
    });
    s.clock.now = new Date(s.clock.now.getTime() + 60_000);
    await w.runOnce();
    expect(placedCalls).toBe(2);
  } finally {
    await w.close();
  }
});
