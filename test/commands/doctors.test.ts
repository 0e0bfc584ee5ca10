import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { formatWeeklyHours, parseWeeklyHours } from '../../src/domain/doctors.js';
import { startTestServer, toolCalls, only } from '../support/app.js';
import { readDotenv } from '../../src/deps.js';
import { parseBlindIndexKey } from '../../src/crypto/blind-index.js';

const PW = 'doctors-admin-passphrase\n';
const { ctx, run } = commandEnv();
/** The blind-index key the first `users add` wrote to the test's .env: serve and the commands share it. */
const cliBlindKey = () => parseBlindIndexKey(readDotenv(ctx.tmp.dir).values.RECEPTIONIST_BLIND_INDEX_KEY!)!;

async function seeded() {
  expect((await run(['seed'])).code).toBe(0);
  expect((await run(['users', 'add', 'admin', '--password-stdin'], { stdin: PW })).code).toBe(0);
}

/** The webhook app over the same store the commands change (the clock: Saturday 21 November 2026, 10:00 IST). */
async function voice() {
  const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
  const s = await startTestServer({ store, dir: path.join(ctx.tmp.dir, 'spool'), blindKey: cliBlindKey() });
  let n = 0;
  const say = async (name: string, args: Record<string, unknown>) =>
    String(only((await s.send(toolCalls(`call_${++n}`, [name, args, `tc_${n}`]))).body).result);
  const appointments = () => store.collection('appointments').find({ status: 'confirmed' });
  return { s, store, say, appointments };
}

const booking = (doctor: string, date: string) => ({
  name: 'Asha Verma',
  email: 'asha@example.com',
  phone: '+919812345678',
  reason: 'check-up',
  doctor,
  date,
});

describe('weekly hours notation', () => {
  test('reads day ranges, lists and several ranges; writes them back compactly', () => {
    const h = parseWeeklyHours('mon-wed 9-13:00,14:00-17:00; fri,sat 10:00-12:30');
    expect(h).toEqual({
      mon: [
        ['09:00', '13:00'],
        ['14:00', '17:00'],
      ],
      tue: [
        ['09:00', '13:00'],
        ['14:00', '17:00'],
      ],
      wed: [
        ['09:00', '13:00'],
        ['14:00', '17:00'],
      ],
      fri: [['10:00', '12:30']],
      sat: [['10:00', '12:30']],
    });
    expect(formatWeeklyHours(h)).toBe('mon-wed 09:00-13:00,14:00-17:00; fri-sat 10:00-12:30');
  });

  test.each([
    ['mon 13:00-10:00', 'The range 13:00-10:00 in "mon 13:00-10:00" ends before it starts.'],
    ['mon 09:00-12:00,11:00-13:00', 'On mon, 09:00-12:00 and 11:00-13:00 overlap.'],
    [
      'funday 09:00-12:00',
      'Cannot read the days "funday" in "funday 09:00-12:00": use mon, tue, … sun, or a range mon-fri.',
    ],
    ['fri-mon 09:00-12:00', 'The days "fri-mon" in "fri-mon 09:00-12:00" run backwards.'],
    ['mon 25:00-26:00', 'Cannot read the time range "25:00-26:00" in "mon 25:00-26:00": use HH:MM-HH:MM.'],
    ['09:00-12:00', 'Cannot read "09:00-12:00": give days then times, e.g. "mon-fri 09:00-13:00".'],
  ])('refuses %s', (spec, message) => {
    expect(() => parseWeeklyHours(spec)).toThrow(message);
  });
});

describe('receptionist doctors', () => {
  test('add, list, show, update: the voice tools see each change at once', async () => {
    await seeded();
    const { s, say } = await voice();
    try {
      const added = await run([
        '--json',
        'doctors',
        'add',
        '--name',
        'Dr. Meera Shah',
        '--specialty',
        'dermatology',
        '--hours',
        'mon 10:00-12:00',
        '--slot-minutes',
        '20',
      ]);
      expect(added.code).toBe(0);
      expect(JSON.parse(added.out)).toMatchObject({
        action: 'doctors.add',
        doctor: { _id: 'dr-shah', name: 'Dr. Meera Shah', slotMinutes: 20, weeklyHours: { mon: [['10:00', '12:00']] } },
      });
      expect(await say('list_doctors', { specialty: 'dermatologist' })).toContain(
        'Dr. Meera Shah, dermatology, on Monday',
      );
      // Her own slot length: 10:20 is a start, 10:30 is not.
      expect(await say('book_appointment', booking('Shah', 'Monday 23 November at 10:20am'))).toMatch(
        /^You're booked with Dr\. Meera Shah on Monday 23 November at 10:20 AM\./,
      );
      expect(await say('book_appointment', booking('Shah', 'Monday 23 November at 10:30am'))).toMatch(
        /^Appointments start every 20 minutes, and 10:30 AM is not one of those times\./,
      );

      const list = await run(['doctors', 'list']);
      expect(list.out).toContain('dr-shah\tDr. Meera Shah\tdermatology\tmon 10:00-12:00\t20 min\t');
      const shown = await run(['doctors', 'show', 'shah']);
      expect(shown.out).toContain('Coming    1 appointment(s)');

      // New hours leave the booked 10:20 outside: kept, and said.
      const updated = await run([
        'doctors',
        'update',
        'dr-shah',
        '--hours',
        'tue 10:00-12:00',
        '--slot-minutes',
        'clinic',
      ]);
      expect(updated.code).toBe(0);
      expect(updated.err).toMatch(
        /^Warning: 1 coming appointment\(s\) now fall outside their hours and stay booked: \w{9} \(Mon 23 Nov 10:20, Dr\. Meera Shah\)/m,
      );
      expect(await say('list_doctors', { doctor: 'Shah' })).toContain('on Tuesday');
    } finally {
      await s.close();
    }
  });

  test('leave and holidays: callers hear the doctor is away or the clinic closed, and the nearest free times', async () => {
    await seeded();
    const { s, say } = await voice();
    try {
      const leave = await run(['doctors', 'leave', 'add', 'rao', '2026-11-23..2026-11-25', '--note', 'conference']);
      expect(leave.code).toBe(0);
      expect(leave.err).toContain('Added leave for Dr. Priya Rao. Their leave: 2026-11-23..2026-11-25 (conference).');
      expect(await say('book_appointment', booking('Rao', 'Monday 23 November at 10am'))).toMatch(
        /^Dr\. Priya Rao is away on Monday 23 November\. The nearest free times are .*Friday 27 November/,
      );
      expect((await run(['doctors', 'holidays', 'add', '2026-11-27', '--name', "Founders' Day"])).code).toBe(0);
      expect(await say('book_appointment', booking('Rao', 'Friday 27 November at 3pm'))).toMatch(
        /^The clinic is closed on Friday 27 November for Founders' Day\. The nearest free times are .*Monday 30 November/,
      );
      // Another doctor on the holiday too.
      expect(await say('book_appointment', booking('Mehta', 'Friday 27 November at 10am'))).toMatch(
        /^The clinic is closed on Friday 27 November for Founders' Day\./,
      );
      expect((await run(['doctors', 'leave', 'remove', 'rao', '2026-11-23'])).code).toBe(0);
      expect(await say('book_appointment', booking('Rao', 'Monday 23 November at 10am'))).toMatch(/^You're booked/);
      // Leave over a booked day: kept, and said.
      const over = await run(['doctors', 'leave', 'add', 'dr-rao', '2026-11-23']);
      expect(over.err).toMatch(
        /^Warning: 1 appointment\(s\) are booked on those days and stay booked: \w{9} \(Mon 23 Nov 10:00, Dr\. Priya Rao\)/m,
      );
      expect(JSON.parse((await run(['--json', 'doctors', 'holidays', 'list'])).out)).toEqual([
        { from: '2026-11-27', to: '2026-11-27', name: "Founders' Day" },
      ]);
      expect((await run(['doctors', 'holidays', 'remove', '2026-11-27'])).code).toBe(0);
    } finally {
      await s.close();
    }
  });

  test('remove: refused with appointments coming; --reassign all or none; --cancel cancels them', async () => {
    await seeded();
    const { s, store, say, appointments } = await voice();
    try {
      expect(await say('book_appointment', booking('Rao', 'Monday 23 November at 10am'))).toMatch(/^You're booked/);
      expect(
        await say('book_appointment', { ...booking('Rao', 'Wednesday 25 November at 11am'), phone: '+919812345679' }),
      ).toMatch(/^You're booked/);
      const [monday, wednesday] = (await appointments()).sort((a, b) => a.startMs - b.startMs);

      const refused = await run(['doctors', 'remove', 'rao']);
      expect(refused.code).toBe(1);
      expect(refused.err).toContain(
        `Error: Dr. Priya Rao has 2 appointment(s) coming: ${monday!.appointmentId} (Mon 23 Nov 10:00, Dr. Priya Rao)`,
      );
      expect(refused.err).toContain('Pass --reassign <doctor>');

      // Dr. Fernandes works Monday afternoons only: she cannot take 10:00, so nothing changes.
      const partial = await run(['doctors', 'remove', 'rao', '--reassign', 'fernandes']);
      expect(partial.code).toBe(1);
      expect(partial.err).toContain(
        "Dr. Leena Fernandes cannot take 2 of Dr. Priya Rao's 2 coming appointment(s), so nothing was changed",
      );
      expect((await appointments()).map((a) => a.doctorId)).toEqual(['dr-rao', 'dr-rao']);
      expect(await store.collection('doctors').findOne({ _id: 'dr-rao' })).not.toBeNull();

      const moved = await run(['--json', 'doctors', 'remove', 'rao', '--reassign', 'dr-mehta']);
      expect(moved.code).toBe(0);
      expect(JSON.parse(moved.out)).toMatchObject({
        action: 'doctors.remove',
        reassigned: [monday!.appointmentId, wednesday!.appointmentId],
        cancelled: [],
        to: 'dr-mehta',
      });
      const after = await appointments();
      expect(after.map((a) => [a.appointmentId, a.doctorId, a.doctorName, a.startMs]).sort()).toEqual(
        [
          [monday!.appointmentId, 'dr-mehta', 'Dr. Anil Mehta', monday!.startMs],
          [wednesday!.appointmentId, 'dr-mehta', 'Dr. Anil Mehta', wednesday!.startMs],
        ].sort(),
      );
      expect(await say('list_doctors', { doctor: 'Rao' })).toMatch(/^We don't have a doctor called Rao\./);
      // Each patient is told of the new doctor (same time): one notification per appointment, in the outbox.
      const told = await store.collection('outbox').find({ event: 'appointment.rescheduled' });
      expect(told.map((e) => e.subject).sort()).toEqual([monday!.appointmentId, wednesday!.appointmentId].sort());
      // The slot moved with it: Dr. Mehta's 10:00 on Monday is taken now.
      expect(
        await say('book_appointment', { ...booking('Mehta', 'Monday 23 November at 10am'), phone: '+919812345670' }),
      ).toMatch(/is already taken/);

      const gone = await run(['--json', 'doctors', 'remove', 'mehta', '--cancel']);
      expect(gone.code).toBe(0);
      expect(JSON.parse(gone.out).cancelled.sort()).toEqual([monday!.appointmentId, wednesday!.appointmentId].sort());
      const cancelledNotes = await store.collection('outbox').find({ event: 'appointment.cancelled' });
      expect(cancelledNotes.map((e) => e.subject).sort()).toEqual(
        [monday!.appointmentId, wednesday!.appointmentId].sort(),
      );
      expect(await appointments()).toEqual([]);
      expect((await run(['doctors', 'remove', 'khan', '--reassign', 'khan'])).code).toBe(2);
    } finally {
      await s.close();
    }
  });

  test('bad input gets exit 2 with the fix; an unknown or ambiguous doctor names the candidates', async () => {
    await seeded();
    const bad = await run(['doctors', 'add', '--name', 'Dr. X', '--specialty', 'y', '--hours', 'mon 9-5']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('Error: The range 09:00-05:00 in "mon 9-5" ends before it starts.');
    const slot = await run([
      'doctors',
      'add',
      '--name',
      'Dr. X',
      '--specialty',
      'y',
      '--hours',
      'mon 9-12',
      '--slot-minutes',
      '3',
    ]);
    expect(slot.code).toBe(2);
    expect(slot.err).toContain('Invalid --slot-minutes "3".');
    const unknown = await run(['doctors', 'show', 'house']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('Error: No doctor "house".\n  Doctors: dr-mehta (Dr. Anil Mehta)');
    const ambiguous = await run(['doctors', 'leave', 'add', 'dr', '2026-12-01']);
    expect(ambiguous.code).toBe(2);
    expect(ambiguous.err).toContain('"dr" matches 5 doctors.');
    const days = await run(['doctors', 'leave', 'add', 'rao', '2026-12-05..2026-12-01']);
    expect(days.code).toBe(2);
    expect(days.err).toContain('The days 2026-12-05..2026-12-01 run backwards.');
    expect((await run(['doctors', 'holidays', 'add', '24/12/2026', '--name', 'x'])).code).toBe(2);
    const dup = await run(['doctors', 'add', '--name', 'Dr. Priya Rao', '--specialty', 'y', '--hours', 'mon 9-12']);
    expect(dup.code).toBe(1);
    expect((await run(['doctors', 'update', 'rao'])).err).toContain('Nothing to change.');
  });
});
