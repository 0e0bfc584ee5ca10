import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { main } from '../../src/cli.js';
import { testDeps } from '../support/deps.js';
import { tempDir } from '../support/store.js';
import { commandEnv } from '../support/command-env.js';
import { freePort } from '../support/net.js';

const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: 'hook-secret-0123456789', RECEPTIONIST_POLL_INTERVAL_MS: '5' });
beforeEach(async () => {
  await run(['seed']);
  await run(['sync', '--server-url', 'https://clinic.example.com']);
});

const assistantId = () => [...ctx.fake.assistants.keys()][0]!;
const callsPosted = () => ctx.fake.requests.filter((r) => r.method === 'POST' && r.path === '/call');

describe('receptionist call', () => {
  test('--dry-run prints the exact body: E.164 number, variableValues, the synced assistant and the only phone number', async () => {
    const r = await run([
      'call',
      '98123 45678',
      '--var',
      'name=Asha',
      '--var',
      'lastAppointment=Dr. Mehta on Tuesday',
      '--dry-run',
      '--json',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).request).toEqual({
      assistantId: assistantId(),
      phoneNumberId: 'pn_fake',
      customer: { number: '+919812345678', name: 'Asha' },
      assistantOverrides: { variableValues: { name: 'Asha', lastAppointment: 'Dr. Mehta on Tuesday' } },
    });
    expect(callsPosted()).toHaveLength(0);
  });

  test('--dry-run with every id given never contacts Vapi, and needs no key', async () => {
    const before = ctx.fake.requests.length;
    const r = await run(
      [
        'call',
        '+919812345678',
        '--var',
        'name=Asha',
        '--assistant',
        'asst_given',
        '--phone-number-id',
        'pn_given',
        '--dry-run',
        '--json',
      ],
      { env: { VAPI_API_KEY: '', VAPI_BASE_URL: 'http://127.0.0.1:9' } },
    );
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out).request).toMatchObject({ assistantId: 'asst_given', phoneNumberId: 'pn_given' });
    expect(ctx.fake.requests.length).toBe(before);
    // Without the phone number id it has to ask Vapi, and says so.
    const asks = await run(['call', '+919812345678', '--var', 'name=Asha', '--assistant', 'asst_given', '--dry-run'], {
      env: { VAPI_API_KEY: '' },
    });
    expect(asks.code).toBe(5);
    expect(asks.err).toContain('No Vapi API key.');
  });

  test('the number sync points at serve is the default caller id', async () => {
    expect((await run(['sync', '--phone-number', '+918041234567'])).code).toBe(0);
    const before = ctx.fake.requests.length;
    const r = await run(['call', '+919812345678', '--var', 'name=Asha', '--dry-run', '--json']);
    expect(JSON.parse(r.out).request.phoneNumberId).toBe('pn_fake');
    expect(ctx.fake.requests.length).toBe(before);
  });

  test('places a call, and --wait follows it to the end', async () => {
    const r = await run([
      'call',
      '+919812345678',
      '--var',
      'name=Asha',
      '--wait',
      '--schedule-at',
      '2026-12-01T10:00:00+05:30',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(
      /^\+919812345678  \+919812345678  [0-9a-f-]{36}  ended  customer-ended-call  \d+(\.\d+)?s  \$0\.0842\n$/,
    );
    expect(callsPosted()[0]!.body).toMatchObject({ schedulePlan: { earliestAt: '2026-12-01T04:30:00.000Z' } });
  });

  test('--schedule-at is ISO, read in the clinic zone without an offset; past times and other text are refused', async () => {
    // The test clock is 2026-11-21T04:30Z (10:00 in Asia/Kolkata).
    const at = async (value: string) =>
      run(['call', '+919812345678', '--var', 'name=Asha', '--dry-run', '--json', '--schedule-at', value]);
    expect(JSON.parse((await at('2026-12-01T10:00')).out).request.schedulePlan).toEqual({
      earliestAt: '2026-12-01T04:30:00.000Z',
    });
    const past = await at('2026-11-21T09:00');
    expect(past.code).toBe(2);
    expect(JSON.parse(past.err).message).toBe('--schedule-at 2026-11-21T09:00 is in the past.');
    const words = await at('tomorrow 10am');
    expect(words.code).toBe(2);
    expect(JSON.parse(words.err).message).toBe('Invalid --schedule-at "tomorrow 10am"');
  });

  test.each([
    [1, 1, false, 'The call failed; none was placed.'],
    [2, 2, true, 'All 2 requests are invalid; none would be placed.'],
    [1, 3, false, '1 of 3 calls failed; the other 2 were placed.'],
    [2, 3, true, '2 of 3 requests are invalid; the other one is shown above.'],
  ])('summary: %i of %i failed (dry run %s)', async (failed, total, dryRun, text) => {
    const { callSummary } = await import('../../src/commands/call/call.js');
    expect(callSummary(failed, total, dryRun)).toBe(text);
  });

  test('an invalid number or an unknown variable fails that number only; the others are placed; exit 1', async () => {
    const r = await run(['call', '+919812345678', '12345', '--var', 'nmae=Asha']);
    expect(r.code).toBe(1);
    expect(r.out).toContain('12345  failed  "12345" is not a valid phone number');
    expect(r.out).toContain(
      '+919812345678  failed  unknown variables: nmae (the assistant uses: lastAppointment, name)',
    );
    const ok = await run(['call', '+919812345678', '12345']);
    expect(ok.code).toBe(1);
    expect(ok.err).toContain('Error: 1 of 2 calls failed; the other one was placed.');
    expect(callsPosted()).toHaveLength(1);
  });

  test('a required placeholder without a value is reported with every missing name', async () => {
    await run(['config', 'set', 'firstMessage', 'Hello {{name}}, about your {{slot}} appointment']);
    await run(['sync']);
    const r = await run(['call', '+919812345678']);
    expect(r.out).toContain('failed  missing variables: name, slot');
  });

  test('--from-csv: one call per row, columns as variables, one JSON object per row, bad rows reported', async () => {
    const csv = path.join(ctx.tmp.dir, 'reminders.csv');
    fs.writeFileSync(
      csv,
      'number,name,lastAppointment\n+919812345678,Asha,Tuesday\n+919876543210,Rohit,\n,NoNumber,x\n',
    );
    const r = await run(['call', '--from-csv', csv, '--concurrency', '2', '--json']);
    expect(r.code).toBe(1);
    const rows = r.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.target, x.ok])).toEqual([
      ['row 2', true],
      ['row 3', true],
      ['row 4', false],
    ]);
    expect(rows[2].error).toBe('no number (or phone) column');
    expect(
      callsPosted()
        .map((c) => (c.body as any).assistantOverrides.variableValues.name)
        .sort(),
    ).toEqual(['Asha', 'Rohit']);
  });

  test("a call Vapi refuses (400) reports Vapi's own message for that number", async () => {
    const r = await run(['call', '+919812345678', '--assistant', 'asst_missing']);
    expect(r.code).toBe(1);
    expect(r.out).toBe(
      "+919812345678  failed  Vapi refused to place the call to +919812345678 (HTTP 400): Couldn't Get Assistant. Assistant Id asst_missing Doesn't Exist.\n",
    );
  });

  test('Vapi unreachable stops the command with exit 6, instead of failing every number one by one', async () => {
    const port = await freePort();
    const r = await run(
      ['call', '+919812345678', '+919876543210', '--var', 'name=Asha', '--phone-number-id', 'pn_fake'],
      { env: { VAPI_BASE_URL: `http://127.0.0.1:${port}` } },
    );
    expect(r.code).toBe(6);
    expect(r.err).toMatch(
      new RegExp(
        `^Error: Cannot reach Vapi at http://127\\.0\\.0\\.1:${port} to read phone number pn_fake: connection refused\\.`,
      ),
    );
  });

  test('without a synced assistant it says to sync', async () => {
    const other = tempDir();
    try {
      const d = testDeps({ cwd: other.dir, env: { VAPI_API_KEY: ctx.fake.token, VAPI_BASE_URL: ctx.fake.url } });
      await main(['--data-dir', other.dir, 'seed'], d);
      const code = await main(['--data-dir', other.dir, 'call', '+919812345678'], d);
      expect(code).toBe(1);
      expect(d.io.stderr()).toContain(
        'Error: No assistant to call with.\n  Run `receptionist sync` first, or pass --assistant.',
      );
    } finally {
      other.cleanup();
    }
  });
});
