import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import ical, { type VEvent } from 'node-ical';
import { OutboxWorker } from '../../src/server/outbox-worker.js';
import { emailChannel } from '../../src/notify/email.js';
import { startTestServer, toolCalls, only, RAO_BOOKING, type TestServer } from '../support/app.js';

// Issue 14 item 3, email: a real SMTP server on loopback (smtp-server, from nodemailer's authors)
// receives what serve's email channel sends; mailparser reads it, node-ical reads the invitation.
let smtp: SMTPServer;
let port: number;
let mails: Array<{ from: string; to: string[]; mail: ParsedMail }>;
let s: TestServer;
let worker: OutboxWorker;
beforeEach(async () => {
  mails = [];
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onData(stream, session, done) {
      simpleParser(stream)
        .then((mail) => {
          mails.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            mail,
          });
          done();
        })
        .catch(done);
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  port = (smtp.server.address() as AddressInfo).port;
  // The booking, move and cancellation notifications alone: reminders are tested in reminders.test.ts.
  s = await startTestServer({ clinic: { reminderHours: 0 } });
  worker = new OutboxWorker(s.store, s.sealer, {
    now: () => s.clock.now,
    channels: [
      emailChannel({
        url: `smtp://127.0.0.1:${port}`,
        from: 'Sunrise Clinic <desk@clinic.test>',
        frontDesk: '+918041234567',
      }),
    ],
  });
});
afterEach(async () => {
  await worker.close();
  await s.close();
  await new Promise<void>((r) => smtp.close(() => r()));
});

const send = async (callId: string, name: string, args: unknown, id: string) =>
  String(only((await s.send(toolCalls(callId, [name, args, id]))).body).result);

test('booked, moved, cancelled: one email each to the patient, text and HTML, with the .ics that updates the same event', async () => {
  expect(await send('call_1', 'book_appointment', RAO_BOOKING, 'tc_1')).toMatch(/^You're booked/);
  await worker.runOnce();
  expect(mails).toHaveLength(1);
  const [booked] = mails;
  const [entry] = await s.store.collection('outbox').find({});
  expect(booked!.to).toEqual(['a@b.co']);
  expect(booked!.mail.messageId).toBe(`<${entry!._id}@receptionist>`);
  const id = /Your appointment ID is (\w{9})/.exec(booked!.mail.text!)![1]!;
  expect(booked!.mail.subject).toBe(
    `Your appointment is booked: Dr. Priya Rao, Monday 23 November 2026 at 10:00 AM (${id})`,
  );
  expect(booked!.mail.text).toContain(
    'Your appointment is booked: Dr. Priya Rao (cardiology) on Monday 23 November 2026 at 10:00 AM.',
  );
  expect(booked!.mail.text).toContain('To cancel or move it, call +918041234567 and give your appointment ID.');
  expect(booked!.mail.html).toContain('<p>Dear A B,</p>');
  // The invitation: parsed by a calendar library, the right time, one UID per appointment.
  const icsOf = (m: ParsedMail) => {
    const part = m.attachments.find((a) => a.contentType.startsWith('text/calendar'));
    expect(part, 'an .ics attachment').toBeDefined();
    const parsed = ical.sync.parseICS(part!.content.toString('utf8'));
    const event = Object.values(parsed).find((c) => c?.type === 'VEVENT') as VEvent;
    return {
      event,
      method:
        (parsed.vcalendar as unknown as { method?: string } | undefined)?.method ??
        part!.content.toString('utf8').match(/METHOD:(\w+)/)?.[1],
    };
  };
  const first = icsOf(booked!.mail);
  expect(first.method).toBe('REQUEST');
  expect(first.event.uid).toBe(`${id}@receptionist`);
  expect(new Date(first.event.start).toISOString()).toBe('2026-11-23T04:30:00.000Z');
  expect(new Date(first.event.end!).toISOString()).toBe('2026-11-23T05:00:00.000Z');
  expect(JSON.stringify(first.event)).not.toContain('a@b.co');

  s.clock.now = new Date(s.clock.now.getTime() + 60_000);
  expect(
    await send('call_1', 'reschedule_appointment', { appointmentId: id, date: 'Monday 23 November at 11am' }, 'tc_2'),
  ).toMatch(/^Done\./);
  s.clock.now = new Date(s.clock.now.getTime() + 60_000);
  expect(await send('call_1', 'cancel_appointment', { appointmentId: id }, 'tc_3')).toMatch(/is cancelled\.$/);
  await worker.runOnce();
  expect(mails.map((m) => m.mail.subject?.split(':')[0])).toEqual([
    'Your appointment is booked',
    'Your appointment has moved',
    'Your appointment is cancelled',
  ]);
  expect(mails[1]!.mail.text).toContain(
    'on Monday 23 November 2026 at 11:00 AM, instead of Monday 23 November at 10:00 AM.',
  );
  const moved = icsOf(mails[1]!.mail);
  const cancelled = icsOf(mails[2]!.mail);
  expect([moved.event.uid, cancelled.event.uid]).toEqual([`${id}@receptionist`, `${id}@receptionist`]);
  expect(new Date(moved.event.start).toISOString()).toBe('2026-11-23T05:30:00.000Z');
  expect(cancelled.method).toBe('CANCEL');
  expect(cancelled.event.status).toBe('CANCELLED');
  expect(Number(moved.event.sequence)).toBeGreaterThan(Number(first.event.sequence));
  expect(Number(cancelled.event.sequence)).toBeGreaterThan(Number(moved.event.sequence));
  // All delivered: nothing of the patient is left in the outbox.
  const left = await s.store.collection('outbox').find({});
  expect(left.map((e) => [e.status, e.deliveries.email?.status, e.payload])).toEqual([
    ['delivered', 'delivered', undefined],
    ['delivered', 'delivered', undefined],
    ['delivered', 'delivered', undefined],
  ]);
});

test('an SMTP server that refuses: retried, then delivered once it accepts', async () => {
  let refuse = true;
  await new Promise<void>((r) => smtp.close(() => r()));
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    onRcptTo(_a, _s, cb) {
      // As real servers do, the refusal quotes the recipient.
      cb(refuse ? Object.assign(new Error('<a@b.co>: mailbox busy'), { responseCode: 451 }) : undefined);
    },
    onData(stream, _session, done) {
      simpleParser(stream).then((mail) => (mails.push({ from: '', to: [], mail }), done()), done);
    },
  });
  await new Promise<void>((r) => smtp.listen(port, '127.0.0.1', () => r()));
  await send('call_1', 'book_appointment', RAO_BOOKING, 'tc_1');
  await worker.runOnce();
  const [entry] = await s.store.collection('outbox').find({});
  expect(entry).toMatchObject({ status: 'pending', attempts: 1, deliveries: { email: { status: 'failed' } } });
  expect(entry!.lastError).toMatch(/email: .*451/);
  // The outbox keeps the error in plaintext (outbox list, the studio): without the patient's address.
  expect(JSON.stringify(entry)).not.toContain('a@b.co');
  expect(entry!.lastError).toContain('[email]');
  refuse = false;
  s.clock.now = new Date(entry!.dueAt);
  await worker.runOnce();
  expect(mails).toHaveLength(1);
  expect((await s.store.collection('outbox').find({}))[0]).toMatchObject({ status: 'delivered' });
});
