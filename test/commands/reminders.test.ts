import { expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';

// The clock of in-process commands: Saturday 21 November 2026, 10:00 in Asia/Kolkata.
const ADMIN_PW = 'desk-admin-passphrase';
const { run, seedWithAdmin } = commandEnv();

const patient = ['--name', 'Asha Verma', '--phone', '98123 45678', '--email', 'asha@example.com', '--reason', 'x'];
async function book(at: string): Promise<string> {
  const r = await run(['--json', 'appointments', 'book', '--doctor', 'rao', '--at', at, ...patient]);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out).appointment.appointmentId;
}
const listed = async (...args: string[]) => {
  const r = await run(['--json', 'reminders', 'list', ...args]);
  expect(r.code, r.err).toBe(0);
  return JSON.parse(r.out) as Array<Record<string, any>>;
};

test('reminders list and cancel follow the desk: booked, moved, cancelled; bad input exits 2, nothing to cancel exits 1', async () => {
  await seedWithAdmin(ADMIN_PW);
  const id = await book('2026-11-23 10:00');
  const [r] = await listed();
  expect(r).toMatchObject({
    appointmentId: id,
    status: 'pending',
    dueAt: '2026-11-22T04:30:00.000Z',
    appointmentStart: '2026-11-23T04:30:00.000Z',
    doctorName: 'Dr. Priya Rao',
    channels: ['call', 'email', 'sms'],
    deliveries: {},
  });
  expect(JSON.stringify(r)).not.toMatch(/Asha|9812345678|asha@/);

  expect((await run(['appointments', 'reschedule', id, '--at', '2026-11-25 11:00'])).code).toBe(0);
  expect((await listed('--status', 'all')).map((x) => [x.status, x.dueAt, x.cancelReason])).toEqual([
    ['cancelled', '2026-11-22T04:30:00.000Z', 'moved'],
    ['pending', '2026-11-24T05:30:00.000Z', undefined],
  ]);
  // Plain output, piped: one tab-separated line per reminder, due time in the clinic's zone.
  const plain = await run(['reminders', 'list', '--appointment', id]);
  expect(plain.out.replace(/\n$/, '').split('\n')).toEqual([
    expect.stringMatching(
      new RegExp(
        `^Tue 24 Nov 2026 11:00\\tmsg_\\w+\\t${id}\\tDr. Priya Rao\\tWed 25 Nov 2026 11:00\\tpending\\tcall, email, sms\\t$`,
      ),
    ),
  ]);
  expect((await run(['reminders', 'list', '--from', '2026-11-25'])).err).toContain('No pending reminders.');

  const cancelled = await run(['reminders', 'cancel', id]);
  expect(cancelled.code, cancelled.err).toBe(0);
  expect(cancelled.out).toBe(`Cancelled the reminder of ${id}.\n`);
  // The appointment stays.
  expect(JSON.parse((await run(['--json', 'appointments', 'show', id])).out)).toMatchObject({ status: 'confirmed' });
  const again = await run(['reminders', 'cancel', id]);
  expect(again.code).toBe(1);
  expect(again.err).toContain(`Error: No pending reminder for ${id}.`);
  const bad = await run(['reminders', 'cancel', '!!', id]);
  expect(bad.code).toBe(2);
  expect(bad.err).toContain('Invalid appointment ID "!!"');
  expect((await run(['reminders', 'list', '--from', 'someday'])).code).toBe(2);

  const audit = JSON.parse((await run(['--json', 'audit'])).out) as Array<{ action: string; details: unknown }>;
  expect(audit.filter((e) => e.action === 'reminders.cancel').map((e) => e.details)).toEqual([{ ids: [id] }]);
});

test('clinic.reminderHours and reminderChannels: checked by config set, used by the next booking; 0 makes none', async () => {
  await seedWithAdmin(ADMIN_PW);
  expect((await run(['config', 'set', 'clinic.reminderHours', '48', 'clinic.reminderChannels', 'sms,call'])).code).toBe(
    0,
  );
  await book('2026-11-25 10:00');
  expect(await listed()).toMatchObject([{ dueAt: '2026-11-23T04:30:00.000Z', channels: ['sms', 'call'] }]);

  const tooMany = await run(['config', 'set', 'clinic.reminderHours', '200']);
  expect(tooMany.code).toBe(2);
  expect(tooMany.err).toContain('clinic.reminderHours must be a whole number of hours from 0 (no reminders) to 168.');
  const fax = await run(['config', 'set', 'clinic.reminderChannels', 'email,fax']);
  expect(fax.code).toBe(2);
  expect(fax.err).toContain('clinic.reminderChannels: fax is not a reminder channel.');

  expect((await run(['config', 'set', 'clinic.reminderHours', '0'])).code).toBe(0);
  await book('2026-11-25 11:00');
  expect(await listed()).toHaveLength(1);
});
