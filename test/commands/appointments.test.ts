import path from 'node:path';
import { expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { patientFlags } from '../support/cli.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { startTestServer, toolCalls, only } from '../support/app.js';
import { readDotenv } from '../../src/deps.js';
import { parseBlindIndexKey } from '../../src/crypto/blind-index.js';

// The clock of in-process commands: Saturday 21 November 2026, 10:00 in Asia/Kolkata.
const ADMIN_PW = 'desk-admin-passphrase';
const RECEPTION_PW = 'desk-receptionist-passphrase';
const { ctx, run, seedWithAdmin } = commandEnv();
/** The blind-index key the first `users add` wrote to the test's .env: serve and the commands share it. */
const cliBlindKey = () => parseBlindIndexKey(readDotenv(ctx.tmp.dir).values.RECEPTIONIST_BLIND_INDEX_KEY!)!;

async function seeded() {
  await seedWithAdmin(ADMIN_PW);
  expect(
    (
      await run(['users', 'add', 'meena', '--role', 'receptionist', '--username', 'admin', '--password-stdin'], {
        stdin: `${ADMIN_PW}\n${RECEPTION_PW}\n`,
      })
    ).code,
  ).toBe(0);
}

const patient = patientFlags;
const as = (user: string, pw: string) => ({ env: { RECEPTIONIST_USERNAME: user, RECEPTIONIST_PASSWORD: pw } });

test('book, list, show, reschedule and cancel from the desk; names by role; every opening audited', async () => {
  await seeded();
  const booked = await run([
    '--json',
    'appointments',
    'book',
    '--doctor',
    'rao',
    '--at',
    '2026-11-23 10:00',
    ...patient(),
  ]);
  expect(booked.code).toBe(0);
  const { appointment } = JSON.parse(booked.out);
  expect(appointment).toMatchObject({
    doctorId: 'dr-rao',
    doctorName: 'Dr. Priya Rao',
    start: '2026-11-23T04:30:00.000Z',
    status: 'confirmed',
  });
  const id: string = appointment.appointmentId;
  expect(id).toMatch(/^[A-Z0-9]{9}$/);
  // Words work too, read as the phone reads them.
  const words = await run([
    'appointments',
    'book',
    '--specialty',
    'cardiologist',
    '--at',
    'Monday 23 November at 10:30am',
    ...patient('Ravi Kumar', '+919845012345'),
  ]);
  expect(words.code).toBe(0);
  expect(words.out).toMatch(/^Booked \w{9}: Dr\. Priya Rao, Monday 23 November 2026, 10:30 \(Asia\/Kolkata\)\.$/m);

  // Without a password: names sealed. A receptionist: names. An admin: everything, in `show`.
  const sealed = await run(['appointments', 'list', '--date', '2026-11-23']);
  expect(sealed.out).toBe(
    `Mon 2026-11-23 10:00\tDr. Priya Rao\t${id}\tconfirmed\t[sealed]\n` +
      `Mon 2026-11-23 10:30\tDr. Priya Rao\t${words.out.slice(7, 16)}\tconfirmed\t[sealed]\n`,
  );
  const reception = await run(['appointments', 'list', '--date', '2026-11-23', '--decrypt'], as('meena', RECEPTION_PW));
  expect(reception.out).toContain(`${id}\tconfirmed\tAsha Verma\n`);
  const shownToReception = JSON.parse(
    (await run(['--json', 'appointments', 'show', id, '--decrypt'], as('meena', RECEPTION_PW))).out,
  );
  expect(shownToReception).toMatchObject({
    patientName: 'Asha Verma',
    phone: '[sealed]',
    email: '[sealed]',
    reason: '[sealed]',
  });
  expect(JSON.stringify(shownToReception)).not.toContain('asha@example.com');
  const shownToAdmin = JSON.parse(
    (await run(['--json', 'appointments', 'show', id.toLowerCase(), '--decrypt'], as('admin', ADMIN_PW))).out,
  );
  expect(shownToAdmin).toMatchObject({ phone: '+919812345678', email: 'asha@example.com', reason: 'chest pain' });
  const audit = JSON.parse((await run(['--json', 'audit'])).out) as Array<{
    user: string;
    action: string;
    details: Record<string, unknown>;
  }>;
  expect(audit.filter((e) => e.action === 'decrypt').map((e) => [e.user, e.details.role])).toEqual([
    ['admin', 'admin'],
    ['meena', 'receptionist'],
    ['meena', 'receptionist'],
  ]);
  expect(audit.filter((e) => e.action === 'appointments.book')).toHaveLength(2);

  // The same time again: refused with the nearest free times (exit 1).
  const taken = await run([
    'appointments',
    'book',
    '--doctor',
    'rao',
    '--at',
    '2026-11-23 10:00',
    ...patient('Third', '+919845012346'),
  ]);
  expect(taken.code).toBe(1);
  expect(taken.err).toBe(
    'Error: Mon 23 Nov 2026 10:00 is taken.\n  Nearest free: Mon 23 Nov 11:00 (Dr. Priya Rao), Mon 23 Nov 11:30 (Dr. Priya Rao), Mon 23 Nov 12:00 (Dr. Priya Rao).\n',
  );

  // Moved: the same id, the old slot free again.
  const moved = await run(['--json', 'appointments', 'reschedule', id, '--at', '2026-11-25 11:00']);
  expect(moved.code).toBe(0);
  expect(JSON.parse(moved.out).appointment).toMatchObject({ appointmentId: id, start: '2026-11-25T05:30:00.000Z' });
  expect(
    (
      await run([
        'appointments',
        'book',
        '--doctor',
        'rao',
        '--at',
        '2026-11-23 10:00',
        ...patient('Third', '+919845012346'),
      ])
    ).code,
  ).toBe(0);
  const between = await run(['appointments', 'reschedule', id, '--at', '2026-11-25 11:10']);
  expect(between.code).toBe(1);
  expect(between.err).toMatch(/^Error: Wed 25 Nov 2026 11:10 is not an appointment start \(every 30 minutes\)\./);

  const cancelled = await run(['appointments', 'cancel', id, '--reason', 'patient called']);
  expect(cancelled.code).toBe(0);
  expect((await run(['appointments', 'cancel', id, '--reason', 'again'])).err).toContain(
    `Error: Appointment ${id} is cancelled.`,
  );
  const all = JSON.parse(
    (await run(['--json', 'appointments', 'list', '--from', '2026-11-23', '--to', '2026-11-25', '--status', 'all']))
      .out,
  );
  expect(all.map((a: { appointmentId: string; status: string }) => a.status)).toEqual([
    'confirmed',
    'confirmed',
    'cancelled',
  ]);
});

test('one code path with the phone: a caller’s hold blocks the desk, the desk’s booking is taken for the caller, and an idempotency key books once', async () => {
  await seeded();
  const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
  const s = await startTestServer({ store, dir: path.join(ctx.tmp.dir, 'spool'), blindKey: cliBlindKey() });
  try {
    // The caller holds Monday 11:00 with Dr. Rao (check_availability of an exact time).
    const held = only(
      (
        await s.send(
          toolCalls('call_1', ['check_availability', { doctor: 'Rao', date: 'Monday 23 November at 11am' }, 'tc_1']),
        )
      ).body,
    );
    expect(held.result).toMatch(/is free/);
    const desk = await run(['appointments', 'book', '--doctor', 'rao', '--at', '2026-11-23 11:00', ...patient()]);
    expect(desk.code).toBe(1);
    expect(desk.err).toContain('Error: Mon 23 Nov 2026 11:00 is taken.');
    // The desk books 11:30; the phone hears it is taken.
    const args = [
      'appointments',
      'book',
      '--doctor',
      'rao',
      '--at',
      '2026-11-23 11:30',
      '--idempotency-key',
      'walk-in-7',
      ...patient(),
    ];
    const first = await run(['--json', ...args]);
    expect(first.code).toBe(0);
    const again = await run(['--json', ...args]);
    expect(JSON.parse(again.out)).toEqual({ ...JSON.parse(first.out), replayed: true });
    const phone = only(
      (
        await s.send(
          toolCalls('call_2', [
            'book_appointment',
            {
              name: 'B',
              email: 'b@example.com',
              phone: '+919812345670',
              reason: 'x',
              doctor: 'Rao',
              date: 'Monday 23 November at 11:30am',
            },
            'tc_2',
          ]),
        )
      ).body,
    );
    expect(phone.result).toMatch(/^Sorry, Monday 23 November at 11:30 AM is already taken\./);
    // The desk's refusals are the phone's: a leave day, the horizon, the past.
    expect((await run(['doctors', 'leave', 'add', 'rao', '2026-11-27'])).code).toBe(0);
    expect(
      (await run(['appointments', 'book', '--doctor', 'rao', '--at', '2026-11-27 15:00', ...patient()])).err,
    ).toContain('Error: Dr. Priya Rao is away on Fri 27 Nov.');
    expect(
      (await run(['appointments', 'book', '--doctor', 'rao', '--at', '2027-11-22 10:00', ...patient()])).err,
    ).toMatch(/^Error: Mon 22 Nov 2027 10:00 is beyond the booking horizon of \d+ days\./);
    expect(
      (await run(['appointments', 'book', '--doctor', 'rao', '--at', '2026-11-20 10:00', ...patient()])).err,
    ).toContain('Error: Fri 20 Nov 2026 10:00 has passed.');
  } finally {
    await s.close();
  }
});

test('bad input: exit 2 with the fix; an unknown id exits 1', async () => {
  await seeded();
  const cases: Array<[string[], number, string]> = [
    [['book', '--doctor', 'rao', '--at', '2026-11-23 10:00', ...patient('A', '12')], 2, 'Invalid --phone "12".'],
    [['book', '--doctor', 'house', '--at', '2026-11-23 10:00', ...patient()], 2, 'Error: No doctor "house".'],
    [['book', '--at', '2026-11-23 10:00', ...patient()], 2, 'Give --doctor or --specialty.'],
    [['book', '--doctor', 'rao', '--at', 'Monday', ...patient()], 2, '--at "Monday" is a day; give the time too.'],
    [['book', '--doctor', 'rao', '--at', '13/13/2026 4pm', ...patient()], 2, 'Error: --at "13/13/2026 4pm": '],
    [['book', '--doctor', 'rao', '--at', '2026-11-31 10:00', ...patient()], 2, 'Invalid --at "2026-11-31 10:00"'],
    [['list', '--date', 'someday'], 2, 'Invalid --date "someday".'],
    [['list', '--from', '2026-11-25', '--to', '2026-11-23'], 2, '--to 2026-11-23 is before --from 2026-11-25.'],
    [['show', 'AAAAAAAAA'], 1, 'Error: No appointment AAAAAAAAA.'],
    [['cancel', 'AAAAAAAAA', '--reason', 'x'], 1, 'Error: No appointment AAAAAAAAA.'],
  ];
  for (const [argv, code, message] of cases) {
    const r = await run(['appointments', ...argv]);
    expect([argv.join(' '), r.code]).toEqual([argv.join(' '), code]);
    expect(r.err).toContain(message);
  }
});
