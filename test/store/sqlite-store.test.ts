import fs from 'node:fs';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { execa } from 'execa';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openNedbSnapshot, openSqliteStore, STORE_FILE } from '../../src/store/sqlite/index.js';
import { unlock } from '../../src/domain/keyring.js';
import { openField } from '../../src/domain/sealer.js';
import { callLogContext } from '../../src/domain/call-records.js';
import { packageRoot } from '../../src/paths.js';
import { tempDir, rawCollection } from '../support/store.js';
import { fieldExpr, whereClause } from '../../src/store/sqlite/query.js';
import type { Query } from '../../src/store/types.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const FIXTURE = path.join(packageRoot(), 'test', 'fixtures', 'nedb-store', 'data');

test('a store written by the NeDB version is imported on first open: every record, sealed fields still open', async () => {
  const dir = path.join(tmp.dir, 'data');
  fs.cpSync(FIXTURE, dir, { recursive: true });
  const before = Object.fromEntries(fs.readdirSync(dir).map((f) => [f, fs.readFileSync(path.join(dir, f), 'utf8')]));
  const warnings: string[] = [];
  const store = await openSqliteStore({ dir, onWarning: (w) => warnings.push(w) });
  try {
    expect(warnings).toEqual([
      expect.stringMatching(/^imported the NeDB store in .* \(\d+ records\); the old files are in .*nedb-backup-/),
    ]);
    // Counts from the fixture files (last line per _id, index lines and deletions left out).
    expect(await store.collection('doctors').count({})).toBe(5);
    expect(await store.collection('customers').count({})).toBe(3);
    expect(await store.collection('appointments').count({ status: 'confirmed' })).toBe(1);
    expect(await store.collection('ac_service_visits').count({})).toBe(1);
    expect(await store.collection('users').count({})).toBe(1);
    expect((await store.callLogs.list()).map((r) => r.callId).sort()).toEqual(['call_fixture_1', 'call_fixture_2']);
    expect((await store.audit.list()).map((a) => a.action)).toEqual(['keys.init']);
    // Sealed at rest before, still sealed, and the admin's password still opens them.
    const me = await unlock(store, 'admin', 'fixture-admin-pass');
    const [log] = (await store.callLogs.list()).filter((r) => r.callId === 'call_fixture_1');
    expect(openField(log!.transcript, callLogContext('call_fixture_1', 'transcript'), me.dataKeys)).toMatch(
      /^AI: Welcome!/,
    );
    // The unique indexes hold on the imported data.
    const booked = (await store.collection('appointments').findOne({ status: 'confirmed' }))!;
    await expect(
      rawCollection(store, 'appointments').insertOne({ _id: 'dup', appointmentId: 'X', activeSlot: booked.activeSlot }),
    ).rejects.toMatchObject({ name: 'DuplicateKeyError', key: 'activeSlot' });
  } finally {
    await store.close();
  }
  // The old files moved, byte for byte, into the backup folder; the next open imports nothing.
  const [backup] = fs.readdirSync(dir).filter((f) => f.startsWith('nedb-backup-'));
  for (const [f, text] of Object.entries(before))
    expect(fs.readFileSync(path.join(dir, backup!, f), 'utf8')).toBe(text);
  expect(fs.readdirSync(dir).sort()).toEqual([backup, STORE_FILE].sort());
  const again: string[] = [];
  await (await openSqliteStore({ dir, onWarning: (w) => again.push(w) })).close();
  expect(again).toEqual([]);
});

test('issue 13 item 10: a damaged NeDB line is not imported but kept in the backup, with a warning; every other record is', async () => {
  const dir = path.join(tmp.dir, 'data');
  fs.cpSync(FIXTURE, dir, { recursive: true });
  const file = path.join(dir, 'customers.db');
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.splice(2, 0, '{"_id": "broken", ');
  fs.writeFileSync(file, lines.join('\n'));
  const warnings: string[] = [];
  const store = await openSqliteStore({ dir, onWarning: (w) => warnings.push(w) });
  expect(await store.collection('customers').count({})).toBe(3);
  await store.close();
  const backup = fs.readdirSync(dir).find((f) => f.startsWith('nedb-backup-'))!;
  expect(warnings[0]).toBe(
    `${file} line 3 is not JSON; it was not imported and is kept, with its whole file, in ${path.join(dir, backup)}`,
  );
  // Nothing is lost: the damaged line is still there, byte for byte.
  expect(fs.readFileSync(path.join(dir, backup, 'customers.db'), 'utf8')).toContain('{"_id": "broken", ');
  // …and `migrate --cleanup`, which reads the backup as a snapshot, refuses it: the line is not in the store.
  await expect(openNedbSnapshot(path.join(dir, backup))).rejects.toThrow(/customers\.db line 3 is not JSON/);
});

test('a file from a newer receptionist, or an SQLite file that is not a store, is refused; the file is mode 600', async () => {
  const store = await openSqliteStore({ dir: tmp.dir });
  await store.close();
  const file = path.join(tmp.dir, STORE_FILE);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  const db = new DatabaseSync(file);
  db.exec('PRAGMA user_version = 99');
  db.close();
  await expect(openSqliteStore({ dir: tmp.dir })).rejects.toThrow(/written by a newer receptionist \(schema 99/);
  const other = path.join(tmp.dir, 'other');
  fs.mkdirSync(other);
  const foreign = new DatabaseSync(path.join(other, STORE_FILE));
  foreign.exec('CREATE TABLE notes (x TEXT)');
  foreign.close();
  await expect(openSqliteStore({ dir: other })).rejects.toThrow(/is an SQLite database, but not a receptionist store/);
});

test('two processes write at once: every insert lands, none lost, the unique index holds across them', async () => {
  const store = await openSqliteStore({ dir: tmp.dir });
  await store.close();
  const writer = `
    const { openSqliteStore } = await import(${JSON.stringify(path.join(packageRoot(), 'dist', 'store', 'sqlite', 'index.js'))});
    const s = await openSqliteStore({ dir: process.argv[1] });
    const tag = process.argv[2];
    let dup = 0;
    for (let i = 0; i < 200; i++) {
      await s.collection('doctors').insertOne({ _id: tag + i, name: tag });
      try { await s.collection('appointments').insertOne({ _id: tag + 'a' + i, appointmentId: tag + i, activeSlot: 'slot' + i }); }
      catch (e) { if (e.name === 'DuplicateKeyError') dup++; else throw e; }
    }
    await s.close();
    console.log(dup);
  `;
  const run = (tag: string) =>
    execa(process.execPath, ['--input-type=module', '-e', writer, tmp.dir, tag], { reject: false, all: true });
  const [a, b] = await Promise.all([run('a'), run('b')]);
  expect(a.exitCode, a.all).toBe(0);
  expect(b.exitCode, b.all).toBe(0);
  const s = await openSqliteStore({ dir: tmp.dir, readOnly: true });
  expect(await s.collection('doctors').count({})).toBe(400);
  // Each of the 200 slots was claimed exactly once, by one process or the other.
  expect(await s.collection('appointments').count({})).toBe(200);
  expect(Number(a.stdout) + Number(b.stdout)).toBe(200);
  await s.close();
});

test('an atomic step holds the shared connection: a write of another request waits for it and is not undone with it', async () => {
  const store = await openSqliteStore({ dir: tmp.dir });
  const col = rawCollection(store, 'doctors');
  let inStep!: () => void;
  const entered = new Promise<void>((r) => (inStep = r));
  const step = store
    .atomically(async () => {
      await col.insertOne({ _id: 'in-step', name: 'x' });
      inStep();
      await new Promise((r) => setTimeout(r, 50));
      throw new Error('the step fails');
    })
    .catch((e: Error) => e.message);
  await entered;
  // Another request's write while the step is open: it must wait, then stand on its own.
  const other = col.insertOne({ _id: 'other', name: 'y' });
  expect(await step).toBe('the step fails');
  await other;
  expect((await col.find({})).map((d) => d._id)).toEqual(['other']);
  await store.close();
});

test('kill -9 in the middle of an atomic step: nothing of it is in the store, which opens cleanly', async () => {
  const store = await openSqliteStore({ dir: tmp.dir });
  await store.close();
  const child = `
    const { openSqliteStore } = await import(${JSON.stringify(path.join(packageRoot(), 'dist', 'store', 'sqlite', 'index.js'))});
    const s = await openSqliteStore({ dir: process.argv[1] });
    await s.collection('doctors').insertOne({ _id: 'before', name: 'committed' });
    await s.atomically(async () => {
      await s.collection('appointments').insertOne({ _id: 'A1', appointmentId: 'A1', activeSlot: 'd1@t' });
      await s.collection('replies').insertOne({ _id: 'tool:c:t', reply: 'booked A1' });
      console.log('in step');
      await new Promise(() => setInterval(() => {}, 1000));
    });
  `;
  const proc = execa(process.execPath, ['--input-type=module', '-e', child, tmp.dir], { reject: false });
  await new Promise<void>((resolve) =>
    proc.stdout!.on('data', (d: Buffer) => String(d).includes('in step') && resolve()),
  );
  proc.kill('SIGKILL');
  await proc;
  const s = await openSqliteStore({ dir: tmp.dir });
  expect(await s.integrity!()).toEqual([]);
  expect(await s.collection('doctors').count({})).toBe(1);
  expect(await s.collection('appointments').count({})).toBe(0);
  expect(await s.collection('replies').count({})).toBe(0);
  await s.close();
});

test("issue 28: the hot reads are answered by their indexes: a doctor's occupied slots from one covering index, the hourly contact forgetting from a partial one", async () => {
  const store = await openSqliteStore({ dir: tmp.dir });
  await store.close();
  const db = new DatabaseSync(path.join(tmp.dir, STORE_FILE), { readOnly: true });
  try {
    const plan = (query: Query, select: string) => {
      const { sql, params } = whereClause(query);
      return db
        .prepare(`EXPLAIN QUERY PLAN SELECT ${select} FROM c_appointments WHERE ${sql}`)
        .all(...params)
        .map((r) => String(r.detail));
    };
    const range = { activeSlot: { $gte: 'dr-rao|2026-11-25T00:00:00.000Z', $lt: 'dr-rao|2026-11-26T00:00:00.000Z' } };
    // The slot keys (a single slot's check) and the start times (the slot search), each from the index alone.
    for (const first of ['activeSlot', 'startMs']) {
      const slots = [first, 'status', 'holdExpiresAt'].map((f) => fieldExpr(f)).join(', ');
      expect(plan(range, slots)).toEqual([
        expect.stringMatching(/USING COVERING INDEX ix_appointments_activeSlot_status_holdExpiresAt_startMs/),
      ]);
    }
    expect(plan({ contact: { $exists: true }, startMs: { $lt: 1_790_000_000_000 } }, 'id, doc')).toEqual([
      expect.stringMatching(/USING INDEX ix_appointments_startMs_with_contact/),
    ]);
  } finally {
    db.close();
  }
});

test('issue 28: the index the covering one replaced is dropped when the store opens for writing', async () => {
  const store = await openSqliteStore({ dir: tmp.dir });
  await store.close();
  const indexes = () => {
    const db = new DatabaseSync(path.join(tmp.dir, STORE_FILE), { readOnly: true });
    try {
      return db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'c_appointments'")
        .all()
        .map((r) => String(r.name));
    } finally {
      db.close();
    }
  };
  // As the earlier version left it.
  const db = new DatabaseSync(path.join(tmp.dir, STORE_FILE));
  db.exec(
    `CREATE INDEX ix_appointments_activeSlot_status_holdExpiresAt ON c_appointments (${['activeSlot', 'status', 'holdExpiresAt'].map(fieldExpr).join(', ')}) WHERE ${fieldExpr('activeSlot')} IS NOT NULL`,
  );
  db.close();
  expect(indexes()).toContain('ix_appointments_activeSlot_status_holdExpiresAt');
  const reading = await openSqliteStore({ dir: tmp.dir, readOnly: true });
  await reading.close();
  expect(indexes()).toContain('ix_appointments_activeSlot_status_holdExpiresAt');
  const writing = await openSqliteStore({ dir: tmp.dir });
  await writing.close();
  expect(indexes()).not.toContain('ix_appointments_activeSlot_status_holdExpiresAt');
  expect(indexes()).toContain('ix_appointments_activeSlot_status_holdExpiresAt_startMs');
});

test("issue 28: a collection's changes: its own writes listed before and after, anything it cannot account for reported as such", async () => {
  const store = await openSqliteStore({ dir: tmp.dir });
  const other = await openSqliteStore({ dir: tmp.dir });
  const col = rawCollection(store, 'doctors');
  const changes = async (since?: string) => (await col.changes(since))!;
  const v0 = (await changes()).version;
  expect(await changes(v0)).toEqual({ version: v0, changed: [] });

  await col.insertOne({ _id: 'a', name: 'A' });
  const v1 = (await changes(v0)).version;
  expect((await changes(v0)).changed).toEqual([{ _id: 'a', name: 'A' }]);
  await col.updateOne({ _id: 'a' }, { $set: { name: 'A2' } });
  expect((await changes(v1)).changed).toEqual([
    { _id: 'a', name: 'A' },
    { _id: 'a', name: 'A2' },
  ]);
  // Another collection's writes are not this one's.
  const v2 = (await changes()).version;
  await rawCollection(store, 'holidays').insertOne({ _id: 'h', name: 'x', from: '2026-12-25', to: '2026-12-25' });
  expect(await changes(v2)).toEqual({ version: v2, changed: [] });

  // What it cannot list: a delete by query, a rolled-back step, another connection's commit, writes long gone.
  await col.deleteMany({ name: 'nobody' });
  expect((await changes(v2)).changed).toBeUndefined();
  const v3 = (await changes()).version;
  await store
    .atomically(async () => {
      await rawCollection(store, 'holidays').insertOne({ _id: 'h2', name: 'y', from: '2026-12-26', to: '2026-12-26' });
      throw new Error('rolled back');
    })
    .catch(() => {});
  expect((await changes(v3)).changed).toBeUndefined();
  const v4 = (await changes()).version;
  await rawCollection(other, 'holidays').insertOne({ _id: 'h3', name: 'z', from: '2026-12-27', to: '2026-12-27' });
  expect((await changes(v4)).changed).toBeUndefined();
  const v5 = (await changes()).version;
  for (let i = 0; i < 65; i++) await col.insertOne({ _id: `d${i}`, name: `D${i}` });
  expect((await changes(v5)).changed).toBeUndefined();
  // A bulk rewrite is not kept document by document.
  for (let i = 65; i < 300; i++) await col.insertOne({ _id: `d${i}`, name: `D${i}` });
  const v6 = (await changes()).version;
  await col.updateMany({ name: { $gte: 'D' } }, { $set: { seen: true } });
  expect((await changes(v6)).changed).toBeUndefined();
  const v7 = (await changes()).version;
  await col.updateMany({ _id: { $in: ['d1', 'd2'] } }, { $set: { seen: false } });
  expect((await changes(v7)).changed).toHaveLength(4);
  await other.close();
  await store.close();
});
