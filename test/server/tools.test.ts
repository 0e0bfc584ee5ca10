import { rawCollection } from '../support/store.js';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { startTestServer, toolCalls, only, type TestServer, RAO_BOOKING, RAVI_BOOKING } from '../support/app.js';
import { openField } from '../../src/domain/sealer.js';
import { LOOKUP_TOOLS, toolHandlers } from '../../src/server/tools/index.js';

let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.close();
});

const call = async (name: string, args: unknown, callId = 'call_1') => {
  const res = await s.send(toolCalls(callId, [name, args]));
  expect(res.status).toBe(200);
  return only(res.body);
};

describe('clinic tools', () => {
  test('list_doctors names every doctor with speciality and days', async () => {
    const r = await call('list_doctors', {});
    expect(r.result).toContain('We have 5 doctors');
    expect(r.result).toContain('Dr. Priya Rao, cardiology, on Monday, Wednesday and Friday');
  });

  test('list_doctors filters by a loosely named speciality', async () => {
    expect((await call('list_doctors', { specialty: 'cardiologist' })).result).toBe(
      'We have Dr. Priya Rao, cardiology, on Monday, Wednesday and Friday.',
    );
    expect((await call('list_doctors', { specialty: 'neurology' })).result).toBe(
      "We don't have neurology at this clinic. We have cardiology, dermatology, general medicine, orthopedics and pediatrics.",
    );
  });

  test('check_availability lists free times of a day and holds an exact free time for the call', async () => {
    const day = await call('check_availability', { date: 'Tuesday 24 November', specialty: 'cardiology' });
    expect(day.result).toMatch(/^Nothing is free on Tuesday 24 November\. The nearest free times are/);
    const morning = await call('check_availability', { date: 'Monday 23 November morning', specialty: 'cardiology' });
    expect(morning.result).toBe(
      'On Monday 23 November morning I have 10 AM, 10:30 AM, 11 AM and 11:30 AM. Which time suits you?',
    );
    const exact = await call('check_availability', { date: 'Monday 23 November at 10:30am', doctor: 'Rao' });
    expect(exact.result).toBe(
      "Yes, Dr. Priya Rao is free on Monday 23 November at 10:30 AM. I've held it for you for 5 minutes.",
    );
    // Another call sees it taken while held.
    const other = await call('check_availability', { date: 'Monday 23 November at 10:30am', doctor: 'Rao' }, 'call_2');
    expect(other.result).toMatch(
      /^Monday 23 November at 10:30 AM is already taken\. The nearest free times are .*10 AM.*11 AM/,
    );
  });

  test('one call holds at most 2 slots: a third exact time gives back the oldest hold (no slot hoarding)', async () => {
    const times = ['10am', '10:30am', '11am', '11:30am'].map((t) => `Monday 23 November at ${t}`);
    for (const date of times) {
      // A second between the calls, as on a real line: "oldest" is by when the hold was placed.
      s.clock.now = new Date(s.clock.now.getTime() + 1_000);
      expect((await call('check_availability', { date, doctor: 'Rao' }, 'call_hoard')).result).toMatch(
        /^Yes, .*held it/,
      );
    }
    const held = await s.store
      .collection('appointments')
      .find({ holdOwner: 'call_hoard', activeSlot: { $exists: true } }, { sort: { startMs: 1 } });
    // 11 AM and 11:30 AM in Kolkata: the two placed last.
    expect(held.map((a) => a.start)).toEqual(['2026-11-23T05:30:00.000Z', '2026-11-23T06:00:00.000Z']);
    // The slots given back are free for another caller at once.
    expect((await call('check_availability', { date: times[0], doctor: 'Rao' }, 'call_other')).result).toMatch(
      /^Yes, Dr\. Priya Rao is free on Monday 23 November at 10 AM/,
    );
  });

  test('book_appointment books, speaks the appointment ID, and records the patient', async () => {
    const r = await call('book_appointment', RAVI_BOOKING);
    expect(r.result).toMatch(
      /^You're booked with Dr\. Anil Mehta on Tuesday 24 November at 11 AM\. Your appointment ID is [A-Z0-9] [A-Z0-9] [A-Z0-9], [A-Z0-9] [A-Z0-9] [A-Z0-9], [A-Z0-9] [A-Z0-9] [A-Z0-9]\.$/,
    );
    const id = r.result!.match(/ID is (.*)\.$/)![1]!.replace(/[ ,]/g, '');
    const appt = (await s.store.collection('appointments').findOne({ appointmentId: id }))!;
    expect(appt).toMatchObject({
      status: 'confirmed',
      doctorId: 'dr-mehta',
      start: '2026-11-24T05:30:00.000Z',
      phoneIndex: s.sealer.index('+919845012345'),
      nameIndex: s.sealer.indexName('Ravi Kumar'),
    });
    // Name, email, phone and reason are sealed at rest (the name to the receptionist key); the admin
    // opens them to what the caller said, normalised.
    const { dataKeys } = await s.unlock();
    const openAppt = (f: string) =>
      openField(appt[f] as string, { collection: 'appointments', recordId: id, field: f }, dataKeys);
    expect([appt.patientName, appt.email, appt.phone, appt.reason]).toEqual([
      expect.stringMatching(/^sealed:v1:r\d{8}[0-9a-f]{6}:/),
      expect.stringMatching(/^sealed:v1:k\d{8}[0-9a-f]{6}:/),
      expect.stringMatching(/^sealed:v1:k/),
      expect.stringMatching(/^sealed:v1:k/),
    ]);
    expect([openAppt('patientName'), openAppt('email'), openAppt('phone'), openAppt('reason')]).toEqual([
      'Ravi Kumar',
      'ravi.kumar@example.com',
      '+919845012345',
      'fever',
    ]);
    const customer = (await s.store.collection('customers').findOne({ phoneIndex: s.sealer.index('+919845012345') }))!;
    expect(
      openField(customer.name as string, { collection: 'customers', recordId: customer._id, field: 'name' }, dataKeys),
    ).toBe('Ravi Kumar');
  });

  test('book_appointment confirms the hold the same call placed', async () => {
    await call('check_availability', { date: 'Monday 23 November at 11am', doctor: 'Dr. Rao' }, 'call_h');
    const r = await call(
      'book_appointment',
      {
        name: 'A B',
        email: 'a@b.co',
        phone: '+919812345678',
        date: 'Monday 23 November at 11am',
        reason: 'checkup',
        doctor: 'Rao',
      },
      'call_h',
    );
    expect(r.result).toMatch(/^You're booked with Dr\. Priya Rao on Monday 23 November at 11 AM/);
    const active = await s.store.collection('appointments').find({ activeSlot: { $exists: true } });
    expect(active).toHaveLength(1);
  });

  test('a taken slot, a past time and a time outside hours get the nearest free alternatives', async () => {
    const base = { name: 'A B', email: 'a@b.co', phone: '+919812345678', reason: 'x', doctor: 'Rao' };
    await call('book_appointment', { ...base, date: 'Monday 23 November at 10am' });
    const taken = await call('book_appointment', { ...base, date: 'Monday 23 November at 10am' }, 'call_2');
    expect(taken.result).toMatch(
      /^Sorry, Monday 23 November at 10 AM is already taken\. The nearest free times are Monday 23 November at 10:30 AM/,
    );
    const past = await call('book_appointment', { ...base, date: 'Friday 20 November at 3pm' });
    expect(past.result).toMatch(/^Friday 20 November at 3 PM has already passed\. The nearest free times are/);
    const closed = await call('book_appointment', { ...base, date: 'Monday 23 November at 4pm' });
    expect(closed.result).toMatch(
      /^Dr\. Priya Rao doesn't see patients at 4 PM on Monday 23 November\. The nearest free times are/,
    );
  });

  test('an ambiguous or unreadable date gets a question back, never a booking', async () => {
    const base = { name: 'A B', email: 'a@b.co', phone: '+919812345678', reason: 'x', specialty: 'general medicine' };
    expect((await call('book_appointment', { ...base, date: 'next Monday at 10am' })).result).toBe(
      'Which Monday did you mean: Monday 23 November or Monday 30 November?',
    );
    expect((await call('book_appointment', { ...base, date: 'sometime soon' })).result).toMatch(
      /^Sorry, I didn't catch the date/,
    );
    expect((await call('book_appointment', { ...base, date: 'Tuesday 24 November' })).result).toBe(
      'What time on Tuesday 24 November? The first free times are 9 AM, 9:30 AM and 10 AM.',
    );
    expect((await call('book_appointment', { ...base, date: 'next week' })).result).toBe(
      'Which day next week would suit you?',
    );
    expect(await s.store.collection('appointments').count({})).toBe(0);
  });

  test('bad email or phone is asked again', async () => {
    const base = { name: 'A B', reason: 'x', date: 'Tuesday 24 November at 11am', specialty: 'general medicine' };
    expect(
      (await call('book_appointment', { ...base, email: 'asha at gmail', phone: '+919812345678' })).result,
    ).toMatch(/doesn't look complete/);
    expect((await call('book_appointment', { ...base, email: 'a@b.co', phone: '12345' })).result).toMatch(
      /^That phone number doesn't look right/,
    );
  });

  test('a missing or wrongly typed argument is an error entry naming it', async () => {
    expect(await call('book_appointment', { name: 'A' })).toMatchObject({
      error: expect.stringMatching(/^Missing email/),
    });
    expect(await call('check_availability', { date: ['x'] })).toMatchObject({
      error: 'Argument date must be a string, got array.',
    });
  });

  test('reschedule keeps the appointment id, claims the new slot and frees the old one; cancel frees its slot', async () => {
    const booked = await call('book_appointment', RAO_BOOKING);
    const id = booked.result!.match(/ID is (.*)\.$/)![1]!;
    const moved = await call('reschedule_appointment', { appointmentId: id, date: 'Wednesday 25 November at 3pm' });
    // Issue 13 item 13: the patient keeps the ID they were given (it used to change on every move).
    expect(moved.result).toBe(
      `Done. Your appointment with Dr. Priya Rao is now on Wednesday 25 November at 3 PM. Your appointment ID stays ${id}.`,
    );
    const doc = (await s.store.collection('appointments').find({ callId: 'call_1' }))!;
    expect(doc).toHaveLength(1);
    expect(doc[0]).toMatchObject({
      appointmentId: id.replace(/[ ,]/g, ''),
      status: 'confirmed',
      start: '2026-11-25T09:30:00.000Z',
      movedFrom: ['2026-11-23T04:30:00.000Z'],
    });
    // Its sealed fields are untouched and still open.
    expect(
      openField(
        doc[0]!.email as string,
        { collection: 'appointments', recordId: doc[0]!.rootId as string, field: 'email' },
        (await s.unlock()).dataKeys,
      ),
    ).toBe('a@b.co');
    // A redelivery after the reply is gone hears where it is, and nothing moves twice.
    expect(
      (await call('reschedule_appointment', { appointmentId: id, date: 'Wednesday 25 November at 3pm' })).result,
    ).toBe('Your appointment is already on Wednesday 25 November at 3 PM.');
    // The old slot is free again.
    expect(
      (await call('check_availability', { date: 'Monday 23 November at 10am', doctor: 'Rao' }, 'call_9')).result,
    ).toMatch(/^Yes/);
    expect((await call('cancel_appointment', { appointmentId: id.toLowerCase() })).result).toBe(
      'Your appointment with Dr. Priya Rao on Wednesday 25 November at 3 PM is cancelled.',
    );
    expect((await call('cancel_appointment', { appointmentId: id })).result).toMatch(/is already cancelled\.$/);
    // An unknown ID is not confirmed as unknown: the caller's number matches no appointment of it.
    expect((await call('cancel_appointment', { appointmentId: 'ZZZZZZ' })).result).toBe(
      "To protect patients' privacy I need to check two details first: the patient's full name, and the date of appointment Z Z Z Z Z Z.",
    );
  });
});

describe('blind indexes only for tools that look someone up (issue 28)', () => {
  test('list_doctors, check_availability and ac_troubleshooting stretch no index; book_appointment stretches the numbers it uses', async () => {
    expect([...LOOKUP_TOOLS].filter((t) => !Object.hasOwn(toolHandlers, t))).toEqual([]);
    const prepare = vi.spyOn(s.sealer, 'prepare');
    const index = vi.spyOn(s.sealer, 'index');
    expect((await call('list_doctors', {})).result).toContain('We have 5 doctors');
    expect((await call('check_availability', { date: 'Monday 23 November at 10:30am', doctor: 'Rao' })).result).toMatch(
      /^Yes, Dr\. Priya Rao is free/,
    );
    expect((await call('ac_troubleshooting', { symptom: 'water is dripping from the unit' })).result).toBeTruthy();
    expect(prepare).not.toHaveBeenCalled();
    expect(index).not.toHaveBeenCalled();
    expect((await call('book_appointment', RAVI_BOOKING)).result).toMatch(/^You're booked/);
    expect(prepare).toHaveBeenCalledTimes(1);
    expect(prepare.mock.calls[0]![0].phones).toContain('+919812345678');
  });
});

describe('AC tools', () => {
  test('purchase details by customer ID, however it is said', async () => {
    expect((await call('get_ac_purchase_details', { customerId: 'cust 1001' })).result).toBe(
      'You bought a CoolAir Inverter 1.5 ton split, serial CA-55X-2024-0187, on 12 April 2025 at our Indiranagar store for 42,990 rupees, installed on 14 April 2025.',
    );
  });

  test('an unknown customer ID is answered like a known one until the name on the account is checked', async () => {
    for (const customerId of ['CUST-9999', 'CUST-1002'])
      expect((await call('get_ac_purchase_details', { customerId })).result).toBe(
        `To protect our customers' privacy I need to check one detail first: the full name on the account for customer ID ${customerId}.`,
      );
    expect((await call('get_warranty_info', { customerId: '42', customerName: 'Rohit Nair' })).result).toBe(
      "Those details don't match customer ID CUST-42. Could you check the ID on your invoice and the name on the account, and tell me again?",
    );
  });

  test('warranty: active, expired, and a question when the customer has several units', async () => {
    expect((await call('get_warranty_info', { customerId: 'CUST-1001' })).result).toBe(
      'Your CoolAir Inverter 1.5 ton split, serial CA-55X-2024-0187, is under full warranty until 12 April 2027; the compressor is covered until 12 April 2030.',
    );
    expect((await call('get_warranty_info', { customerId: 'CUST-1002', customerName: 'rohit nair' })).result).toMatch(
      /which has ended; the compressor warranty ended on 3 May 2025\.$/,
    );
    const meera = { customerId: 'CUST-1003', customerName: 'Meera Joshi' };
    expect((await call('get_warranty_info', meera)).result).toMatch(
      /^You have 2 units with us: .* Which one is it about\?$/,
    );
    expect((await call('get_warranty_info', { ...meera, serialNumber: '0051' })).result).toMatch(
      /^Your CoolAir Portable 1 ton/,
    );
  });

  test('schedule_ac_service books a window with a visit ID, and asks for a window when none was said', async () => {
    const r = await call('schedule_ac_service', {
      customerId: 'CUST-1001',
      date: 'Wednesday 25 November in the morning',
      issue: 'not cooling',
    });
    expect(r.result).toMatch(
      /^A technician will visit on Wednesday 25 November in the morning, between 9 AM and 1 PM\. Your visit ID is S V, [A-Z0-9] [A-Z0-9] [A-Z0-9], [A-Z0-9] [A-Z0-9] [A-Z0-9], [A-Z0-9] [A-Z0-9] [A-Z0-9]\. The visit is free because the unit is under warranty\.$/,
    );
    expect(
      await s.store
        .collection('ac_service_visits')
        .count({ customerId: 'CUST-1001', window: 'morning', date: '2026-11-25' }),
    ).toBe(1);
    expect(
      (await call('schedule_ac_service', { customerId: 'CUST-1001', date: 'Wednesday 25 November', issue: 'noise' }))
        .result,
    ).toMatch(/^Would you like the technician on Wednesday 25 November in the morning/);
    expect(
      (
        await call('schedule_ac_service', {
          customerId: 'CUST-1001',
          date: 'Sunday 29 November at 10am',
          issue: 'noise',
        })
      ).result,
    ).toMatch(/^Our technicians don't visit on Sundays/);
  });

  test('troubleshooting steps for a symptom, and an offer of a visit for an unknown one', async () => {
    expect((await call('ac_troubleshooting', { symptom: 'water is dripping from the unit' })).result).toMatch(
      /^Water drips from the indoor unit\. First: Switch the unit off/,
    );
    expect((await call('ac_troubleshooting', { symptom: 'it sings opera' })).result).toMatch(
      /^I don't have steps for "it sings opera"\. I can book a technician visit/,
    );
  });
});

test('issue 13 item 9: a doctor record with malformed hours is left out; the other doctors are still offered', async () => {
  await rawCollection(s.store, 'doctors').insertOne({
    _id: 'dr-broken',
    name: 'Dr. Broken',
    specialty: 'cardiology',
    weeklyHours: { mon: ['10-1'] },
  });
  const r = await call('check_availability', { date: 'Monday 23 November morning', specialty: 'cardiology' });
  expect(r.result).toBe(
    'On Monday 23 November morning I have 10 AM, 10:30 AM, 11 AM and 11:30 AM. Which time suits you?',
  );
  expect((await call('list_doctors', {})).result).not.toContain('Broken');
});

describe('issue 13 item 13: dates and what the caller hears', () => {
  // The clinic is en-IN (day first) in Asia/Kolkata; the clock is Saturday 21 November 2026, 10:00 there.
  test('unreadable dates are asked about, not booked as today', async () => {
    for (const date of ['13/13/2026 4pm', '42/99 at 4pm']) {
      const r = await call('book_appointment', { ...RAVI_BOOKING, date });
      expect(r.result, date).toMatch(
        /^Sorry, "(13\/13\/2026|42\/99)" is not a date I can read\. Which day would you like/,
      );
    }
    expect(await s.store.collection('appointments').count({ status: 'confirmed' })).toBe(0);
  });

  test('"in 10000 years" is past the booking horizon, and says so', async () => {
    expect((await call('check_availability', { date: 'in 10000 years', specialty: 'cardiology' })).result).toBe(
      'I can only book up to 60 days ahead, that is until Wednesday 20 January. Which day before then would suit you?',
    );
  });

  test('"1/12" is 1 December in the clinic\'s locale (day first), not 12 January', async () => {
    expect((await call('check_availability', { date: '1/12 at 10am', doctor: 'Mehta' })).result).toMatch(
      /^Yes, Dr\. Anil Mehta is free on Tuesday 1 December at 10 AM\./,
    );
  });

  test('a stated zone is honoured: "10am PST" is 11:30 PM in Kolkata, not 10 AM', async () => {
    expect(
      (await call('check_availability', { date: 'Monday 23 November at 10am PST', doctor: 'Rao' })).result,
    ).toMatch(/^Dr\. Priya Rao doesn't see patients at 11:30 PM on Monday 23 November\./);
  });

  test('"12:15" between two appointment times offers the nearest ones', async () => {
    expect((await call('check_availability', { date: 'Monday 23 November at 12:15', doctor: 'Rao' })).result).toMatch(
      /^Appointments start every 30 minutes, and 12:15 PM is not one of those times\. The nearest free times are .*12 PM.*12:30 PM/,
    );
  });
});
