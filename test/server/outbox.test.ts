import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { Webhook } from 'standardwebhooks';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { packageRoot } from '../../src/paths.js';
import { OutboxWorker, type OutboxEvent } from '../../src/server/outbox-worker.js';
import { newSigningSecret, secretBinding, webhookEndpoints } from '../../src/notify/webhooks.js';
import { forgetPastContacts, RETRY_WINDOW_MS, retryOutbox } from '../../src/domain/outbox.js';
import { startTestServer, toolCalls, only, RAO_BOOKING, type TestServer } from '../support/app.js';

/** A loopback receiver: records every POST and answers with the next of `statuses` (then 204). */
async function receiver(statuses: number[] = []) {
  const got: Array<{ headers: Record<string, string>; body: string }> = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers as Record<string, string>, body });
      res.writeHead(statuses.shift() ?? 204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return { got, url, statuses, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const schema = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'schemas', 'notification.schema.json'), 'utf8'));
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats.default(ajv);
const validate = ajv.compile(schema);

/** Verifies one delivery as a receiver would: the library, the secret, its clock at the delivery time. */
function verify(secret: string, d: { headers: Record<string, string>; body: string }, at: Date) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(at);
  try {
    return new Webhook(secret).verify(d.body, d.headers);
  } finally {
    vi.useRealTimers();
  }
}

let s: TestServer;
let events: OutboxEvent[];
let worker: OutboxWorker;
beforeEach(async () => {
  // The booking, move and cancellation notifications alone: reminders are tested in reminders.test.ts.
  s = await startTestServer({ clinic: { reminderHours: 0 } });
  events = [];
  worker = new OutboxWorker(s.store, s.sealer, { now: () => s.clock.now, onEvent: (e) => events.push(e) });
});
afterEach(async () => {
  await worker.close();
  await s.close();
});

async function addEndpoint(url: string, events: string[] = ['*']) {
  const secret = newSigningSecret();
  const id = `we_${Math.random().toString(36).slice(2, 10)}`;
  await webhookEndpoints(s.store).insertOne({
    _id: id,
    url,
    events,
    secret: s.sealer.sealPending(secret, secretBinding(id)),
    createdAt: s.clock.now.toISOString(),
  });
  return { id, secret };
}
const outbox = () => s.store.collection('outbox').find({}, { sort: { order: 1 } });
const book = async (tc: string, args = RAO_BOOKING) =>
  String(only((await s.send(toolCalls(`call_${tc}`, ['book_appointment', args, tc]))).body).result);

describe('notifications outbox', () => {
  test('a booking, a move and a cancellation each reach the webhook once, signed per Standard Webhooks, as the schema says', async () => {
    const r = await receiver();
    try {
      const hook = await addEndpoint(r.url);
      expect(await book('tc_1')).toMatch(/^You're booked/);
      // Pending: the patient's contact details are sealed, not in clear, in the outbox and the appointment.
      const [pending] = await outbox();
      expect(pending).toMatchObject({ event: 'appointment.booked', status: 'pending', attempts: 0 });
      const [appt] = await s.store.collection('appointments').find({ status: 'confirmed' });
      expect(JSON.stringify([pending, appt!.contact])).not.toMatch(/a@b\.co|9812345678/);

      expect(await worker.runOnce()).toBe(1);
      expect(r.got).toHaveLength(1);
      const delivered = r.got[0]!;
      expect(delivered.headers['webhook-id']).toBe(pending!._id);
      const body = verify(hook.secret, delivered, s.clock.now) as Record<string, any>;
      expect(validate(body), JSON.stringify(validate.errors)).toBe(true);
      expect(body).toEqual({
        type: 'appointment.booked',
        timestamp: s.clock.now.toISOString(),
        data: {
          id: appt!.appointmentId,
          timeZone: 'Asia/Kolkata',
          clinic: expect.any(String),
          start: '2026-11-23T04:30:00.000Z',
          durationMinutes: 30,
          doctor: { id: 'dr-rao', name: 'Dr. Priya Rao', specialty: 'cardiology' },
          contact: { name: 'A B', email: 'a@b.co', phone: '+919812345678' },
        },
      });
      // Delivered: the payload is gone from the store.
      const [done] = await outbox();
      expect(done).toMatchObject({
        status: 'delivered',
        deliveries: { [`webhook:${hook.id}`]: { status: 'delivered' } },
      });
      expect(done!.payload).toBeUndefined();
      expect(await worker.runOnce()).toBe(0);

      const id = appt!.appointmentId;
      const moved = only(
        (
          await s.send(
            toolCalls('call_tc_1', [
              'reschedule_appointment',
              { appointmentId: id, date: 'Monday 23 November at 11am' },
              'tc_2',
            ]),
          )
        ).body,
      );
      expect(moved.result).toMatch(/^Done\./);
      const cancelled = only(
        (await s.send(toolCalls('call_tc_1', ['cancel_appointment', { appointmentId: id }, 'tc_3']))).body,
      );
      expect(cancelled.result).toMatch(/is cancelled\.$/);
      expect(await worker.runOnce()).toBe(2);
      const later = r.got.slice(1).map((d) => verify(hook.secret, d, s.clock.now) as Record<string, any>);
      expect(later.map((b) => [b.type, b.data.start, b.data.previousStart])).toEqual([
        ['appointment.rescheduled', '2026-11-23T05:30:00.000Z', '2026-11-23T04:30:00.000Z'],
        ['appointment.cancelled', '2026-11-23T05:30:00.000Z', undefined],
      ]);
      for (const b of later) expect(validate(b)).toBe(true);
      // Cancelled: its contact card is gone too.
      expect((await s.store.collection('appointments').findOne({ appointmentId: id }))!.contact).toBeUndefined();
      expect(events.map((e) => e.state)).toEqual(['delivered', 'delivered', 'delivered']);
    } finally {
      await r.close();
    }
  });

  test('a failing receiver: retried with backoff under the same webhook-id, only the channel that failed; dead after 24 h; retry brings it back', async () => {
    const ok = await receiver();
    const flaky = await receiver([500, 503]);
    try {
      const good = await addEndpoint(ok.url, ['appointment.booked']);
      const bad = await addEndpoint(flaky.url);
      await addEndpoint(ok.url, ['appointment.cancelled']); // not this event
      await book('tc_1');
      await worker.runOnce();
      expect([ok.got.length, flaky.got.length]).toEqual([1, 1]);
      const [entry] = await outbox();
      expect(entry).toMatchObject({
        status: 'pending',
        attempts: 1,
        deliveries: {
          [`webhook:${good.id}`]: { status: 'delivered' },
          [`webhook:${bad.id}`]: { status: 'failed', attempts: 1, error: expect.stringContaining('answered 500') },
        },
      });
      expect(events.at(-1)).toMatchObject({ state: 'retrying', attempts: 1 });
      const wait = entry!.dueAt - s.clock.now.getTime();
      expect(wait).toBeGreaterThanOrEqual(4_000);
      expect(wait).toBeLessThanOrEqual(6_000);
      expect(await worker.runOnce()).toBe(0); // not due yet
      s.clock.now = new Date(entry!.dueAt);
      await worker.runOnce(); // 503
      s.clock.now = new Date((await outbox())[0]!.dueAt);
      await worker.runOnce(); // 204
      expect(ok.got).toHaveLength(1); // the endpoint that had it never gets it again
      expect(flaky.got.map((d) => d.headers['webhook-id'])).toEqual([entry!._id, entry!._id, entry!._id]);
      expect((await outbox())[0]).toMatchObject({ status: 'delivered', attempts: 2 });

      // A receiver down for good: dead-lettered once the 24 h have passed, payload kept for a retry.
      flaky.statuses.push(...Array(50).fill(500));
      await book('tc_2', { ...RAO_BOOKING, date: 'Monday 23 November at 11am', phone: '+919812345679' });
      const start = s.clock.now.getTime();
      for (let i = 0; i < 40 && (await outbox()).at(-1)!.status === 'pending'; i++) {
        s.clock.now = new Date(Math.max((await outbox()).at(-1)!.dueAt, start + (i + 1) * 3_600_000));
        await worker.runOnce();
      }
      const dead = (await outbox()).at(-1)!;
      expect(dead.status).toBe('dead');
      expect(s.clock.now.getTime() - start).toBeGreaterThanOrEqual(RETRY_WINDOW_MS);
      expect(dead.payload).toBeDefined();
      expect(events.at(-1)).toMatchObject({ state: 'dead', id: dead._id });
      flaky.statuses.length = 0;
      expect(await retryOutbox(s.store, {}, s.clock.now)).toBe(1);
      await worker.runOnce();
      expect((await outbox()).at(-1)).toMatchObject({ status: 'delivered' });
    } finally {
      await ok.close();
      await flaky.close();
    }
  });

  test('with no channel configured, an entry is closed at once and its payload removed', async () => {
    await book('tc_1');
    await worker.runOnce();
    expect((await outbox())[0]).toMatchObject({ status: 'delivered', deliveries: {} });
    expect((await outbox())[0]!.payload).toBeUndefined();
    expect(events[0]).toMatchObject({ state: 'delivered', channels: [] });
  });
});

test('contact cards go once their appointment has started', async () => {
  expect(await book('tc_1')).toMatch(/^You're booked/);
  expect(await forgetPastContacts(s.store, s.clock.now)).toBe(0);
  // Monday 23 November 10:00 IST has started a minute ago.
  expect(await forgetPastContacts(s.store, new Date('2026-11-23T04:31:00.000Z'))).toBe(1);
  const [a] = await s.store.collection('appointments').find({ status: 'confirmed' });
  expect(a!.contact).toBeUndefined();
});
