import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { patientFlags } from '../support/cli.js';

// The clock of in-process commands: Saturday 21 November 2026, 10:00 in Asia/Kolkata.
const ADMIN_PW = 'desk-admin-passphrase';
const { ctx, run, seedWithAdmin } = commandEnv();

async function seeded() {
  await seedWithAdmin(ADMIN_PW);
  const booked = await run([
    'appointments',
    'book',
    '--doctor',
    'rao',
    '--at',
    '2026-11-23 10:00',
    ...patientFlags('Asha Verma', '98123 45678', { reason: 'x' }),
  ]);
  expect(booked.code, booked.err).toBe(0);
}
const list = async (dataDir?: string) =>
  JSON.parse(
    (await run([...(dataDir ? ['--data-dir', dataDir] : []), '--json', 'appointments', 'list', '--status', 'all'])).out,
  );

test('backup, then restore into an empty store: the same appointments; a second restore, an existing file, a terminal are refused', async () => {
  await seeded();
  const file = path.join(ctx.tmp.dir, 'clinic.tar.gz');
  const made = await run(['backup', file]);
  expect(made.code, made.err).toBe(0);
  expect(made.err).toMatch(
    /^Backed up \d+ records \(1 appointments, 0 call logs\) to .*clinic\.tar\.gz, \d+ bytes; snapshot of 2026-11-21T04:30:00\.000Z \(sqlite-vacuum-into\)\.\n/,
  );
  expect(made.err).toContain('It holds no key: keep RECEPTIONIST_BLIND_INDEX_KEY (in .env) with it.');
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);

  const again = await run(['backup', file]);
  expect(again.code).toBe(1);
  expect(again.err).toContain(`Error: ${file} exists.`);
  expect((await run(['backup', file, '--force'])).code).toBe(0);
  const tty = await run(['backup', '-'], { tty: true });
  expect(tty.code).toBe(2);
  expect(tty.err).toContain('The archive is binary: it is not written to a terminal.');

  const restored = path.join(ctx.tmp.dir, 'restored');
  const r = await run(['--data-dir', restored, '--json', 'restore', file]);
  expect(r.code, r.err).toBe(0);
  expect(JSON.parse(r.out)).toMatchObject({ secrets: 'none', written: { appointments: 1, doctors: 5 } });
  expect(await list(restored)).toEqual(await list());
  const twice = await run(['--data-dir', restored, 'restore', file]);
  expect(twice.code).toBe(1);
  expect(twice.err).toMatch(
    /Error: The store at .*restored is not empty \(\d+ records\); restore writes into an empty store only\./,
  );
  // --force replaces: a doctor added after the backup is gone again.
  expect(
    (
      await run([
        '--data-dir',
        restored,
        'doctors',
        'add',
        '--name',
        'Dr. New',
        '--specialty',
        'x',
        '--hours',
        'mon 9-12',
      ])
    ).code,
  ).toBe(0);
  expect((await run(['--data-dir', restored, 'restore', file, '--force'])).code).toBe(0);
  expect(JSON.parse((await run(['--data-dir', restored, '--json', 'doctors', 'list'])).out)).toHaveLength(5);

  const audit = JSON.parse((await run(['--json', 'audit'])).out) as Array<{ action: string; details: any }>;
  expect(audit.filter((e) => e.action === 'backup').map((e) => e.details)).toEqual([
    { file: 'clinic.tar.gz', secrets: false, createdAt: '2026-11-21T04:30:00.000Z' },
    { file: 'clinic.tar.gz', secrets: false, createdAt: '2026-11-21T04:30:00.000Z' },
  ]);
  const restoredAudit = JSON.parse((await run(['--data-dir', restored, '--json', 'audit'])).out) as Array<{
    action: string;
  }>;
  expect(restoredAudit.filter((e) => e.action === 'restore')).toHaveLength(2);
});

test('--include-secrets: the key travels and goes back to a .env without one; another key in .env refuses; a damaged archive writes nothing', async () => {
  await seeded();
  const file = path.join(ctx.tmp.dir, 'secret.tar.gz');
  const made = await run(['backup', '--include-secrets', file]);
  expect(made.code, made.err).toBe(0);
  expect(made.err).toContain('It holds RECEPTIONIST_BLIND_INDEX_KEY: keep it as safe as .env.');

  const dotenv = path.join(ctx.tmp.dir, '.env');
  const original = fs.readFileSync(dotenv, 'utf8');
  const key = /^RECEPTIONIST_BLIND_INDEX_KEY=(.*)$/m.exec(original)![1];
  const other = 'A'.repeat(43);
  const clash = await run(['--data-dir', path.join(ctx.tmp.dir, 'r1'), 'restore', file], {
    env: { RECEPTIONIST_BLIND_INDEX_KEY: other },
  });
  expect(clash.code).toBe(1);
  expect(clash.err).toContain(
    "Error: The backup's RECEPTIONIST_BLIND_INDEX_KEY differs from the one in $RECEPTIONIST_BLIND_INDEX_KEY; nothing was restored.",
  );
  expect(fs.existsSync(path.join(ctx.tmp.dir, 'r1'))).toBe(false);

  // A project whose .env lost the key: restore puts it back.
  fs.writeFileSync(dotenv, original.replace(/^RECEPTIONIST_BLIND_INDEX_KEY=.*\n/m, ''));
  const r = await run(['--data-dir', path.join(ctx.tmp.dir, 'r2'), '--json', 'restore', file]);
  expect(r.code, r.err).toBe(0);
  expect(JSON.parse(r.out).secrets).toBe('written');
  expect(fs.readFileSync(dotenv, 'utf8')).toContain(`RECEPTIONIST_BLIND_INDEX_KEY=${key}`);

  const broken = path.join(ctx.tmp.dir, 'broken.tar.gz');
  const bytes = fs.readFileSync(file);
  fs.writeFileSync(broken, bytes.subarray(0, bytes.length - 40));
  const bad = await run(['--data-dir', path.join(ctx.tmp.dir, 'r3'), 'restore', broken]);
  expect(bad.code).toBe(1);
  expect(bad.err).toContain('Nothing was written. Use another backup.');
  expect(fs.existsSync(path.join(ctx.tmp.dir, 'r3'))).toBe(false);
  expect((await run(['restore', path.join(ctx.tmp.dir, 'none.tar.gz')])).code).toBe(2);
});
