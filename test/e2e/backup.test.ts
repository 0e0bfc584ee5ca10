import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { DateTime } from 'luxon';
import * as tar from 'tar';
import { execa } from 'execa';
import {
  BIN,
  BURST_DOCTOR,
  burstBooking,
  cli,
  E2E_SECRET,
  postSigned,
  setup,
  startServe,
  type RunningServe,
} from '../support/cli.js';
import { tempDir } from '../support/store.js';

// Issue 14 item 6 on the built binary: backups taken while serve books. Each booking and its
// notifications are one atomic step, so in a consistent snapshot every confirmed appointment has
// its `appointment.booked` and reminder entries and no entry lacks its appointment; a backup read
// collection by collection while serve writes would break that pairing.
let tmp: ReturnType<typeof tempDir>;
let serve: RunningServe | undefined;
beforeEach(() => {
  tmp = tempDir('receptionist-e2e-backup-');
});
afterEach(async () => {
  await serve?.stop();
  serve = undefined;
  tmp.cleanup();
});

async function unpack(file: string) {
  const dir = fs.mkdtempSync(path.join(tmp.dir, 'x-'));
  await tar.extract({ file, cwd: dir });
  const read = (name: string) =>
    fs
      .readFileSync(path.join(dir, 'collections', `${name}.ndjson`), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
  return { appointments: read('appointments'), outbox: read('outbox') };
}

test('backups during a burst of bookings are each one consistent moment; the last restores into a new store', async () => {
  await setup(tmp.dir);
  const step = async (args: string[]) => {
    const r = await cli(args, { cwd: tmp.dir });
    expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r;
  };
  await step(BURST_DOCTOR);
  serve = await startServe(tmp.dir);
  const url = serve.url;

  // 300 distinct times from the real clock: days 2… ahead, every five minutes from 6 AM.
  const today = DateTime.now().setZone('Asia/Kolkata').startOf('day');
  const TOTAL = 300;
  const message = (i: number) => burstBooking(i, today);
  let next = 0;
  let booked = 0;
  const burst = Promise.all(
    Array.from({ length: 12 }, async () => {
      while (next < TOTAL) {
        const r = await postSigned(url, message(next++));
        if (/^You're booked/.test(r.body.results[0].result)) booked++;
      }
    }),
  );
  while (booked < 50) await new Promise((r) => setTimeout(r, 10));
  const files: string[] = [];
  for (let i = 0; i < 3; i++) {
    const file = path.join(tmp.dir, `during-${i}.tar.gz`);
    await step(['backup', file]);
    files.push(file);
  }
  await burst;
  expect(booked).toBe(TOTAL);
  const last = path.join(tmp.dir, 'after.tar.gz');
  await step(['backup', last]);

  const counts: number[] = [];
  for (const file of [...files, last]) {
    const { appointments, outbox } = await unpack(file);
    const confirmed = new Set(appointments.filter((a) => a.status === 'confirmed').map((a) => a.appointmentId));
    for (const event of ['appointment.booked', 'appointment.reminder']) {
      const subjects = outbox.filter((e) => e.event === event).map((e) => e.subject as string);
      expect(new Set(subjects).size, `${path.basename(file)} ${event}`).toBe(subjects.length);
      expect(new Set(subjects), `${path.basename(file)} ${event}`).toEqual(confirmed);
    }
    counts.push(confirmed.size);
  }
  // At least one was taken in the middle of the burst, and the last has every booking.
  expect(counts.slice(0, 3).some((n) => n > 0 && n < TOTAL)).toBe(true);
  expect(counts[3]).toBe(TOTAL);

  // Seed 004's cron line, `backup - | aws s3 cp - …` and back: stdout to stdin, binary-clean.
  const piped = await execa(process.execPath, [BIN, 'backup', '-'], {
    cwd: tmp.dir,
    env: { VAPI_SERVER_SECRET: E2E_SECRET },
    extendEnv: false,
    encoding: 'buffer',
  });
  expect(Buffer.from(piped.stderr).toString()).toMatch(
    /^Backed up \d+ records \(300 appointments, 0 call logs\) to stdout/,
  );
  const restored = path.join(tmp.dir, 'restored');
  const fromStdin = await execa(process.execPath, [BIN, '--data-dir', restored, 'restore', '-'], {
    cwd: tmp.dir,
    env: { VAPI_SERVER_SECRET: E2E_SECRET },
    extendEnv: false,
    input: piped.stdout,
    reject: false,
  });
  expect(fromStdin.exitCode, fromStdin.stderr).toBe(0);
  const listed = async (...dir: string[]) =>
    JSON.parse(
      (
        await step([
          ...dir,
          '--json',
          'appointments',
          'list',
          '--from',
          today.plus({ days: 2 }).toISODate()!,
          '--to',
          today.plus({ days: 6 }).toISODate()!,
        ])
      ).stdout,
    ) as unknown[];
  expect(await listed('--data-dir', restored)).toEqual(await listed());
}, 120_000);
