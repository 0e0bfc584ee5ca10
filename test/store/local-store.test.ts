import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openLocalStore } from '../../src/store/local/index.js';
import { DuplicateKeyError } from '../../src/store/types.js';
import { tempDir } from '../support/store.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

test('one writer per directory; a lock left by a dead process is taken over at once', async () => {
  const a = await openLocalStore({ dir: tmp.dir, purpose: 'first' });
  await expect(openLocalStore({ dir: tmp.dir, purpose: 'second' })).rejects.toThrow(
    /is in use by another receptionist process \(pid \d+, first\)/,
  );
  await a.close();
  fs.writeFileSync(path.join(tmp.dir, 'LOCK'), JSON.stringify({ pid: 2 ** 22 + 12345, purpose: 'crashed' }));
  const b = await openLocalStore({ dir: tmp.dir, purpose: 'after crash' });
  await b.close();
  expect(fs.existsSync(path.join(tmp.dir, 'LOCK'))).toBe(false);
});

test('a read-only snapshot sees committed writes while the writer holds the lock, and cannot write', async () => {
  const w = await openLocalStore({ dir: tmp.dir, purpose: 'writer' });
  await w.collection('doctors').insertOne({ _id: 'd1', name: 'A' });
  await w.collection('doctors').insertOne({ _id: 'd2', name: 'B' });
  await w.collection('doctors').deleteMany({ _id: 'd1' });
  const r = await openLocalStore({ dir: tmp.dir, readOnly: true });
  expect((await r.collection('doctors').find({})).map((d) => d._id)).toEqual(['d2']);
  await expect(r.collection('doctors').insertOne({ _id: 'x' })).rejects.toThrow(/read-only/);
  await r.close();
  await w.close();
});

test('unique sparse indexes: one active appointment per slot, any number of inactive ones', async () => {
  const s = await openLocalStore({ dir: tmp.dir });
  const col = s.collection('appointments');
  await col.insertOne({ _id: 'a', appointmentId: 'a', activeSlot: 'dr|t' });
  await expect(col.insertOne({ _id: 'b', appointmentId: 'b', activeSlot: 'dr|t' })).rejects.toMatchObject({
    name: 'DuplicateKeyError',
    key: 'activeSlot',
  });
  await col.insertOne({ _id: 'c', appointmentId: 'c' });
  await col.insertOne({ _id: 'd', appointmentId: 'd' });
  expect(await col.count({})).toBe(3);
  await s.close();
  expect(DuplicateKeyError).toBeDefined();
});

test('a torn last line of a datafile is cut off with a warning; real corruption is refused clearly', async () => {
  const s = await openLocalStore({ dir: tmp.dir });
  await s.collection('doctors').insertOne({ _id: 'd1', name: 'A' });
  await s.close();
  const file = path.join(tmp.dir, 'doctors.db');
  fs.appendFileSync(file, '{"_id":"d2","na');
  const warnings: string[] = [];
  const again = await openLocalStore({ dir: tmp.dir, onWarning: (w) => warnings.push(w) });
  expect((await again.collection('doctors').find({})).map((d) => d._id)).toEqual(['d1']);
  await again.close();
  expect(warnings).toEqual([`${file}: dropped 15 bytes of an unfinished last write`]);
  fs.writeFileSync(file, 'garbage\n'.repeat(20));
  await expect(openLocalStore({ dir: tmp.dir })).rejects.toThrow(/The store file .*doctors\.db is corrupt/);
});
