import { emptyCallLog } from '../../src/domain/call-log-query.js';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { DateTime } from 'luxon';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { isConnectionError, openMongoStore } from '../../src/store/mongo/index.js';
import { DuplicateKeyError, type CallLogRecord, type Store } from '../../src/store/types.js';
import { MONDAY_DOCTOR, tempDir, testAppointmentBook, rawCollection } from '../support/store.js';
import { startMongoDouble } from '../support/mongo-double.js';
import { useMongo } from '../support/mongo.js';

// One contract for both backends. MongoDB: MONGODB_URI when set, else the wire-protocol
// double, so the real driver runs end to end either way.
const server = useMongo();

let dbSeq = 0;
const backends: Array<[string, () => Promise<{ store: Store; cleanup: () => void }>]> = [
  [
    'sqlite',
    async () => {
      const tmp = tempDir();
      return { store: await openSqliteStore({ dir: tmp.dir }), cleanup: tmp.cleanup };
    },
  ],
  [
    'mongo',
    async () => {
      const store = await openMongoStore({
        uri: server.uri(),
        dbName: `receptionist_contract_${process.pid}_${++dbSeq}`,
      });
      return { store, cleanup: () => {} };
    },
  ],
];

const rec = (callId: string, endedAt: string): CallLogRecord => ({
  ...emptyCallLog(callId, endedAt),
  callType: 'webCall',
  assistantId: 'a',
  startedAt: '',
  endedAt,
  durationSeconds: 1,
  endedReason: 'x',
});

describe.each(backends)('store contract: %s', (_name, open) => {
  let store: Store;
  let cleanup: () => void;
  beforeEach(async () => {
    ({ store, cleanup } = await open());
  });
  afterEach(async () => {
    await store.close();
    cleanup();
  });

  test('a text range matches text only; a covered read gives the fields alone', async () => {
    const col = rawCollection(store, 'doctors');
    for (const [id, s] of [
      ['t', 'dr-b|2026'],
      ['n', 5],
      ['y', true],
      ['z', null],
      ['w', undefined],
      ['o', 'dr-c|2026'],
    ] as const)
      await col.insertOne({ _id: id, name: id, ...(s === undefined ? {} : { s }) });
    expect((await col.find({ s: { $gte: 'dr-b|', $lt: 'dr-b|~' } }, { sort: { _id: 1 } })).map((d) => d._id)).toEqual([
      't',
    ]);
    expect(await col.count({ s: { $gt: '', $lte: 'zzz' } })).toBe(2);
    expect(await col.find({ s: { $gte: 'dr-c|', $lt: 'dr-c|~' } }, { fields: ['s', 'name'], covered: true })).toEqual([
      { s: 'dr-c|2026', name: 'o' },
    ]);
  });

  test('find, sort, limit, count, update operators, upsert, delete', async () => {
    const col = rawCollection(store, 'doctors');
    for (const [id, n] of [
      ['a', 3],
      ['b', 1],
      ['c', 2],
    ] as const)
      await col.insertOne({ _id: id, n, name: id });
    expect((await col.find({ n: { $gte: 2 } }, { sort: { n: -1 }, limit: 1 })).map((d) => d._id)).toEqual(['a']);
    expect(await col.count({ n: { $in: [1, 2] } })).toBe(2);
    expect(await col.updateOne({ _id: 'b' }, { $set: { x: 1 }, $inc: { n: 5 }, $unset: { name: true } })).toEqual({
      matched: 1,
    });
    expect(await col.findOne({ _id: 'b' })).toEqual({ _id: 'b', n: 6, x: 1 });
    expect(await col.updateOne({ _id: 'zz' }, { $set: { n: 0 } })).toEqual({ matched: 0 });
    await col.updateOne({ _id: 'd' }, { $set: { n: 9 } }, { upsert: true });
    expect(await col.findOne({ _id: 'd' })).toEqual({ _id: 'd', n: 9 });
    expect(await col.updateMany({ n: { $gt: 2 } }, { $set: { big: true } })).toEqual({ matched: 3 });
    expect(await col.deleteMany({ big: true })).toEqual({ deleted: 3 });
    expect(await col.count({})).toBe(1);
  });

  test('a unique sparse index binds only documents that have the field, and names itself in DuplicateKeyError', async () => {
    const col = rawCollection(store, 'appointments');
    await col.insertOne({ _id: 'a', appointmentId: 'a', activeSlot: 'dr|t1' });
    const err = await col.insertOne({ _id: 'b', appointmentId: 'b', activeSlot: 'dr|t1' }).catch((e) => e);
    expect(err).toBeInstanceOf(DuplicateKeyError);
    expect(err.key).toBe('activeSlot');
    await col.insertOne({ _id: 'c', appointmentId: 'c' });
    await col.insertOne({ _id: 'd', appointmentId: 'd' });
    await col.updateOne({ _id: 'a' }, { $unset: { activeSlot: true } });
    await col.insertOne({ _id: 'e', appointmentId: 'e', activeSlot: 'dr|t1' });
    expect(await col.count({ activeSlot: { $exists: true } })).toBe(1);
  });

  test('call logs: one per call id, newest first, since; audit and chats append', async () => {
    expect(await store.callLogs.append(rec('c1', '2026-11-20T10:00:00.000Z'))).toBe(true);
    expect(await store.callLogs.append(rec('c1', '2026-11-20T10:00:00.000Z'))).toBe(false);
    await store.callLogs.append(rec('c2', '2026-11-21T10:00:00.000Z'));
    expect((await store.callLogs.list()).map((r) => r.callId)).toEqual(['c2', 'c1']);
    expect((await store.callLogs.list({ since: new Date('2026-11-21T00:00:00Z') })).map((r) => r.callId)).toEqual([
      'c2',
    ]);
    expect(await store.callLogs.has('c1')).toBe(true);
    // The store filters and limits: by call id, by caller blind index (never matching ''), newest first.
    await store.callLogs.append({ ...rec('c3', '2026-11-22T10:00:00.000Z'), customerIndex: 'idx-asha' });
    await store.callLogs.append({ ...rec('c4', '2026-11-23T10:00:00.000Z'), customerIndex: 'idx-asha' });
    expect((await store.callLogs.list({ limit: 2 })).map((r) => r.callId)).toEqual(['c4', 'c3']);
    expect((await store.callLogs.list({ customerIndex: 'idx-asha', limit: 1 })).map((r) => r.callId)).toEqual(['c4']);
    expect((await store.callLogs.list({ customerIndex: '' })).map((r) => r.callId)).toEqual([]);
    expect((await store.callLogs.list({ callId: 'c1' })).map((r) => r.callId)).toEqual(['c1']);
    // Totals where the data is: by ended reason, and in 15-minute buckets (10:07 and 10:14 share one).
    await store.callLogs.append({ ...rec('c5', '2026-11-23T10:14:59.000Z'), cost: 0.5, endedReason: 'y' });
    // A record an older build stored with impossible figures is counted, left out of the sums, and named.
    await store.callLogs.append({ ...rec('c6', '2026-11-22T11:00:00.000Z'), durationSeconds: -40, cost: 1e300 });
    const byReason = await store.callLogs.totals({ since: new Date('2026-11-21T00:00:00Z'), by: 'endedReason' });
    expect(byReason.sort((a, b) => a.key.localeCompare(b.key))).toEqual([
      { key: 'x', calls: 4, seconds: 3, cost: 0, costed: 0, outOfRange: ['c6'] },
      { key: 'y', calls: 1, seconds: 1, cost: 0.5, costed: 1, outOfRange: [] },
    ]);
    const buckets = await store.callLogs.totals({ since: new Date('2026-11-23T00:00:00Z'), by: 'quarterHour' });
    expect(buckets).toEqual([
      { key: '2026-11-23T10:00:00.000Z', calls: 2, seconds: 2, cost: 0.5, costed: 1, outOfRange: [] },
    ]);
    expect(await store.callLogs.rewrite((r) => (['c3', 'c4', 'c5', 'c6'].includes(r.callId) ? null : r))).toBe(4);
    // rewrite: a transform changes rows, null removes one (and its id may be logged again).
    expect(await store.callLogs.rewrite((r) => (r.callId === 'c1' ? null : { ...r, endedReason: 'rewritten' }))).toBe(
      2,
    );
    expect((await store.callLogs.list()).map((r) => [r.callId, r.endedReason])).toEqual([['c2', 'rewritten']]);
    expect(await store.callLogs.has('c1')).toBe(false);
    expect(await store.callLogs.append(rec('c1', '2026-11-20T10:00:00.000Z'))).toBe(true);
    await store.audit.append({ at: '2026-11-21T00:00:00.000Z', user: 'u', action: 'decrypt', details: { n: 1 } });
    expect(await store.audit.list()).toEqual([
      { at: '2026-11-21T00:00:00.000Z', user: 'u', action: 'decrypt', details: { n: 1 } },
    ]);
  });

  test('call logs stream a page at a time in the order list gives, ties broken by call id; startAt resumes a listing', async () => {
    // More rows than four pages (250 each), three to a timestamp, so pages end inside a tie.
    const ids = Array.from({ length: 1_050 }, (_, i) => `call_${String(i).padStart(4, '0')}`);
    for (const [i, id] of ids.entries())
      await store.callLogs.append(rec(id, new Date(Date.UTC(2026, 10, 20, 0, Math.floor(i / 3))).toISOString()));
    const listed = (await store.callLogs.list()).map((r) => r.callId);
    expect(listed).toEqual([...ids].reverse());
    const streamed: string[] = [];
    for await (const r of store.callLogs.stream()) streamed.push(r.callId);
    expect(streamed).toEqual(listed);
    const limited: string[] = [];
    for await (const r of store.callLogs.stream({ limit: 1_001 })) limited.push(r.callId);
    expect(limited).toEqual(listed.slice(0, 1_001));
    const from = (await store.callLogs.list({ callId: listed[500]! }))[0]!;
    const resumed: string[] = [];
    for await (const r of store.callLogs.stream({ startAt: { at: from.endedAt, callId: from.callId }, limit: 3 }))
      resumed.push(r.callId);
    expect(resumed).toEqual(listed.slice(500, 503));
  });

  test("changes: the embedded store says what this process wrote; MongoDB can't tell, so nothing is kept", async () => {
    const col = rawCollection(store, 'doctors');
    const before = await col.changes();
    await col.insertOne({ _id: 'x', name: 'X' });
    const after = await col.changes(before?.version);
    if (store.kind === 'mongo') expect([before, after]).toEqual([undefined, undefined]);
    else expect(after?.changed).toEqual([{ _id: 'x', name: 'X' }]);
  });

  test('find with fields reads only those fields (and _id); a missing one is left out', async () => {
    const col = rawCollection(store, 'appointments');
    await col.insertOne({ _id: 'a1', appointmentId: 'A1', activeSlot: 'd|t1', startMs: 5, patientName: 'x' });
    await col.insertOne({ _id: 'a2', appointmentId: 'A2', startMs: 6 });
    expect(await col.find({}, { sort: { startMs: 1 }, fields: ['activeSlot', 'startMs'] })).toEqual([
      { _id: 'a1', activeSlot: 'd|t1', startMs: 5 },
      { _id: 'a2', startMs: 6 },
    ]);
  });

  test('atomically: the writes of a step commit together, none of them when it throws; a step in a step joins it', async () => {
    const col = rawCollection(store, 'doctors');
    const kept = await store.atomically(async () => {
      await col.insertOne({ _id: 'a', name: 'A' });
      await store.atomically(() => col.insertOne({ _id: 'b', name: 'B' }));
      return 'done';
    });
    expect(kept).toBe('done');
    const err = await store
      .atomically(async () => {
        await col.insertOne({ _id: 'c', name: 'C' });
        await col.updateOne({ _id: 'a' }, { $set: { name: 'changed' } });
        await store.collection('appointments').deleteMany({});
        throw new Error('crash in the middle');
      })
      .catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe('crash in the middle');
    expect((await col.find({}, { sort: { _id: 1 } })).map((d) => [d._id, d.name])).toEqual([
      ['a', 'A'],
      ['b', 'B'],
    ]);
  });

  test('BOOK-1 on this backend: 200 concurrent claims of one slot, exactly one wins', async () => {
    const book = testAppointmentBook(store);
    const doctor = MONDAY_DOCTOR;
    const start = DateTime.fromISO('2026-11-23T10:00:00', { zone: 'Asia/Kolkata' });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => book.hold(doctor, start, { sourceKey: `s${i}` })),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
    expect(await store.collection('appointments').count({ activeSlot: { $exists: true } })).toBe(1);
  });
});

test('a socket the server ended is a connection failure (found by bench/dur2.mjs: it was a 500), a server answer is not', () => {
  const ended = Object.assign(new Error('This socket has been ended by the other party'), { code: 'EPIPE' });
  expect(isConnectionError(ended)).toBe(true);
  expect(
    isConnectionError(
      new Error('wrapped', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) }),
    ),
  ).toBe(true);
  expect(isConnectionError(Object.assign(new Error('x'), { name: 'MongoServerSelectionError' }))).toBe(true);
  expect(
    isConnectionError(Object.assign(new Error('E11000 duplicate key'), { name: 'MongoServerError', code: 11000 })),
  ).toBe(false);
  expect(isConnectionError(new TypeError('undefined is not a function'))).toBe(false);
});

describe('MongoDB that cannot be used: one message naming the setting and the cause, a documented exit code', () => {
  test('unreachable: NetworkError (exit 6) within seconds', async () => {
    const started = Date.now();
    const err = await openMongoStore({
      uri: 'mongodb://127.0.0.1:9/?directConnection=true',
      serverSelectionTimeoutMS: 500,
      openWithinMS: 1000,
    }).catch((e) => e);
    expect(err.message).toMatch(
      /^MongoDB at mongodb:\/\/127\.0\.0\.1:9\/\?directConnection=true \(from MONGODB_URI\) is unreachable: no server answered \(connect ECONNREFUSED/,
    );
    expect(err.exitCode).toBe(6);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  test('a malformed URI: UsageError (exit 2) naming where it came from', async () => {
    const err = await openMongoStore({ uri: 'mongodb://host:notaport/db', source: '--mongodb-uri' }).catch((e) => e);
    expect(err.message).toMatch(/^Invalid MongoDB URI \(mongodb:\/\/host:notaport\/db, from --mongodb-uri\): /);
    expect(err.exitCode).toBe(2);
    const scheme = await openMongoStore({ uri: 'http://example.com' }).catch((e) => e);
    expect(scheme.exitCode).toBe(2);
  });

  test.skipIf(Boolean(process.env.MONGODB_URI))(
    'failed authentication: AuthError (exit 5), the password redacted',
    async () => {
      const uri = server.uri().replace('mongodb://', 'mongodb://clinic:hunter2@');
      const err = await openMongoStore({ uri, source: 'MONGODB_URI in .env' }).catch((e) => e);
      expect(err.message).toBe(
        `MongoDB at ${uri.replace('clinic:hunter2@', '***@')} (from MONGODB_URI in .env) refused the credentials: authentication failed.`,
      );
      expect(err.message).not.toContain('hunter2');
      expect(err.exitCode).toBe(5);
    },
  );

  test.skipIf(Boolean(process.env.MONGODB_URI))(
    'a user without the needed privileges: StoreError (exit 3) saying which role to grant',
    async () => {
      const d = await startMongoDouble();
      try {
        d.deny('createIndexes', {
          code: 13,
          codeName: 'Unauthorized',
          errmsg: 'not authorized on receptionist to execute command { createIndexes: "customers" }',
        });
        const err = await openMongoStore({ uri: d.uri }).catch((e) => e);
        expect(err.message).toMatch(
          /the user lacks the privileges receptionist needs \(not authorized on receptionist/,
        );
        expect(err.hint).toMatch(/readWrite/);
        expect(err.exitCode).toBe(3);
      } finally {
        await d.close();
      }
    },
  );
});

test('issue 28, MongoDB: the index the covering one replaced is dropped on open, the new one made', async () => {
  const { MongoClient } = await import('mongodb');
  const dbName = `receptionist_superseded_${process.pid}`;
  const client = await MongoClient.connect(server.uri());
  try {
    const appointments = client.db(dbName).collection('appointments');
    await appointments.createIndex({ activeSlot: 1, status: 1, holdExpiresAt: 1 }, { sparse: true });
    const store = await openMongoStore({ uri: server.uri(), dbName });
    await store.close();
    const keys = (await appointments.indexes()).map((ix) => Object.keys(ix.key).join(','));
    expect(keys).not.toContain('activeSlot,status,holdExpiresAt');
    expect(keys).toContain('activeSlot,status,holdExpiresAt,startMs');
  } finally {
    await client.db(dbName).dropDatabase();
    await client.close();
  }
});
