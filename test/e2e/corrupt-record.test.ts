import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { DateTime } from 'luxon';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, patientFlags, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';

// Issue 25 finding 5 (DUR-5) on the built binary: one byte changed in one appointment's JSON (SQLite's
// integrity check still says ok), and one appointment of the right JSON but the wrong shape. serve
// starts and answers, appointments list and backup work and name what they skipped, preflight lists them.
let tmp: ReturnType<typeof tempDir>;
let s: RunningServe | undefined;
beforeEach(async () => {
  tmp = tempDir('receptionist-e2e-corrupt-');
});
afterEach(async () => {
  await s?.stop();
  s = undefined;
  tmp.cleanup();
});

const step = async (args: string[], code = 0) => {
  const r = await cli(args, { cwd: tmp.dir });
  expect(r.exitCode, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(code);
  return r;
};

test('a flipped byte and a wrong-shaped appointment are skipped and named; serve, list, backup and preflight go on', async () => {
  await setup(tmp.dir);
  const day = DateTime.now().setZone('Asia/Kolkata').plus({ days: 3 }).toISODate()!;
  const book = async (at: string, phone: string) =>
    JSON.parse(
      (
        await step([
          '--json',
          'appointments',
          'book',
          '--doctor',
          'dr-mehta',
          '--at',
          `${day} ${at}`,
          ...patientFlags('Asha Verma', phone),
        ])
      ).stdout,
    ).appointment.appointmentId as string;
  const broken = await book('09:30', '98123 45678');
  const misshapen = await book('10:00', '98123 45679');
  const fine = await book('10:30', '98123 45670');

  const file = path.join(tmp.dir, '.receptionist', 'receptionist.db');
  const db = new DatabaseSync(file);
  try {
    const ids = Object.fromEntries(
      (db.prepare('SELECT id, doc FROM c_appointments').all() as Array<{ id: string; doc: string }>).map((r) => [
        JSON.parse(r.doc).appointmentId,
        r.id,
      ]),
    );
    db.prepare(
      `UPDATE c_appointments SET doc = json_set(doc, '$.status', 42, '$.start', 'not a date') WHERE id = ?`,
    ).run(ids[misshapen]!);
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  // One byte on disk: the ':' after "appointmentId" of one record becomes ';' (as a bad sector or a
  // stray write would; SQLite's own structure is untouched).
  const bytes = fs.readFileSync(file);
  const at = bytes.indexOf(Buffer.from(`"appointmentId":"${broken}"`));
  expect(at).toBeGreaterThan(0);
  bytes[at + '"appointmentId"'.length] = ';'.charCodeAt(0);
  fs.writeFileSync(file, bytes);
  // (SQLite's page structure is intact: only the record's text is wrong.)

  const list = await step(['--json', 'appointments', 'list', '--from', day, '--to', day]);
  expect(JSON.parse(list.stdout).map((a: { appointmentId: string }) => a.appointmentId)).toEqual([fine]);
  expect(list.stderr).toMatch(/Warning: appointments record \S+ cannot be read \(not valid JSON\)/);
  // The misshapen one (status 42) is not what a list of confirmed appointments asks for; preflight and backup name it.

  s = await startServe(tmp.dir);
  const offered = await postSigned(s.url, {
    type: 'tool-calls',
    call: { id: 'call_after_corruption', customer: { number: '+919800000001' } },
    toolCallList: [
      {
        id: 'tc_check',
        type: 'function',
        function: {
          name: 'check_availability',
          arguments: { date: `${DateTime.fromISO(day).toFormat('cccc d LLLL')} at 10am`, doctor: 'Mehta' },
        },
      },
    ],
  });
  expect(offered.status).toBe(200);
  // The misshapen record still holds 10:00 in the unique index, so it is not offered as free.
  expect(offered.body.results[0].result).not.toMatch(/10(:00)? ?AM is (free|available)/i);

  const backup = await step(['backup', 'store.tar.gz']);
  expect(backup.stderr).toMatch(/Skipped 2 record\(s\) no read can use/);
  const restoreDir = path.join(tmp.dir, 'restored');
  await step(['--data-dir', restoreDir, 'restore', 'store.tar.gz']);
  const restored = await step(['--data-dir', restoreDir, '--json', 'appointments', 'list', '--from', day, '--to', day]);
  expect(JSON.parse(restored.stdout).map((a: { appointmentId: string }) => a.appointmentId)).toEqual([fine]);

  const pre = await cli(['preflight'], { cwd: tmp.dir });
  expect(pre.stdout).toMatch(/✗ stored records +2 record\(s\) no read can use, each skipped/);
});

test('finding 6: a damaged page says the store is damaged, which collections, and how to recover (exit 3)', async () => {
  await setup(tmp.dir);
  const file = path.join(tmp.dir, '.receptionist', 'receptionist.db');
  const db = new DatabaseSync(file);
  let root: number;
  let pageSize: number;
  try {
    root = (db.prepare("SELECT rootpage FROM sqlite_master WHERE name = 'c_doctors'").get() as { rootpage: number })
      .rootpage;
    pageSize = (db.prepare('PRAGMA page_size').get() as { page_size: number }).page_size;
    db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
  const bytes = fs.readFileSync(file);
  bytes.fill(0xa5, (root - 1) * pageSize, root * pageSize);
  fs.writeFileSync(file, bytes);
  const r = await step(['doctors', 'list'], 3);
  expect(r.stderr).toMatch(
    /^Error: The store \S+receptionist\.db is damaged \(SQLite: database disk image is malformed\)/,
  );
  expect(r.stderr).toContain('what fails to read: doctors');
  expect(r.stderr).toContain('restore the last backup');
  expect(r.stderr).toContain('.recover');
});
