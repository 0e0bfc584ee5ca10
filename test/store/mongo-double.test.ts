import { rawCollection } from '../support/store.js';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { MongoClient, MongoServerError } from 'mongodb';
import { startMongoDouble, type MongoDouble } from '../support/mongo-double.js';

let double: MongoDouble;
let client: MongoClient;
beforeEach(async () => {
  double = await startMongoDouble();
  client = new MongoClient(double.uri, { serverSelectionTimeoutMS: 2000 });
  await client.connect();
});
afterEach(async () => {
  await client.close();
  await double.close();
});

test('the official driver works against the double: CRUD, sort/limit, count, upsert', async () => {
  const col = client.db('t').collection<{ _id: string; a?: number; b?: string }>('things');
  await col.insertOne({ _id: 'x', a: 1 });
  await col.insertMany([
    { _id: 'y', a: 3 },
    { _id: 'z', a: 2 },
  ]);
  expect(
    (
      await col
        .find({ a: { $gte: 2 } })
        .sort({ a: -1 })
        .limit(1)
        .toArray()
    ).map((d) => d._id),
  ).toEqual(['y']);
  expect(await col.countDocuments({ a: { $gt: 1 } })).toBe(2);
  expect((await col.updateOne({ _id: 'x' }, { $set: { b: 'hi' }, $inc: { a: 10 } })).modifiedCount).toBe(1);
  expect(await col.findOne({ _id: 'x' })).toEqual({ _id: 'x', a: 11, b: 'hi' });
  const up = await col.updateOne({ _id: 'w' }, { $set: { a: 7 } }, { upsert: true });
  expect(up.upsertedId).toBe('w');
  expect((await col.deleteMany({ a: { $lt: 5 } })).deletedCount).toBe(2);
});

test('unique partial indexes are enforced with error 11000, like MongoDB', async () => {
  const col = client.db('t').collection('appts');
  await col.createIndex(
    { activeSlot: 1 },
    { unique: true, partialFilterExpression: { activeSlot: { $exists: true } } },
  );
  await col.insertOne({ _id: 'a' as never, activeSlot: 'dr|t1' });
  const err = await col.insertOne({ _id: 'b' as never, activeSlot: 'dr|t1' }).catch((e) => e);
  expect(err).toBeInstanceOf(MongoServerError);
  expect(err.code).toBe(11000);
  expect(err.keyPattern).toEqual({ activeSlot: 1 });
  await col.insertOne({ _id: 'c' as never });
  await col.insertOne({ _id: 'd' as never });
  expect(await col.countDocuments({})).toBe(3);
});

test('a standalone server: the store warns once that steps are not atomic, and runs them write by write', async () => {
  const standalone = await startMongoDouble({ standalone: true });
  const warnings: string[] = [];
  const { openMongoStore } = await import('../../src/store/mongo/index.js');
  const store = await openMongoStore({ uri: standalone.uri, onWarning: (m) => warnings.push(m) });
  try {
    expect(warnings).toEqual([
      expect.stringMatching(/is a standalone server, which has no multi-document transactions/),
    ]);
    const col = rawCollection(store, 'doctors');
    const err = await store
      .atomically(async () => {
        await col.insertOne({ _id: 'kept', name: 'x' });
        throw new Error('fails after a write');
      })
      .catch((e: Error) => e.message);
    expect(err).toBe('fails after a write');
    // Without a transaction the write stands (what the warning says).
    expect(await col.count({})).toBe(1);
  } finally {
    await store.close();
    await standalone.close();
  }
});
