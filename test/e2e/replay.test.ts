import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, postSigned, setup, startServe, E2E_ADMIN, type RunningServe } from '../support/cli.js';
import { storeText, tempDir } from '../support/store.js';
import { spokenDayAhead } from '../support/dates.js';

// serve --record keeps a call; trigger --replay sends it to another server, which logs the same call.
let a: ReturnType<typeof tempDir>;
let b: ReturnType<typeof tempDir>;
const running: RunningServe[] = [];
beforeEach(() => {
  a = tempDir('receptionist-e2e-rec-');
  b = tempDir('receptionist-e2e-replay-');
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop('SIGKILL');
  a.cleanup();
  b.cleanup();
});

const post = postSigned;

const CALL = 'call_recorded_1';
const call = { id: CALL, type: 'inboundPhoneCall', assistantId: 'asst_1' };
const customer = { number: '+919812345678' };
const messages = [
  { type: 'status-update', status: 'in-progress', timestamp: 1_700_000_000_000, call, customer },
  {
    type: 'tool-calls',
    call,
    customer,
    toolCallList: [
      {
        id: 'tc_1',
        type: 'function',
        function: {
          name: 'book_appointment',
          arguments: {
            name: 'Asha Rao',
            email: 'asha@example.com',
            phone: '+919812345678',
            date: `${spokenDayAhead(1)} at 11am`,
            reason: 'fever',
            doctor: 'Rao',
          },
        },
      },
    ],
  },
  {
    type: 'status-update',
    status: 'ended',
    endedReason: 'customer-ended-call',
    timestamp: 1_700_000_300_000,
    call,
    customer,
  },
  {
    type: 'end-of-call-report',
    endedReason: 'customer-ended-call',
    startedAt: '2026-11-21T04:25:00.000Z',
    endedAt: '2026-11-21T04:28:30.000Z',
    cost: 0.12,
    call,
    customer,
    artifact: { transcript: 'AI: Hello\nUser: I need a doctor', recordingUrl: 'https://rec/1.wav' },
    analysis: { summary: 'Booked Dr. Rao.', successEvaluation: 'true' },
  },
];

async function decryptedRow(cwd: string) {
  const r = await cli(
    ['logs', '--decrypt', '--json', '--call', CALL, '--username', E2E_ADMIN.username, '--password-stdin'],
    { cwd, input: `${E2E_ADMIN.password}\n` },
  );
  expect(r.stderr).toBe('');
  const parsed = JSON.parse(r.stdout);
  const row = Array.isArray(parsed) ? parsed[0] : parsed;
  // When it was received, and the booking's generated id, differ by nature.
  const { receivedAt: _r, bookings, ...rest } = row;
  return { ...rest, bookings: bookings.map((x: string) => x.replace(/APT-\w+/g, 'APT-…')) };
}

test('a call recorded by serve --record replays into another server as identical call-log rows', async () => {
  await setup(a.dir);
  const rec = await startServe(a.dir, ['--record']);
  running.push(rec);
  for (const m of messages) expect((await post(rec.url, m)).status).toBe(200);
  await rec.stop('SIGTERM');
  running.pop();

  await setup(b.dir);
  const target = await startServe(b.dir);
  running.push(target);
  const replay = await cli(
    ['trigger', '--replay', CALL, '--url', target.url, '--json', '--username', E2E_ADMIN.username, '--password-stdin'],
    { cwd: a.dir, input: `${E2E_ADMIN.password}\n` },
  );
  expect(replay.stderr).toBe('');
  expect(replay.exitCode).toBe(0);
  const sent = replay.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l));
  expect(sent.map((s: { event: string; status: number }) => [s.event, s.status])).toEqual(
    messages.map((m) => [m.type, 200]),
  );
  expect(sent[1].body.results[0].result).toMatch(/^You're booked with Dr\. Priya Rao/);

  const original = await decryptedRow(a.dir);
  expect(original.transcript).toBe('AI: Hello\nUser: I need a doctor');
  expect(await decryptedRow(b.dir)).toEqual(original);
  // The recording is sealed at rest, and the replay was audited.
  const path = await import('node:path');
  expect(storeText(path.join(a.dir, '.receptionist'))).not.toContain('I need a doctor');
  const audit = JSON.parse((await cli(['audit', '--json'], { cwd: a.dir })).stdout);
  expect(
    audit.some(
      (e: { action: string; details: { command?: string } }) =>
        e.action === 'decrypt' && e.details.command === 'trigger --replay',
    ),
  ).toBe(true);

  // Bad input: an unknown call, a wrong password.
  const none = await cli(
    ['trigger', '--replay', 'call_nope', '--url', target.url, '--username', E2E_ADMIN.username, '--password-stdin'],
    { cwd: a.dir, input: `${E2E_ADMIN.password}\n` },
  );
  expect(none.exitCode).toBe(1);
  expect(none.stderr).toContain('Nothing is recorded for call call_nope');
  const wrong = await cli(
    ['trigger', '--replay', CALL, '--url', target.url, '--username', E2E_ADMIN.username, '--password-stdin'],
    { cwd: a.dir, input: 'wrong-password\n' },
  );
  expect(wrong.exitCode).toBe(5);
}, 90_000);
