import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { beforeEach, expect, test } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { parseBlindIndexKey } from '../../src/crypto/blind-index.js';
import { SealError } from '../../src/crypto/seal.js';
import { openField, sealerForStore } from '../../src/domain/sealer.js';
import { recordCallLog } from '../../src/domain/call-records.js';
import { emptyCallLog } from '../../src/domain/call-log-query.js';
import { unlock } from '../../src/domain/keyring.js';
import { MONDAY_DOCTOR, testAppointmentBook } from '../support/store.js';
import { commandEnv } from '../support/command-env.js';

// Issue 13 item 2: a receptionist role whose password opens names, times and doctors and nothing more.
const { ctx, run } = commandEnv();
const ADMIN_PW = 'asha-admin-passphrase';
const DESK_PW = 'meena-desk-passphrase';
const storeDir = () => path.join(ctx.tmp.dir, 'store');

beforeEach(async () => {
  expect((await run(['seed'])).code).toBe(0);
  expect((await run(['users', 'add', 'asha', '--password-stdin'], { stdin: `${ADMIN_PW}\n` })).code).toBe(0);
  const add = await run(['users', 'add', 'meena', '--role', 'receptionist', '--username', 'asha', '--password-stdin'], {
    stdin: `${ADMIN_PW}\n${DESK_PW}\n`,
  });
  expect(add.code, add.err).toBe(0);
  expect(add.err).toBe('Added receptionist meena.\n');
  // A call in which Ravi booked: what serve writes, sealed.
  const blind = parseBlindIndexKey(
    /RECEPTIONIST_BLIND_INDEX_KEY=(\S+)/.exec(fs.readFileSync(path.join(ctx.tmp.dir, '.env'), 'utf8'))![1]!,
  )!;
  const store = await openSqliteStore({ dir: storeDir() });
  const sealer = await sealerForStore(store, blind);
  const book = testAppointmentBook(store, sealer);
  const patient = {
    patientName: 'Ravi Kumar',
    email: 'ravi@example.com',
    phone: '+919845012345',
    reason: 'chest pain',
    callId: 'c_ravi',
  };
  const held = await book.hold(MONDAY_DOCTOR, DateTime.fromISO('2026-11-23T10:00', { zone: 'Asia/Kolkata' }), patient);
  expect(held.ok && (await book.confirm(held.appointment, patient))).toBe(true);
  await recordCallLog(
    store,
    {
      ...emptyCallLog('c_ravi', '2026-11-21T04:00:00.000Z'),
      endedAt: '2026-11-21T04:03:00.000Z',
      customerNumber: '+919845012345',
      summary: 'Ravi booked a cardiology visit for chest pain.',
      transcript: 'User: my chest hurts',
    },
    sealer,
  );
  await store.close();
});

const decrypt = (username: string, password: string) =>
  run(['logs', '--decrypt', '--call', 'c_ravi', '--json', '--username', username, '--password-stdin'], {
    stdin: `${password}\n`,
  });

test("a receptionist's password opens the patient's name, time and doctor, and never number, summary or transcript", async () => {
  const desk = await decrypt('meena', DESK_PW);
  expect(desk.code, desk.err).toBe(0);
  const row = JSON.parse(desk.out) as Record<string, unknown>;
  expect(row).toMatchObject({
    customerNumber: '[sealed]',
    summary: '[sealed]',
    transcript: '[sealed]',
    bookings: ['Ravi Kumar with Dr. X at 2026-11-23T10:00:00.000+05:30 (confirmed)'],
  });
  expect(desk.out).not.toMatch(/9845012345|chest|ravi@example/);
  // An admin opens everything.
  const admin = await decrypt('asha', ADMIN_PW);
  expect(JSON.parse(admin.out)).toMatchObject({
    customerNumber: '+919845012345',
    summary: 'Ravi booked a cardiology visit for chest pain.',
    bookings: ['Ravi Kumar with Dr. X at 2026-11-23T10:00:00.000+05:30 (confirmed)'],
  });
  // Without a password the name is sealed too.
  expect(JSON.parse((await run(['logs', '--call', 'c_ravi', '--json'])).out).bookings).toEqual([
    '[sealed] with Dr. X at 2026-11-23T10:00:00.000+05:30 (confirmed)',
  ]);
  // Every opening is audited with the role.
  const audit = JSON.parse((await run(['audit', '--json'])).out) as Array<{
    user: string;
    action: string;
    details: { role?: string };
  }>;
  expect(audit.filter((a) => a.action === 'decrypt').map((a) => [a.user, a.details.role])).toEqual([
    ['asha', 'admin'],
    ['meena', 'receptionist'],
  ]);
});

test("the receptionist's keys cannot open what is sealed to the admin key, even by hand; and they add no users", async () => {
  const store = await openSqliteStore({ dir: storeDir(), readOnly: true });
  const meena = await unlock(store, 'meena', DESK_PW);
  const appt = (await store.collection('appointments').findOne({ callId: 'c_ravi' }))!;
  const ctxOf = (field: string) => ({ collection: 'appointments', recordId: appt.rootId as string, field });
  expect(openField(appt.patientName as string, ctxOf('patientName'), meena.dataKeys)).toBe('Ravi Kumar');
  for (const field of ['email', 'phone', 'reason'])
    expect(() => openField(appt[field] as string, ctxOf(field), meena.dataKeys), field).toThrow(SealError);
  expect([...meena.dataKeys.keys()].every((id) => id.startsWith('r'))).toBe(true);
  await store.close();
  const add = await run(['users', 'add', 'mallory', '--username', 'meena', '--password-stdin'], {
    stdin: `${DESK_PW}\nmallory-passphrase\n`,
  });
  expect(add.code).toBe(2);
  expect(add.err).toContain('meena is a receptionist: only an admin can add users.');
  expect(
    JSON.parse((await run(['users', 'list', '--json'])).out).map((u: { username: string; role: string }) => [
      u.username,
      u.role,
    ]),
  ).toEqual([
    ['asha', 'admin'],
    ['meena', 'receptionist'],
  ]);
});

test('a receptionist reading the chat log with her password sees it sealed, not an error; an admin opens it', async () => {
  const blind = parseBlindIndexKey(
    /RECEPTIONIST_BLIND_INDEX_KEY=(\S+)/.exec(fs.readFileSync(path.join(ctx.tmp.dir, '.env'), 'utf8'))![1]!,
  )!;
  const store = await openSqliteStore({ dir: storeDir() });
  const sealer = await sealerForStore(store, blind);
  const at = '2026-11-21T04:00:00.000Z';
  await store.chats.append({
    chatId: 'chat_1',
    assistantId: 'a1',
    at,
    input: sealer.seal('my number is +919845012345', { collection: 'chats', recordId: 'chat_1', field: 'input' }),
    output: sealer.seal('Noted.', { collection: 'chats', recordId: 'chat_1', field: 'output' }),
  });
  await store.close();
  const log = (username: string, password: string) =>
    run(['chat', 'log', '--decrypt', '--json', '--username', username, '--password-stdin'], { stdin: `${password}\n` });
  const desk = await log('meena', DESK_PW);
  expect(desk.code, desk.err).toBe(0);
  expect(JSON.parse(desk.out)).toMatchObject([{ chatId: 'chat_1', input: '[sealed]', output: '[sealed]' }]);
  expect(JSON.parse((await log('asha', ADMIN_PW)).out)).toMatchObject([{ input: 'my number is +919845012345' }]);
});

test('the first user must be an admin', async () => {
  fs.rmSync(storeDir(), { recursive: true });
  fs.rmSync(path.join(ctx.tmp.dir, '.env'));
  const r = await run(['users', 'add', 'meena', '--role', 'receptionist', '--password-stdin'], {
    stdin: `${DESK_PW}\n`,
  });
  expect(r.code).toBe(2);
  expect(r.err).toContain('The first user must be an admin: it creates the encryption keys.');
});
