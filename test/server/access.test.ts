import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startTestServer, toolCalls, only, type TestServer, RAVI_BOOKING } from '../support/app.js';
import { MAX_FAILED_ATTEMPTS } from '../../src/domain/access.js';
import { APPOINTMENT_ID_LENGTH } from '../../src/domain/appointments.js';
import { spellOut } from '../../src/domain/ids.js';
import { TRANSFER_ANSWER } from '../../src/server/tools/verify-caller.js';

// Issue 13 item 1: cancel, move or read by ID alone. Each test runs the attack and shows it failing.

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.close();
});

/** The default test caller, +919812345678, is Asha Verma (CUST-1001); Ravi books from 98450 12345. */
const RAVI_NUMBER = '+919845012345';

const call = async (name: string, args: unknown, callId = 'call_1', from?: string, toolCallId?: string) => {
  const message = toolCalls(callId, [name, args, toolCallId]) as { call: { customer: { number: string } } };
  if (from) message.call.customer.number = from;
  const res = await s.send(message);
  expect(res.status).toBe(200);
  return only(res.body).result!;
};

async function ravisAppointment(): Promise<string> {
  const booked = await call('book_appointment', RAVI_BOOKING, 'call_booking', RAVI_NUMBER);
  return booked.match(/ID is (.*)\.$/)![1]!.replace(/[ ,]/g, '');
}

const statusOf = async (appointmentId: string) =>
  (await s.store.collection('appointments').findOne({ appointmentId }))!.status;

describe('the access rule for callers', () => {
  test('the patient calling from the number on the appointment cancels it with the ID alone', async () => {
    const id = await ravisAppointment();
    expect(await call('cancel_appointment', { appointmentId: id }, 'call_ravi', RAVI_NUMBER)).toBe(
      'Your appointment with Dr. Anil Mehta on Tuesday 24 November at 11 AM is cancelled.',
    );
  });

  test('another number gets a question for the second factor, the same for a real and a made-up ID', async () => {
    const id = await ravisAppointment();
    const real = await call('cancel_appointment', { appointmentId: id });
    const fake = await call('cancel_appointment', { appointmentId: 'QQQQQQQQQ' });
    const ask = (spoken: string) =>
      `To protect patients' privacy I need to check two details first: the patient's full name, and the date of appointment ${spoken}.`;
    expect(real).toBe(ask(spellOut(id)));
    expect(fake).toBe(ask('Q Q Q, Q Q Q, Q Q Q'));
    // Asking is not acting, and not a failed attempt.
    expect(await statusOf(id)).toBe('confirmed');
    expect(await s.store.collection('access_failures').count({})).toBe(0);
  });

  test('the right name and date let another caller act; a wrong name or date does not', async () => {
    const id = await ravisAppointment();
    const moveTo = { appointmentId: id, date: 'Wednesday 25 November at 11am' };
    expect(
      await call('reschedule_appointment', { ...moveTo, patientName: 'Ravi Kumar', appointmentDate: '25 November' }),
    ).toMatch(/^Those details don't match appointment/);
    expect(
      await call('reschedule_appointment', { ...moveTo, patientName: 'Ravi Sharma', appointmentDate: '24 November' }),
    ).toMatch(/^Those details don't match appointment/);
    expect(await statusOf(id)).toBe('confirmed');
    // Said differently (case, title, order), the name still matches.
    expect(
      await call(
        'reschedule_appointment',
        { ...moveTo, patientName: 'Mr. KUMAR Ravi', appointmentDate: 'Tuesday 24 November' },
        'call_2',
      ),
    ).toMatch(/^Done\. Your appointment with Dr\. Anil Mehta is now on Wednesday 25 November at 11 AM\./);
    // Moved in place: the same ID, at the new time.
    expect(await statusOf(id)).toBe('confirmed');
    expect((await s.store.collection('appointments').findOne({ appointmentId: id }))!.start).toBe(
      '2026-11-25T05:30:00.000Z',
    );
  });

  test(`guessing IDs: after ${MAX_FAILED_ATTEMPTS} failed attempts in a call every answer is the transfer, even the right one`, async () => {
    const id = await ravisAppointment();
    const answers: string[] = [];
    // 5,000 guesses took 1.5 s before; now the call is shut after the third.
    for (let i = 0; i < 40; i++) {
      const guess = `A${String(i).padStart(8, '3')}`.replace(/[0125]/g, '4');
      answers.push(
        await call('cancel_appointment', {
          appointmentId: guess,
          patientName: 'Ravi Kumar',
          appointmentDate: '24 November',
        }),
      );
    }
    expect(answers.slice(0, MAX_FAILED_ATTEMPTS - 1).every((a) => a.startsWith("Those details don't match"))).toBe(
      true,
    );
    expect(answers.slice(MAX_FAILED_ATTEMPTS - 1).every((a) => a === TRANSFER_ANSWER)).toBe(true);
    expect(
      await call('cancel_appointment', {
        appointmentId: id,
        patientName: 'Ravi Kumar',
        appointmentDate: '24 November',
      }),
    ).toBe(TRANSFER_ANSWER);
    // The caller's own number is no way around a shut call either.
    expect(await call('cancel_appointment', { appointmentId: id }, 'call_1', RAVI_NUMBER)).toBe(TRANSFER_ANSWER);
    expect(await statusOf(id)).toBe('confirmed');
    expect((await s.store.collection('access_failures').findOne({ _id: 'call_1' }))!.count).toBe(MAX_FAILED_ATTEMPTS);
  });

  test('a redelivered failed attempt is answered from the reply cache and not counted twice', async () => {
    const args = { appointmentId: 'QQQQQQQQQ', patientName: 'Ravi Kumar', appointmentDate: '24 November' };
    for (let i = 0; i < 5; i++) await call('cancel_appointment', args, 'call_1', undefined, 'tc_same');
    expect((await s.store.collection('access_failures').findOne({ _id: 'call_1' }))!.count).toBe(1);
  });

  test(`new appointment IDs carry at least 40 bits in the spoken alphabet`, async () => {
    const id = await ravisAppointment();
    expect(id).toMatch(new RegExp(`^[ACDEFGHJKMNPQRTUVWXY34679]{${APPOINTMENT_ID_LENGTH}}$`));
    expect(APPOINTMENT_ID_LENGTH * Math.log2(25)).toBeGreaterThanOrEqual(40);
  });
});

describe('the access rule for AC customers', () => {
  test("reading another customer's purchase by the sequential ID needs the name on the account", async () => {
    // Asha's number asks about Rohit's account (CUST-1002).
    const ask = await call('get_ac_purchase_details', { customerId: 'CUST-1002' });
    expect(ask).not.toMatch(/Rohit|CA-20W|24,500/);
    const guesses = [];
    for (const customerName of ['Rohit', 'R Nair', 'Rohit Naik'])
      guesses.push(await call('get_ac_purchase_details', { customerId: 'CUST-1002', customerName }));
    expect(guesses.join(' ')).not.toMatch(/CA-20W|24,500|Koramangala/);
    expect(guesses.at(-1)).toBe(TRANSFER_ANSWER);
    expect(await call('get_ac_purchase_details', { customerId: 'CUST-1002', customerName: 'Rohit Nair' })).toBe(
      TRANSFER_ANSWER,
    );
    // A new call with the right name reads it; Rohit's own number needs no name.
    expect(
      await call('get_ac_purchase_details', { customerId: 'CUST-1002', customerName: 'Rohit Nair' }, 'call_2'),
    ).toMatch(/^You bought a CoolAir Window 1 ton, serial CA-20W-2022-0932/);
    expect(await call('get_warranty_info', { customerId: 'CUST-1002' }, 'call_3', '+919876543210')).toMatch(
      /^Your CoolAir Window 1 ton, serial CA-20W-2022-0932, was under full warranty/,
    );
  });

  test('a technician visit for another account is not booked without the name', async () => {
    const args = { customerId: 'CUST-1002', date: 'Wednesday 25 November in the morning', issue: 'noise' };
    expect(await call('schedule_ac_service', args)).toMatch(/^To protect our customers' privacy/);
    expect(await s.store.collection('ac_service_visits').count({ customerId: 'CUST-1002' })).toBe(0);
  });
});

describe('issue 25 finding 8: the failure counter belongs to one conversation', () => {
  const guess = (i: number) => `A${String(i).padStart(8, '3')}`.replace(/[0125]/g, '4');
  const attempt = async (i: number, conversation: Record<string, unknown>) => {
    const message = toolCalls('x', [
      'cancel_appointment',
      { appointmentId: guess(i), patientName: 'Ravi Kumar', appointmentDate: '24 November' },
    ]) as Record<string, unknown>;
    delete message.call;
    Object.assign(message, conversation);
    return only((await s.send(message)).body).result!;
  };

  test('messages without a call id never share one counter (nobody is transferred for another)', async () => {
    await ravisAppointment();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await attempt(i, {}));
    expect(answers.every((a) => a.startsWith("Those details don't match"))).toBe(true);
  });

  test("a chat's tool calls count together, as a call's do: the third failure transfers", async () => {
    await ravisAppointment();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await attempt(i, { chat: { id: 'chat_1' } }));
    expect(answers.at(-1)).toBe(TRANSFER_ANSWER);
    // Another chat is not affected.
    expect(await attempt(9, { chat: { id: 'chat_2' } })).toMatch(/^Those details don't match/);
  });
});
