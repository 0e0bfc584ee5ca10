import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { OutboxWorker } from '../../src/server/outbox-worker.js';
import { smsChannel } from '../../src/notify/sms.js';
import { startTestServer, toolCalls, only, RAO_BOOKING, type TestServer } from '../support/app.js';

const SID = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'twilio-test-token';

/**
 * A loopback stand-in of Twilio's Messages API (POST /2010-04-01/Accounts/{AccountSid}/Messages.json,
 * HTTP Basic with the account SID and auth token, form-encoded To, From or MessagingServiceSid, and
 * Body, as Twilio documents it); it refuses what Twilio would refuse and answers 201 with a
 * Message resource.
 */
async function twilioStandIn(statuses: number[] = []) {
  const sent: Array<Record<string, string>> = [];
  const problems: string[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += c));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(raw));
      const auth = Buffer.from(String(req.headers.authorization ?? '').replace(/^Basic /, ''), 'base64').toString();
      if (req.method !== 'POST' || req.url !== `/2010-04-01/Accounts/${SID}/Messages.json`)
        problems.push(`${req.method} ${req.url}`);
      if (auth !== `${SID}:${TOKEN}`) problems.push('auth');
      if (!String(req.headers['content-type']).startsWith('application/x-www-form-urlencoded'))
        problems.push('content-type');
      if (!/^\+[1-9]\d{1,14}$/.test(form.To ?? '')) problems.push(`To ${form.To}`);
      if (!form.From && !form.MessagingServiceSid) problems.push('no sender');
      if (!form.Body || form.Body.length > 1600) problems.push('Body');
      const status = statuses.shift() ?? 201;
      if (status !== 201) {
        res
          .writeHead(status, { 'content-type': 'application/json' })
          .end(JSON.stringify({ code: 20429, message: 'Too Many Requests', status }));
        return;
      }
      sent.push(form);
      res.writeHead(201, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          sid: `SM${sent.length.toString().padStart(32, '0')}`,
          account_sid: SID,
          to: form.To,
          from: form.From,
          body: form.Body,
          status: 'queued',
        }),
      );
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    sent,
    problems,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let s: TestServer;
beforeEach(async () => {
  // The booking's own text alone: reminders are tested in reminders.test.ts.
  s = await startTestServer({ clinic: { reminderHours: 0 } });
});
afterEach(async () => {
  await s.close();
});

test('a booking is texted to the patient through the Messages API, as Twilio takes it; a 429 is retried', async () => {
  const api = await twilioStandIn([429]);
  const worker = new OutboxWorker(s.store, s.sealer, {
    now: () => s.clock.now,
    channels: [
      smsChannel({
        accountSid: SID,
        authToken: TOKEN,
        from: '+14155550100',
        baseUrl: api.url,
        frontDesk: '+918041234567',
      }),
    ],
  });
  try {
    expect(only((await s.send(toolCalls('call_1', ['book_appointment', RAO_BOOKING, 'tc_1']))).body).result).toMatch(
      /^You're booked/,
    );
    await worker.runOnce();
    const [entry] = await s.store.collection('outbox').find({});
    expect(entry).toMatchObject({ status: 'pending', deliveries: { sms: { status: 'failed' } } });
    s.clock.now = new Date(entry!.dueAt);
    await worker.runOnce();
    expect(api.problems).toEqual([]);
    expect(api.sent).toHaveLength(1);
    expect(api.sent[0]).toMatchObject({ To: '+919812345678', From: '+14155550100' });
    expect(api.sent[0]!.Body).toMatch(
      /^.+: Dr\. Priya Rao booked Mon 23 Nov, 10:00 AM\. ID \w{9}\. Call \+918041234567 to change it\.$/,
    );
    expect(api.sent[0]!.Body).not.toContain('a@b.co');
    expect((await s.store.collection('outbox').find({}))[0]).toMatchObject({ status: 'delivered' });
  } finally {
    await worker.close();
    await api.close();
  }
});
