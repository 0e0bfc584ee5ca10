import { rawCollection } from '../support/store.js';
import { emptyCallLog } from '../../src/domain/call-log-query.js';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { openMongoStore } from '../../src/store/mongo/index.js';
import { COLLECTIONS, type Store } from '../../src/store/types.js';
import { recordCallLog } from '../../src/domain/call-records.js';
import { activeSealingKey } from '../../src/domain/keyring.js';
import { createSealer } from '../../src/domain/sealer.js';
import { parseBlindIndexKey } from '../../src/crypto/blind-index.js';
import { copyStore } from '../../src/commands/migrate/migrate.js';
import { commandEnv } from '../support/command-env.js';
import { useMongo } from '../support/mongo.js';

const server = useMongo();
let dbSeq = 0;
const { ctx, run } = commandEnv();
const PW = 'migrate-passphrase-123\n';

/** A seeded local store with an admin, a sealed call log, an audit entry and a chat. */
async function populatedLocalStore(): Promise<string> {
  expect((await run(['seed'])).code).toBe(0);
  expect((await run(['users', 'add', 'asha', '--password-stdin'], { stdin: PW })).code).toBe(0);
  const dir = path.join(ctx.tmp.dir, 'store');
  const blind = parseBlindIndexKey(/=(\S+)/.exec(fs.readFileSync(path.join(ctx.tmp.dir, '.env'), 'utf8'))![1]!)!;
  const store = await openSqliteStore({ dir });
  const sealer = createSealer((await activeSealingKey(store))!, blind);
  await recordCallLog(
    store,
    {
      callId: 'call_1',
      callType: 'webCall',
      assistantId: 'a',
      startedAt: '',
      endedAt: '2026-11-20T10:00:00.000Z',
      durationSeconds: 1,
      endedReason: 'hangup',
      cost: 0.1,
      costBreakdown: '',
      customerNumber: '+919812345678',
      customerIndex: '',
      summary: 'secret summary',
      transcript: 'secret transcript',
      recordingUrl: '',
      successEvaluation: '',
      receivedAt: '2026-11-20T10:00:01.000Z',
    },
    sealer,
  );
  await store.chats.append({
    chatId: 'chat_1',
    assistantId: 'a',
    at: '2026-11-20T10:00:00.000Z',
    input: sealer.seal('hi', { collection: 'chats', recordId: 'chat_1', field: 'input' }),
    output: 'x',
  });
  await store.close();
  return dir;
}

const everything = async (store: Store) => ({
  ...Object.fromEntries(
    await Promise.all(COLLECTIONS.map(async (n) => [n, await store.collection(n).find({}, { sort: { _id: 1 } })])),
  ),
  call_logs: await store.callLogs.list(),
  audit: await store.audit.list(),
  chats: await store.chats.list(),
});

describe('migrate', () => {
  test('local → mongo → a fresh local: every record copied verbatim (sealed fields untouched), counts checked, idempotent', async () => {
    const dir = await populatedLocalStore();
    const dbName = `receptionist_migrate_${process.pid}_${++dbSeq}`;
    const env = { MONGODB_URI: server.uri(), MONGODB_DB: dbName };
    const first = await run(['migrate', '--from', 'local', '--to', 'mongo', '--json'], { env });
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    const report = JSON.parse(first.out) as {
      collections: Array<{ name: string; source: number; inserted: number; unchanged: number; inTarget: number }>;
    };
    expect(report.collections.map((c) => c.name)).toEqual([
      ...COLLECTIONS,
      'call_logs',
      'audit',
      'chats',
      'recordings',
    ]);
    for (const c of report.collections) expect([c.name, c.inserted, c.inTarget]).toEqual([c.name, c.source, c.source]);
    expect(report.collections.find((c) => c.name === 'doctors')!.source).toBe(5);

    const local = await openSqliteStore({ dir, readOnly: true });
    const mongo = await openMongoStore({ uri: env.MONGODB_URI, dbName });
    try {
      const want = await everything(local);
      expect(await everything(mongo)).toEqual(want);
      expect(JSON.stringify(want.call_logs)).not.toContain('secret');
    } finally {
      await mongo.close();
    }

    // Again: nothing to write.
    const again = JSON.parse(
      (await run(['migrate', '--from', 'local', '--to', 'mongo', '--json'], { env })).out,
    ) as typeof report;
    for (const c of again.collections) expect([c.name, c.inserted, c.unchanged]).toEqual([c.name, 0, c.source]);

    // The copy opens with the same password: logs --decrypt on MongoDB shows the plaintext.
    const decrypted = await run(['logs', '--decrypt', '--json', '--username', 'asha', '--password-stdin'], {
      env,
      stdin: PW,
    });
    expect(decrypted.code).toBe(0);
    expect(JSON.parse(decrypted.out)[0]).toMatchObject({
      callId: 'call_1',
      summary: 'secret summary',
      customerNumber: '+919812345678',
    });

    // And back, into an empty data directory.
    const back = path.join(ctx.tmp.dir, 'back');
    const home = await run(['migrate', '--from', 'mongo', '--to', 'local', '--data-dir', back, '--json'], { env });
    expect(home.code).toBe(0);
    const restored = await openSqliteStore({ dir: back, readOnly: true });
    const again2 = await openMongoStore({ uri: env.MONGODB_URI, dbName });
    try {
      // MongoDB now also holds the audit entry of that decrypt.
      expect(await everything(restored)).toEqual(await everything(again2));
      expect((await restored.audit.list()).map((e) => e.action)).toEqual(['keys.init', 'decrypt']);
    } finally {
      await again2.close();
    }
  });

  test('a document from a newer version or failing validation is skipped with a warning naming its id; the rest is copied', async () => {
    const dir = await populatedLocalStore();
    const store = await openSqliteStore({ dir });
    await rawCollection(store, 'doctors').insertOne({
      _id: 'doc_future',
      name: 'Dr. Future',
      weeklyHours: {},
      schemaVersion: 2,
    });
    await rawCollection(store, 'appointments').insertOne({
      _id: 'appt_bad',
      appointmentId: 'appt_bad',
      status: 'confirmed',
      doctorId: 'd',
      start: '2026-11-23T10:00',
    });
    await store.close();
    const env = { MONGODB_URI: server.uri(), MONGODB_DB: `receptionist_migrate_${process.pid}_${++dbSeq}` };
    const r = await run(['migrate', '--from', 'local', '--to', 'mongo'], { env });
    expect(r.code).toBe(0);
    expect(r.err.split('\n').filter((l) => l.startsWith('Warning'))).toEqual([
      'Warning: doctors doc_future: written by a newer receptionist (schemaVersion 2; this build reads 1); skipped',
      'Warning: appointments appt_bad: missing "startMs"; skipped',
    ]);
    expect(r.out).toMatch(/│ doctors\s+│ 6\s+│ 5\s+│ 0\s+│ 0\s+│ 1\s+│ 5 ✓/);
    expect(r.err).toMatch(/2 skipped \(see warnings\)/);
  });

  test('bad input: same backend, no MongoDB URI, an unknown backend (exit 2); a target that serve has open is fine', async () => {
    expect(
      await run(['migrate', '--from', 'mongo', '--to', 'mongo'], { env: { MONGODB_URI: 'mongodb://x' } }),
    ).toMatchObject({ code: 2, err: expect.stringContaining('--from and --to are both "mongo"') });
    expect(await run(['migrate', '--from', 'local', '--to', 'mongo'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('migrate needs a MongoDB URI.'),
    });
    expect(
      await run(['migrate', '--from', 'local', '--to', 'postgres'], { env: { MONGODB_URI: 'mongodb://x' } }),
    ).toMatchObject({ code: 2, err: expect.stringContaining('Invalid --to "postgres"') });
    // The embedded store takes any number of writers: migrating into it while serve has it open works.
    const held = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
    try {
      const r = await run(['migrate', '--from', 'mongo', '--to', 'local'], { env: { MONGODB_URI: server.uri() } });
      expect(r.code, r.err).toBe(0);
    } finally {
      await held.close();
    }
  });

  test('a target that loses documents fails the count check (exit 3 via StoreError)', async () => {
    const dir = await populatedLocalStore();
    const source = await openSqliteStore({ dir, readOnly: true });
    const target = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'lossy') });
    const real = target.collection.bind(target);
    // A target that acknowledges the doctors but keeps none of them.
    const dropsDoctors = (name: Parameters<Store['collection']>[0]) =>
      new Proxy(real(name), {
        get: (col, prop) => (prop === 'replaceOne' ? async () => 'inserted' : Reflect.get(col, prop).bind(col)),
      });
    const lossy: Store = {
      ...target,
      collection: ((name: Parameters<Store['collection']>[0]) =>
        name === 'doctors' ? dropsDoctors(name) : real(name)) as Store['collection'],
    };
    try {
      const err = await copyStore(source, lossy, {
        dryRun: false,
        progress: { start() {}, tick() {}, stop() {} },
      }).catch((e) => e);
      expect(err.exitCode).toBe(3);
      expect(err.message).toMatch(/^The count check failed: doctors has 0 of 5 in /);
    } finally {
      await target.close();
    }
  });

  test('a progress bar on a terminal', async () => {
    await populatedLocalStore();
    const r = await run(['migrate', '--from', 'local', '--to', 'mongo'], {
      tty: true,
      env: { MONGODB_URI: server.uri(), MONGODB_DB: `receptionist_migrate_${process.pid}_${++dbSeq}` },
    });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/Copying \S+\s+\[[█░]+\] \d+\/\d+/);
  });
});

test('logs on MongoDB skips a call log from a newer version, or without its fields, with a warning naming it', async () => {
  expect((await run(['seed'])).code).toBe(0);
  const dbName = `receptionist_migrate_${process.pid}_${++dbSeq}`;
  const env = { MONGODB_URI: server.uri(), MONGODB_DB: dbName };
  const store = await openMongoStore({ uri: env.MONGODB_URI, dbName });
  const row = {
    ...emptyCallLog('', ''),
    callType: 'webCall',
    assistantId: 'a',
    startedAt: '',
    durationSeconds: 1,
    endedReason: 'x',
  };
  await store.callLogs.append({ ...row, callId: 'call_ok', endedAt: '2026-11-20T10:00:00.000Z' });
  await store.callLogs.append({
    ...row,
    callId: 'call_v2',
    endedAt: '2026-11-20T11:00:00.000Z',
    schemaVersion: 2,
  } as never);
  await store.callLogs.append({
    ...row,
    callId: 'call_broken',
    endedAt: '2026-11-20T12:00:00.000Z',
    transcript: 42,
  } as never);
  await store.close();
  const r = await run(['logs', '--json'], { env });
  expect(r.code).toBe(0);
  expect(JSON.parse(r.out).map((x: { callId: string }) => x.callId)).toEqual(['call_ok']);
  expect(r.err.trim().split('\n')).toEqual([
    'Warning: call log call_broken: "transcript" must be string; skipped.',
    'Warning: call log call_v2: written by a newer receptionist (schemaVersion 2; this build reads 1); skipped.',
  ]);
});

describe('migrate --from nedb and --cleanup', () => {
  const FIXTURE = path.join(process.cwd(), 'test', 'fixtures', 'nedb-store', 'data');
  const counts = async (dir: string) => {
    const store = await openSqliteStore({ dir, readOnly: true });
    try {
      return {
        doctors: await store.collection('doctors').count({}),
        customers: await store.collection('customers').count({}),
        users: await store.collection('users').count({}),
        calls: (await store.callLogs.list()).map((r) => r.callId).sort(),
        audit: (await store.audit.list()).length,
      };
    } finally {
      await store.close();
    }
  };

  test('--from nedb --nedb-dir copies a NeDB folder into an existing store, idempotent, leaving that folder as it is', async () => {
    expect((await run(['seed'])).code).toBe(0);
    const old = path.join(ctx.tmp.dir, 'old-data');
    fs.cpSync(FIXTURE, old, { recursive: true });
    const first = await run(['migrate', '--from', 'nedb', '--to', 'local', '--nedb-dir', old, '--json']);
    expect(first.code, first.err).toBe(0);
    const report = JSON.parse(first.out) as { collections: Array<{ name: string; source: number; inTarget: number }> };
    expect(report.collections.find((c) => c.name === 'call_logs')).toMatchObject({ source: 2, inTarget: 2 });
    expect(report.collections.find((c) => c.name === 'users')).toMatchObject({ source: 1, inTarget: 1 });
    expect(await counts(path.join(ctx.tmp.dir, 'store'))).toMatchObject({
      doctors: 5,
      users: 1,
      calls: ['call_fixture_1', 'call_fixture_2'],
    });
    // Again: nothing new; the folder it read from is untouched.
    const again = JSON.parse(
      (await run(['migrate', '--from', 'nedb', '--to', 'local', '--nedb-dir', old, '--json'])).out,
    );
    expect(again.collections.every((c: { inserted: number; replaced: number }) => c.inserted + c.replaced === 0)).toBe(
      true,
    );
    expect(fs.readdirSync(old).sort()).toEqual(fs.readdirSync(FIXTURE).sort());
    expect(again.backup).toBeUndefined();
  });

  test('--cleanup removes a backup only when every record in it is in the store; a missing one keeps it (exit 3)', async () => {
    const dir = path.join(ctx.tmp.dir, 'store');
    fs.cpSync(FIXTURE, dir, { recursive: true });
    // The first open imports the NeDB files and keeps them in nedb-backup-<time>/.
    expect((await run(['logs', '--json'])).code).toBe(0);
    const [backup] = fs.readdirSync(dir).filter((f) => f.startsWith('nedb-backup-'));
    expect(backup).toBeDefined();
    const dry = await run(['migrate', '--cleanup', '--dry-run', '--json']);
    expect(dry.code, dry.err).toBe(0);
    const planned = JSON.parse(dry.out) as {
      backups: Array<{ path: string; records: number; inStore: number; removed: boolean }>;
    };
    expect(planned.backups).toEqual([
      {
        path: path.join(dir, backup!),
        records: expect.any(Number),
        inStore: planned.backups[0]!.records,
        removed: false,
      },
    ]);
    expect(fs.existsSync(path.join(dir, backup!))).toBe(true);
    // A record of the backup that the store lost: the backup stays.
    const store = await openSqliteStore({ dir });
    await store.collection('doctors').deleteMany({ _id: (await store.collection('doctors').findOne({}))!._id });
    await store.close();
    const refused = await run(['migrate', '--cleanup']);
    expect(refused.code).toBe(3);
    expect(refused.err).toMatch(/lacks records of .*nedb-backup-.* \(\d+ of \d+\); nothing was removed/);
    expect(fs.existsSync(path.join(dir, backup!))).toBe(true);
    // Copied back from the backup, then removed.
    expect(
      (await run(['migrate', '--from', 'nedb', '--to', 'local', '--nedb-dir', path.join(dir, backup!)])).code,
    ).toBe(0);
    const done = await run(['migrate', '--cleanup']);
    expect(done.code, done.err).toBe(0);
    expect(done.err).toMatch(/Removed 1 NeDB backup\(s\); every record is in /);
    expect(fs.readdirSync(dir).filter((f) => f.startsWith('nedb-backup-'))).toEqual([]);
    expect((await run(['migrate', '--cleanup'])).err).toContain('No NeDB backup to remove.');
  });

  test('bad input: --cleanup with a backend, --nedb-dir without --from nedb, --to nedb, a folder without NeDB files', async () => {
    expect(await run(['migrate', '--cleanup', '--from', 'nedb'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--cleanup takes no --from, --to or --nedb-dir.'),
    });
    expect(await run(['migrate', '--from', 'local', '--to', 'mongo', '--nedb-dir', 'x'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('--nedb-dir goes with --from nedb.'),
    });
    expect(await run(['migrate', '--from', 'local', '--to', 'nedb'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('Invalid --to "nedb"'),
    });
    expect(await run(['migrate', '--to', 'local'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('migrate needs --from.'),
    });
    const empty = path.join(ctx.tmp.dir, 'empty');
    fs.mkdirSync(empty);
    expect(await run(['migrate', '--from', 'nedb', '--to', 'local', '--nedb-dir', empty])).toMatchObject({
      code: 3,
      err: expect.stringContaining('holds no store of the NeDB version'),
    });
  });
});
