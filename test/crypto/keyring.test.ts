import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import {
  activeSealingKey,
  activeSealingKeys,
  addUser,
  changePassword,
  initKeyring,
  KeyringAuthError,
  listUsers,
  namesOnly,
  removeUser,
  rotate,
  unlock,
} from '../../src/domain/keyring.js';
import { open, seal, SealError } from '../../src/crypto/seal.js';
import { tempDir } from '../support/store.js';

const FAST = { N: 2 ** 10, r: 8, p: 1 };
const NOW = new Date('2026-11-21T04:30:00Z');
let tmp: ReturnType<typeof tempDir>;
let store: Store;
beforeEach(async () => {
  tmp = tempDir();
  store = await openSqliteStore({ dir: tmp.dir });
});
afterEach(async () => {
  await store.close();
  tmp.cleanup();
});

const ctx = { collection: 'call_logs', recordId: 'call_1', field: 'transcript' };

describe('keyring', () => {
  test('init creates one admin and an active key; only that admin can open what is sealed to it', async () => {
    const { keyId } = await initKeyring(store, 'asha', 'pw-asha', NOW, FAST);
    const key = (await activeSealingKey(store))!;
    expect(key.keyId).toBe(keyId);
    const sealed = seal('AI: hello', ctx, key);
    const me = await unlock(store, 'asha', 'pw-asha');
    expect(open(sealed, ctx, me.dataKeys)).toBe('AI: hello');
    await expect(initKeyring(store, 'bob', 'x', NOW, FAST)).rejects.toThrow('A keyring exists already.');
  });

  test('a wrong password and an unknown user get the same error (ENC-6)', async () => {
    await initKeyring(store, 'asha', 'pw-asha', NOW, FAST);
    await expect(unlock(store, 'asha', 'wrong')).rejects.toEqual(new KeyringAuthError());
    await expect(unlock(store, 'nobody', 'pw-asha')).rejects.toEqual(new KeyringAuthError());
  });

  test('a second admin can read everything; passwd re-wraps without re-encrypting; the last admin stays', async () => {
    await initKeyring(store, 'asha', 'pw-asha', NOW, FAST);
    const sealed = seal('secret', ctx, (await activeSealingKey(store))!);
    await addUser(store, await unlock(store, 'asha', 'pw-asha'), 'ravi', 'pw-ravi', NOW, FAST);
    expect(open(sealed, ctx, (await unlock(store, 'ravi', 'pw-ravi')).dataKeys)).toBe('secret');
    await changePassword(store, await unlock(store, 'ravi', 'pw-ravi'), 'new-ravi', NOW, FAST);
    await expect(unlock(store, 'ravi', 'pw-ravi')).rejects.toBeInstanceOf(KeyringAuthError);
    expect(open(sealed, ctx, (await unlock(store, 'ravi', 'new-ravi')).dataKeys)).toBe('secret');
    await removeUser(store, 'ravi');
    expect((await listUsers(store)).map((u) => u._id)).toEqual(['asha']);
    await expect(removeUser(store, 'asha')).rejects.toThrow(/The last admin cannot be removed/);
  });

  test('ENC-5: after rotation old records stay readable, new ones use the new key, for every admin', async () => {
    await initKeyring(store, 'asha', 'pw-asha', NOW, FAST);
    await addUser(store, await unlock(store, 'asha', 'pw-asha'), 'ravi', 'pw-ravi', NOW, FAST);
    const before = seal('old', ctx, (await activeSealingKey(store))!);
    const { keyId, retired } = await rotate(store, await unlock(store, 'asha', 'pw-asha'), NOW);
    // The admin key and the receptionist key, both replaced.
    expect(retired).toHaveLength(2);
    const key = (await activeSealingKey(store))!;
    expect(key.keyId).toBe(keyId);
    const after = seal('new', ctx, key);
    for (const [u, pw] of [
      ['asha', 'pw-asha'],
      ['ravi', 'pw-ravi'],
    ]) {
      const me = await unlock(store, u!, pw!);
      expect([open(before, ctx, me.dataKeys), open(after, ctx, me.dataKeys)]).toEqual(['old', 'new']);
    }
  });

  test('ENC-3: with everything serve holds (the store and public keys) nothing sealed can be opened', async () => {
    await initKeyring(store, 'asha', 'pw-asha', NOW, FAST);
    const key = (await activeSealingKey(store))!;
    const sealed = seal('+919812345678', ctx, key);
    // What serve can build from the store: the public key only, under any key id.
    const publicOnly = new Map([
      [key.keyId, { keyId: key.keyId, publicKey: key.publicKey, privateKey: Buffer.from(key.publicKey, 'base64url') }],
    ]);
    expect(() => open(sealed, ctx, publicOnly)).toThrow(SealError);
    expect(() => open(sealed, ctx, new Map())).toThrow(SealError);
    // The stored keyring holds no private key in the clear.
    const dump = JSON.stringify([await store.collection('keys').find({}), await store.collection('users').find({})]);
    const me = await unlock(store, 'asha', 'pw-asha');
    for (const k of me.dataKeys.values()) expect(dump).not.toContain(k.privateKey.toString('base64url'));
    expect(dump).not.toContain(me.userKey.privateKey.toString('base64url'));
  });

  test("namesOnly leaves an admin's unlocked keys able to open names only (a studio session's keys)", async () => {
    await initKeyring(store, 'asha', 'pw-asha', NOW, FAST);
    const keys = await activeSealingKeys(store);
    const name = seal('Ravi Kumar', { ...ctx, field: 'patientName' }, keys.receptionist!);
    const transcript = seal('AI: hello', ctx, keys.admin!);
    const me = await unlock(store, 'asha', 'pw-asha');
    const wrapped = me.userKey.privateKey;
    const names = await namesOnly(store, me);
    expect(open(name, { ...ctx, field: 'patientName' }, names.dataKeys)).toBe('Ravi Kumar');
    expect(() => open(transcript, ctx, names.dataKeys)).toThrow(SealError);
    expect([...names.dataKeys.keys()]).toEqual([keys.receptionist!.keyId]);
    // The user's own key (which opens every grant) is overwritten too.
    expect(wrapped.every((b) => b === 0)).toBe(true);
  });
});

describe('issue 25 finding 8: parallel guesses wait as sequential ones would', () => {
  test('24 wrong passwords at once: the first five go at once, each one after waits longer (1 s, 2 s, … 30 s)', async () => {
    await initKeyring(store, 'asha', 'pw-asha', NOW, FAST);
    const waits: number[] = [];
    // The guard's sleep records the wait instead of sleeping: the clock is the test's.
    const guard = { now: NOW, sleep: async (ms: number) => void waits.push(ms), command: 'studio' };
    const results = await Promise.allSettled(Array.from({ length: 24 }, () => unlock(store, 'asha', 'wrong', guard)));
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
    expect(waits.length).toBe(19);
    expect(Math.min(...waits)).toBe(1000);
    expect(Math.max(...waits)).toBe(30_000);
    // Sequentially afterwards: the 24 audited failures keep the next one at the cap.
    await expect(unlock(store, 'asha', 'wrong', guard)).rejects.toBeInstanceOf(KeyringAuthError);
    expect(waits.at(-1)).toBe(30_000);
  });
});
