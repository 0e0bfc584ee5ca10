import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import * as tar from 'tar';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openMongoStore } from '../../src/store/mongo/index.js';
import { seedStore } from '../../src/commands/seed/seed.js';
import { COLLECTIONS, type CallLogRecord, type Store } from '../../src/store/types.js';
import { BackupError, openBackup, restoreBackup, writeBackup } from '../../src/store/backup.js';
import { startMongoDouble, type MongoDouble } from '../support/mongo-double.js';
import { tempDir } from '../support/store.js';

/** Issue 14 item 6: the archive, its checks, and a snapshot that writes during it do not reach. */

const call = (i: number): CallLogRecord => ({
  callId: `call_${String(i).padStart(4, '0')}`,
  callType: 'inboundPhoneCall',
  assistantId: 'asst_1',
  startedAt: '2026-11-20T10:00:00.000Z',
  endedAt: `2026-11-20T10:${String(i % 60).padStart(2, '0')}:00.000Z`,
  durationSeconds: 60,
  endedReason: 'customer-ended-call',
  cost: 0.1,
  costBreakdown: '',
  customerNumber: 'v1.sealed',
  customerIndex: 'idx',
  summary: 'v1.sealed',
  transcript: 'v1.sealed',
  recordingUrl: '',
  successEvaluation: '',
  receivedAt: '2026-11-20T11:00:00.000Z',
});

/** Every collection's documents, the call logs and the logs: what a restore must give back. */
async function contents(store: Store) {
  const out: Record<string, unknown> = {};
  for (const name of COLLECTIONS) out[name] = await store.collection(name).find({}, { sort: { _id: 1 } });
  out.call_logs = await store.callLogs.list();
  out.audit = await store.audit.list();
  out.chats = await store.chats.list();
  return out;
}

async function filled(store: Store) {
  await seedStore(store, { force: false });
  for (let i = 0; i < 120; i++) await store.callLogs.append(call(i));
  await store.audit.append({ at: '2026-11-20T12:00:00.000Z', user: 'admin', action: 'decrypt', details: { n: 1 } });
  await store.chats.append({
    chatId: 'chat_1',
    assistantId: 'a',
    at: '2026-11-20T12:00:00.000Z',
    input: 's',
    output: 's',
  });
}

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir('receptionist-backup-test-');
});
afterEach(() => tmp.cleanup());

const write = async (store: Store, file: string, secrets?: Record<string, string>) =>
  writeBackup(store, fs.createWriteStream(file), {
    now: () => new Date('2026-11-21T04:30:00Z'),
    version: 'test',
    secrets,
  });

test('embedded store: backup, checks, restore into an empty store gives every record back as it was', async () => {
  const store = await openSqliteStore({ dir: path.join(tmp.dir, 'a') });
  const target = await openSqliteStore({ dir: path.join(tmp.dir, 'b') });
  try {
    await filled(store);
    const file = path.join(tmp.dir, 'a.tar.gz');
    const manifest = await write(store, file, { RECEPTIONIST_BLIND_INDEX_KEY: 'k' });
    expect(manifest).toMatchObject({ format: 'receptionist-backup', formatVersion: 1, secrets: true });
    expect(manifest.source.snapshot).toBe('sqlite-vacuum-into');
    expect(manifest.files.find((f) => f.name === 'call_logs')).toMatchObject({ records: 120 });
    // No snapshot copy is left beside the store.
    expect(fs.readdirSync(path.join(tmp.dir, 'a')).filter((f) => f.startsWith('.snapshot-'))).toEqual([]);

    const backup = await openBackup(file);
    try {
      expect(backup.secrets).toEqual({ RECEPTIONIST_BLIND_INDEX_KEY: 'k' });
      const report = await restoreBackup(target, backup, { replace: false });
      expect(report.counts.find((c) => c.name === 'call_logs')).toEqual({
        name: 'call_logs',
        records: 120,
        written: 120,
      });
    } finally {
      backup.dispose();
    }
    expect(fs.existsSync(backup.dir)).toBe(false);
    expect(await contents(target)).toEqual(await contents(store));
  } finally {
    await store.close();
    await target.close();
  }
});

test('a write while the snapshot is read is not in it', async () => {
  const store = await openSqliteStore({ dir: path.join(tmp.dir, 'a') });
  const other = await openSqliteStore({ dir: path.join(tmp.dir, 'a') });
  try {
    await seedStore(store, { force: false });
    const seen = await store.snapshot(async (view) => {
      await other
        .collection('holidays')
        .insertOne({ _id: '2026-12-25', from: '2026-12-25', to: '2026-12-25', name: 'x' });
      return view.collection('holidays').count({});
    });
    expect(seen).toBe(0);
    expect(await store.collection('holidays').count({})).toBe(1);
  } finally {
    await store.close();
    await other.close();
  }
});

describe('checks before anything is written', () => {
  let file: string;
  beforeEach(async () => {
    const store = await openSqliteStore({ dir: path.join(tmp.dir, 'a') });
    await filled(store);
    file = path.join(tmp.dir, 'a.tar.gz');
    await write(store, file);
    await store.close();
  });
  /** Unpacks the archive, lets `change` edit it, packs it again. */
  async function tampered(change: (dir: string) => void): Promise<string> {
    const dir = path.join(tmp.dir, 'x');
    fs.mkdirSync(dir);
    await tar.extract({ file, cwd: dir });
    change(dir);
    const out = path.join(tmp.dir, 'tampered.tar.gz');
    await tar.create({ gzip: true, cwd: dir, file: out }, fs.readdirSync(dir));
    return out;
  }
  const failure = async (f: string) => {
    const err = await openBackup(f).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BackupError);
    return err as BackupError;
  };

  test('a changed record (same length) fails its SHA-256; a file not in the manifest is refused', async () => {
    const changed = await tampered((dir) => {
      const p = path.join(dir, 'call_logs.ndjson');
      fs.writeFileSync(p, fs.readFileSync(p, 'utf8').replace('"cost":0.1', '"cost":9.1'));
    });
    const e = await failure(changed);
    expect(e.reason).toBe('checksum');
    expect(e.message).toContain('call_logs.ndjson does not match its SHA-256');
    fs.rmSync(path.join(tmp.dir, 'x'), { recursive: true });
    const extra = await tampered((dir) => fs.writeFileSync(path.join(dir, 'evil.ndjson'), '{}\n'));
    expect((await failure(extra)).message).toContain('evil.ndjson is not in the manifest');
  });

  test('not an archive, no manifest, a newer format: each refused with the reason', async () => {
    const junk = path.join(tmp.dir, 'junk.tar.gz');
    fs.writeFileSync(junk, 'not a tar');
    expect((await failure(junk)).reason).toBe('unreadable');
    const noManifest = await tampered((dir) => fs.rmSync(path.join(dir, 'manifest.json')));
    expect((await failure(noManifest)).reason).toBe('not-a-backup');
    fs.rmSync(path.join(tmp.dir, 'x'), { recursive: true });
    const newer = await tampered((dir) => {
      const p = path.join(dir, 'manifest.json');
      fs.writeFileSync(p, JSON.stringify({ ...JSON.parse(fs.readFileSync(p, 'utf8')), formatVersion: 99 }));
    });
    expect(await failure(newer)).toMatchObject({ reason: 'newer' });
  });
});

describe('MongoDB', () => {
  let double: MongoDouble;
  beforeEach(async () => {
    double = await startMongoDouble();
  });
  afterEach(async () => {
    await double.close();
  });

  test('a replica set is read in one snapshot session; its backup restores into the embedded store', async () => {
    const mongo = await openMongoStore({ uri: double.uri, dbName: 'clinic' });
    const other = await openMongoStore({ uri: double.uri, dbName: 'clinic' });
    const local = await openSqliteStore({ dir: path.join(tmp.dir, 'b') });
    try {
      await filled(mongo);
      const seen = await mongo.snapshot(async (view, how) => {
        expect(how).toBe('mongodb-snapshot');
        const before = await view.collection('holidays').count({});
        await other
          .collection('holidays')
          .insertOne({ _id: '2026-12-25', from: '2026-12-25', to: '2026-12-25', name: 'x' });
        return [before, await view.collection('holidays').count({})];
      });
      expect(seen).toEqual([0, 0]);
      await other.collection('holidays').deleteMany({});
      const file = path.join(tmp.dir, 'm.tar.gz');
      expect((await write(mongo, file)).source).toMatchObject({ backend: 'mongo', snapshot: 'mongodb-snapshot' });
      const backup = await openBackup(file);
      try {
        await restoreBackup(local, backup, { replace: false });
      } finally {
        backup.dispose();
      }
      expect(await contents(local)).toEqual(await contents(mongo));
    } finally {
      await mongo.close();
      await other.close();
      await local.close();
    }
  });

  test('a standalone server has no snapshot: the backup says so', async () => {
    const standalone = await startMongoDouble({ standalone: true });
    const mongo = await openMongoStore({ uri: standalone.uri, dbName: 'clinic' });
    try {
      await seedStore(mongo, { force: false });
      const m = await write(mongo, path.join(tmp.dir, 's.tar.gz'));
      expect(m.source.snapshot).toBe('none');
    } finally {
      await mongo.close();
      await standalone.close();
    }
  });
});
