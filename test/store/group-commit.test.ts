import fs from 'node:fs';
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { StoreUnavailableError, type Store } from '../../src/store/types.js';
import { rawCollection, tempDir } from '../support/store.js';

// Group commit (issue 28): a write resolves only after an fdatasync of the WAL that began after its
// COMMIT; steps that commit while a sync runs share the next one; a failed sync poisons the store.
// fs.fdatasync is held and released by the test, so nothing here depends on the disk's speed.

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let held: Array<{ fd: number; done: (err: NodeJS.ErrnoException | null) => void }>;
let hold = false;
let calls = 0;

beforeEach(async () => {
  tmp = tempDir();
  store = await openSqliteStore({ dir: tmp.dir });
  held = [];
  hold = false;
  calls = 0;
  const real = fs.fdatasync;
  vi.spyOn(fs, 'fdatasync').mockImplementation(((fd: number, cb: (err: NodeJS.ErrnoException | null) => void) => {
    calls++;
    if (hold) held.push({ fd, done: cb });
    else real(fd, cb);
  }) as typeof fs.fdatasync);
});
afterEach(async () => {
  for (const h of held.splice(0)) h.done(null);
  vi.restoreAllMocks();
  await store.close();
  tmp.cleanup();
});

/** Whether `p` has settled by the time the event loop has turned a few times. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

test('a write is not acknowledged before the WAL sync that follows its commit has returned', async () => {
  const col = rawCollection(store, 'doctors');
  hold = true;
  const write = col.insertOne({ _id: 'a', name: 'A' });
  expect(await settled(write)).toBe(false);
  expect(held).toHaveLength(1);
  // Committed already (readable), but not yet durable: the promise waits.
  expect(await col.findOne({ _id: 'a' })).toMatchObject({ name: 'A' });
  held.shift()!.done(null);
  await expect(write).resolves.toMatchObject({ _id: 'a' });
});

test('a sync that began before a commit does not count for it: that write waits for the next one', async () => {
  const col = rawCollection(store, 'doctors');
  hold = true;
  const first = col.insertOne({ _id: 'a', name: 'A' });
  await settled(first);
  const second = col.insertOne({ _id: 'b', name: 'B' });
  expect(await settled(second)).toBe(false);
  held.shift()!.done(null);
  expect(await settled(first)).toBe(true);
  expect(await settled(second)).toBe(false);
  expect(held).toHaveLength(1);
  held.shift()!.done(null);
  await expect(second).resolves.toMatchObject({ _id: 'b' });
});

test('twenty steps committed while a sync runs share the next sync, and each waits for it', async () => {
  const col = rawCollection(store, 'doctors');
  hold = true;
  const first = store.atomically(() => col.insertOne({ _id: 'first', name: 'F' }));
  await settled(first);
  const steps = Array.from({ length: 20 }, (_, i) =>
    store.atomically(async () => {
      await col.insertOne({ _id: `s${i}`, name: String(i) });
      return i;
    }),
  );
  expect(await settled(Promise.all(steps))).toBe(false);
  expect(calls).toBe(1);
  held.shift()!.done(null);
  expect(await settled(Promise.all(steps))).toBe(false);
  expect(calls).toBe(2);
  held.shift()!.done(null);
  expect(await Promise.all(steps)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(calls).toBe(2);
});

test('a failed sync: that write fails as the store being unavailable, and so does everything after it', async () => {
  const col = rawCollection(store, 'doctors');
  hold = true;
  const write = col.insertOne({ _id: 'a', name: 'A' });
  await settled(write);
  held.shift()!.done(Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' }));
  await expect(write).rejects.toBeInstanceOf(StoreUnavailableError);
  await expect(write).rejects.toThrow(/cannot make the store's last writes durable \(EIO/);
  await expect(col.findOne({ _id: 'a' })).rejects.toBeInstanceOf(StoreUnavailableError);
  await expect(store.atomically(() => col.insertOne({ _id: 'b', name: 'B' }))).rejects.toBeInstanceOf(
    StoreUnavailableError,
  );
});

test('a read changes nothing and waits for no sync', async () => {
  const col = rawCollection(store, 'doctors');
  await col.insertOne({ _id: 'a', name: 'A' });
  hold = true;
  const before = calls;
  expect(await col.find({})).toHaveLength(1);
  expect(await col.updateMany({ _id: 'nobody' }, { $set: { name: 'x' } })).toEqual({ matched: 0 });
  expect(calls).toBe(before);
});
