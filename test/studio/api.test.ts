import http from 'node:http';
import { describe, expect, test } from 'vitest';
import { SESSION_IDLE_MS } from '../../src/studio/auth.js';
import { commandEnv } from '../support/command-env.js';
import { useMongo } from '../support/mongo.js';
import { STUDIO_USERS, studioEnv } from '../support/studio.js';

// The studio's JSON API in process, on both backends, with the pinned clock (Sat 21 Nov 2026,
// 10:00 in Asia/Kolkata): what the browser tests (test/e2e/studio.test.ts) do not reach.
const mongo = useMongo();
const { ctx: env, run } = commandEnv();
const { DESK, ADMIN } = STUDIO_USERS;
const startStudio = studioEnv(env, run);

const backends = [
  { name: 'the embedded store', env: () => ({}) },
  { name: 'MongoDB', env: () => ({ MONGODB_URI: mongo.uri(), MONGODB_DB: `studio_${process.pid}_${Date.now()}` }) },
];

describe.each(backends)('on $name', (backend) => {
  test('the front desk books, moves and cancels through the commands’ rules, audited as the signed-in user', async () => {
    const b = backend.env();
    const { signIn } = await startStudio(b);
    const desk = await signIn(DESK);
    const booked = await desk('POST', '/api/appointments', {
      doctor: 'dr-mehta',
      at: '2026-11-23 10:00',
      name: 'Ravi Kumar',
      phone: '98123 45678',
      email: 'ravi@example.com',
      reason: 'fever',
    });
    expect(booked.status, JSON.stringify(booked.body)).toBe(200);
    const id = booked.body.data.appointment.appointmentId as string;
    expect(booked.body.data.appointment).toMatchObject({ doctorId: 'dr-mehta', start: '2026-11-23T04:30:00.000Z' });
    // The same slot again: refused with the nearest free times, as `appointments book` is (exit 1 → 422).
    const again = await desk('POST', '/api/appointments', {
      doctor: 'dr-mehta',
      at: '2026-11-23 10:00',
      name: 'Meena',
      phone: '+919876543210',
      email: 'meena@example.com',
      reason: 'cough',
    });
    expect(again.status).toBe(422);
    expect(again.body.error).toMatchObject({ message: 'Mon 23 Nov 2026 10:00 is taken.' });
    expect(again.body.error.hint).toMatch(/^Nearest free: Mon 23 Nov 09:\d\d \(Dr\. Anil Mehta\)/);
    // A bad field is a 400 naming the field without the command line's dashes.
    const bad = await desk('POST', '/api/appointments', {
      doctor: 'dr-mehta',
      at: '2026-11-23 10:30',
      name: 'X',
      phone: '12',
      email: 'x@example.com',
      reason: 'r',
    });
    expect([bad.status, bad.body.error.message]).toEqual([400, 'Invalid phone "12".']);

    const week = await desk('GET', '/api/appointments?from=2026-11-23&to=2026-11-29');
    expect(week.body.data.rows).toEqual([
      expect.objectContaining({ appointmentId: id, patientName: 'Ravi Kumar', status: 'confirmed' }),
    ]);
    expect(JSON.stringify(week.body)).not.toContain('ravi@example.com');
    // The phone, email and reason open for an admin with their password again, never for the desk.
    expect((await desk('POST', `/api/appointments/${id}/decrypt`, { password: DESK.password })).status).toBe(403);
    const admin = await signIn(ADMIN);
    expect((await admin('POST', `/api/appointments/${id}/decrypt`, { password: 'wrong' })).status).toBe(403);
    expect(
      (await admin('POST', `/api/appointments/${id}/decrypt`, { password: ADMIN.password })).body.data.appointment,
    ).toMatchObject({
      patientName: 'Ravi Kumar',
      phone: '+919812345678',
      email: 'ravi@example.com',
      reason: 'fever',
    });
    const moved = await desk('POST', `/api/appointments/${id}/move`, { at: '2026-11-23 11:30' });
    expect(moved.body.data.appointment.start).toBe('2026-11-23T06:00:00.000Z');
    const cancelled = await desk('POST', `/api/appointments/${id}/cancel`, { reason: 'asked' });
    expect(cancelled.body.data.appointment.status).toBe('cancelled');
    expect((await desk('POST', `/api/appointments/${id}/cancel`, { reason: 'again' })).body.error.message).toBe(
      `Appointment ${id} is cancelled.`,
    );

    const listed = await run(['appointments', 'list', '--date', '2026-11-23', '--status', 'all', '--json'], { env: b });
    expect((JSON.parse(listed.out) as Array<{ appointmentId: string; status: string }>).map((a) => a.status)).toEqual([
      'cancelled',
    ]);
    const audit = JSON.parse((await run(['audit', '--json'], { env: b })).out) as Array<{
      user: string;
      action: string;
    }>;
    expect(audit.filter((e) => e.user === DESK.username).map((e) => e.action)).toEqual(
      expect.arrayContaining([
        'studio.sign-in',
        'decrypt',
        'appointments.book',
        'appointments.reschedule',
        'appointments.cancel',
      ]),
    );
  });

  test('doctors’ hours and leave, and the outbox with retry', async () => {
    const b = backend.env();
    const { signIn } = await startStudio(b);
    const desk = await signIn(DESK);
    const hours = await desk('PUT', '/api/doctors/dr-mehta/hours', { hours: 'mon-fri 10:00-14:00' });
    expect(hours.status, JSON.stringify(hours.body)).toBe(200);
    const doctors = (await desk('GET', '/api/doctors')).body.data.doctors as Array<{ _id: string; hours: string }>;
    expect(doctors.find((d) => d._id === 'dr-mehta')!.hours).toBe('mon-fri 10:00-14:00');
    expect((await desk('PUT', '/api/doctors/dr-mehta/hours', { hours: 'mon 14:00-09:00' })).body.error.message).toBe(
      'The range 14:00-09:00 in "mon 14:00-09:00" ends before it starts.',
    );
    const leave = await desk('POST', '/api/doctors/dr-mehta/leave', {
      from: '2026-12-24',
      to: '2026-12-26',
      note: 'away',
    });
    expect(leave.body.data.doctor.leave).toEqual([{ from: '2026-12-24', to: '2026-12-26', note: 'away' }]);
    expect((await desk('DELETE', '/api/doctors/dr-mehta/leave/2026-12-24')).body.data.doctor.leave).toEqual([]);

    await desk('POST', '/api/appointments', {
      doctor: 'dr-mehta',
      at: '2026-11-23 10:00',
      name: 'Ravi Kumar',
      phone: '+919812345678',
      email: 'ravi@example.com',
      reason: 'fever',
    });
    const outbox = (await desk('GET', '/api/outbox')).body.data as Array<{ event: string; status: string }>;
    expect(outbox.map((e) => `${e.event}:${e.status}`).sort()).toEqual([
      'appointment.booked:pending',
      'appointment.reminder:pending',
    ]);
    expect((await desk('GET', '/api/outbox?status=nope')).status).toBe(400);
    expect((await desk('POST', '/api/outbox/retry', {})).body.data).toEqual({ retried: 0 });
  });
});

test('roles: a receptionist may not change the assistant or open a call; the assistant takes text, not files', async () => {
  const { signIn } = await startStudio({});
  const desk = await signIn(DESK);
  expect((await desk('PUT', '/api/assistant', { 'voice.voiceId': 'x' })).status).toBe(403);
  expect((await desk('POST', '/api/assistant/publish', {})).status).toBe(403);
  expect((await desk('POST', '/api/calls/c1/decrypt', { password: DESK.password })).status).toBe(403);
  // Malformed input gets the API's own error shape, and the studio goes on serving.
  const malformed = await desk('POST', '/api/appointments', '{"doctor": ');
  expect([malformed.status, malformed.body.error.code]).toEqual([400, 'usage']);
  expect(malformed.body.error.message).toMatch(/^The request was refused: /);
  expect((await desk('GET', '/api/nope')).body.error).toEqual({
    code: 'not-found',
    message: 'No such API route: GET /api/nope.',
  });
  expect((await desk('GET', '/api/calls/no_such_call')).status).toBe(422);
  expect((await desk('GET', '/api/me')).status).toBe(200);
  const admin = await signIn(ADMIN);
  // A change `config set` calls risky needs a second press ("Save anyway"), as it needs --force there.
  const risky = await admin('PUT', '/api/assistant', { systemPrompt: '@/etc/passwd' });
  expect([risky.status, risky.body.error.confirm]).toEqual([400, true]);
  expect(risky.body.error.message).toMatch(/^The new system prompt replaces the whole current one/);
  expect((await admin('PUT', '/api/assistant?force=1', { systemPrompt: '@/etc/passwd' })).status).toBe(200);
  // The page's text is the value: `config set`'s @file form does not read files from the studio.
  const values = (await admin('GET', '/api/assistant')).body.data.values as Record<string, string>;
  expect(values.systemPrompt).toBe('@/etc/passwd');
  expect((await admin('PUT', '/api/assistant', { 'clinic.timeZone': 'UTC' })).status).toBe(400);
  expect((await admin('PUT', '/api/assistant', { 'voice.provider': 'nope' })).body.error.message).toMatch(/nope/);
});

test('the metrics are the figures of `receptionist metrics`', async () => {
  const { signIn } = await startStudio({});
  const admin = await signIn(ADMIN);
  const figures = (await admin('GET', '/api/metrics?since=7d')).body.data;
  for (const by of ['day', 'endedReason', 'assistant'] as const) {
    const cli = JSON.parse((await run(['metrics', '--by', by, '--since', '7d', '--json'])).out) as { rows: unknown[] };
    expect(figures[by]).toEqual(cli.rows);
  }
});

test('a session ends after 30 idle minutes; the Host must be this server; sign-out ends it at once', async () => {
  const { base, signIn, clock } = await startStudio({});
  const desk = await signIn(DESK);
  expect((await desk('GET', '/api/me')).status).toBe(200);
  clock.now = new Date(clock.now.getTime() + SESSION_IDLE_MS + 1);
  expect((await desk('GET', '/api/me')).status).toBe(401);
  const again = await signIn(DESK);
  expect((await again('DELETE', '/api/session')).status).toBe(204);
  expect((await again('GET', '/api/me')).status).toBe(401);
  // DNS rebinding: a page on another name that resolves here is refused before anything else.
  const status = await new Promise<number>((resolve, reject) => {
    const url = new URL(`${base}/api/me`);
    http
      .get(
        { host: url.hostname, port: url.port, path: url.pathname, headers: { host: `evil.example:${url.port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      )
      .on('error', reject);
  });
  expect(status).toBe(403);
});

test('a wrong password signs nobody in, is audited, and repeated failures slow down', async () => {
  const { base, gate, deps } = await startStudio({});
  const attempt = (headers: Record<string, string>) =>
    fetch(`${base}/api/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ username: DESK.username, password: 'not the password' }),
    });
  // Without the gate cookie (the link was never opened here) the password is not even tried.
  const ungated = await attempt({});
  expect(ungated.status).toBe(401);
  expect(((await ungated.json()) as { error: { message: string } }).error.message).toMatch(/link/);
  for (let i = 0; i < 6; i++) {
    const r = await attempt({ cookie: gate });
    expect([r.status, ((await r.json()) as { error: { message: string } }).error.message]).toEqual([
      401,
      'Wrong username or password.',
    ]);
  }
  expect(deps.slept).toEqual([1000]);
  const audit = JSON.parse((await run(['audit', '--json'])).out) as Array<{
    user: string;
    action: string;
    details: { command?: string };
  }>;
  expect(audit.filter((e) => e.action === 'unlock.failed' && e.details.command === 'studio')).toHaveLength(6);
});
