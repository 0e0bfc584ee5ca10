import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { DateTime } from 'luxon';
import { cli, patientFlags, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { startFakeVapi, FAKE_PHONE_NUMBER, type FakeVapi } from '../support/fake-vapi.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

// Issue 14 item 4 on the built binary: a desk booking has its reminder, a move moves it, and serve
// places the reminder call through (a stand-in of) Vapi once it is due. Serve runs on the real
// clock, so the test brings the reminder's time forward in the store, as the passing day would.
let tmp: ReturnType<typeof tempDir>;
let vapi: FakeVapi;
let serve: RunningServe | undefined;
beforeEach(async () => {
  tmp = tempDir('receptionist-e2e-reminders-');
  vapi = await startFakeVapi();
});
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
  await vapi.close();
  tmp.cleanup();
});

test('book and move at the desk, then serve rings the patient through Vapi with the reminder', async () => {
  const env = { VAPI_API_KEY: vapi.token, VAPI_BASE_URL: vapi.url };
  const step = async (args: string[]) => {
    const r = await cli(args, { cwd: tmp.dir, env });
    expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  await setup(tmp.dir, env);
  await step([
    'doctors',
    'add',
    '--name',
    'Dr. Every Day',
    '--specialty',
    'family medicine',
    '--hours',
    'mon-sun 09:00-17:00',
  ]);
  await step(['sync', '--server-url', 'https://clinic.example.com', '--phone-number', FAKE_PHONE_NUMBER.number]);
  const assistantId = [...vapi.assistants.keys()][0];

  // Three days ahead, from the real clock, in the clinic's zone.
  const day = DateTime.now().setZone('Asia/Kolkata').plus({ days: 3 }).toISODate()!;
  const booked = await step([
    '--json',
    'appointments',
    'book',
    '--doctor',
    'every day',
    '--at',
    `${day} 10:00`,
    ...patientFlags('Asha Verma', '98123 45678', { reason: 'check-up' }),
  ]);
  const id: string = JSON.parse(booked.stdout).appointment.appointmentId;
  const list = async (...args: string[]) =>
    JSON.parse((await step(['--json', 'reminders', 'list', ...args])).stdout) as Array<Record<string, any>>;
  const start = DateTime.fromISO(`${day}T10:00`, { zone: 'Asia/Kolkata' });
  expect(await list()).toMatchObject([{ appointmentId: id, dueAt: start.minus({ hours: 24 }).toUTC().toISO() }]);

  await step(['appointments', 'reschedule', id, '--at', `${day} 11:00`]);
  const [old, moved] = await list('--status', 'all');
  expect(old).toMatchObject({ status: 'cancelled', cancelReason: 'moved' });
  expect(moved).toMatchObject({
    status: 'pending',
    dueAt: start.plus({ hours: 1 }).minus({ hours: 24 }).toUTC().toISO(),
  });

  // A day and a half later…
  const store = await openSqliteStore({ dir: path.join(tmp.dir, '.receptionist') });
  try {
    await store.collection('outbox').updateOne({ _id: moved!.id }, { $set: { dueAt: Date.now() } });
  } finally {
    await store.close();
  }
  serve = await startServe(tmp.dir, [], env);
  for (let i = 0; i < 100 && !vapi.calls.size; i++) await new Promise((r) => setTimeout(r, 100));
  const calls = [...vapi.calls.values()];
  expect(calls).toHaveLength(1);
  expect(calls[0]).toMatchObject({
    assistantId,
    phoneNumberId: FAKE_PHONE_NUMBER.id,
    customer: { number: '+919812345678', name: 'Asha Verma' },
    assistantOverrides: {
      firstMessage: expect.stringContaining('{{appointmentTime}}'),
      variableValues: {
        name: 'Asha Verma',
        doctor: 'Dr. Every Day',
        appointmentTime: expect.stringMatching(/ at 11 AM$/),
        appointmentId: id,
      },
    },
    schedulePlan: { latestAt: start.plus({ minutes: 45 }).toUTC().toISO() },
  });
  // Queued on Vapi is not heard: the reminder waits for the call's report.
  for (let i = 0; i < 50 && (await list())[0]?.deliveries?.call?.status !== 'placed'; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(await list()).toMatchObject([
    { id: moved!.id, status: 'pending', deliveries: { call: { status: 'placed' } } },
  ]);
  // The patient picks up: Vapi's end-of-call-report reaches serve, signed with the credential sync made.
  const report = await vapi.endCall(calls[0]!.id, 'customer-ended-call', {
    url: serve.url,
    credentialId: [...vapi.credentials.keys()][0],
  });
  expect(report.status).toBe(200);
  for (let i = 0; i < 50 && (await list('--status', 'delivered')).length === 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(await list('--status', 'delivered')).toMatchObject([
    { id: moved!.id, deliveries: { call: { status: 'delivered' } } },
  ]);
});
