import { createHmac, scryptSync } from 'node:crypto';
import { expect, test } from 'vitest';
import {
  BLIND_INDEX_SCRYPT,
  blindIndex,
  blindIndexCheck,
  blindNameIndex,
  compareBlindIndexCheck,
  prepareBlindIndexes,
} from '../../src/crypto/blind-index.js';

// Issue 13 item 4 (ENC-7): 338k guesses/s per core recovered numbers from the plain-HMAC index.
// The index is now HMAC(key, kind ‖ scrypt(value, keyed salt)), written out here from its definition.
const KEY = Buffer.alloc(32, 5);
const byDefinition = (kind: string, value: string) => {
  const salt = createHmac('sha256', KEY).update(`salt:${kind}`).digest();
  const stretched = scryptSync(value, salt, 32, { ...BLIND_INDEX_SCRYPT, maxmem: 64 * 1024 * 1024 });
  return createHmac('sha256', KEY).update(`${kind}:`).update(stretched).digest('base64url');
};

test('each guess costs a memory-hard scrypt (≥ 8 MiB) under a keyed salt, then the keyed hash', () => {
  expect(128 * BLIND_INDEX_SCRYPT.N * BLIND_INDEX_SCRYPT.r).toBeGreaterThanOrEqual(8 * 1024 * 1024);
  expect(blindIndex(KEY, '+919812345678')).toBe(byDefinition('phone', '+919812345678'));
  expect(blindNameIndex(KEY, 'Dr. Ravi Kumar')).toBe(byDefinition('name', 'kumar ravi'));
  // Another key, another index: nothing can be computed ahead without the key.
  expect(blindIndex(Buffer.alloc(32, 6), '+919812345678')).not.toBe(blindIndex(KEY, '+919812345678'));
  // The old plain HMAC is not what is stored any more.
  expect(blindIndex(KEY, '+919812345678')).not.toBe(
    createHmac('sha256', KEY).update('phone:+919812345678').digest('base64url'),
  );
});

test('prepared on the thread pool, an index is the same one the synchronous path computes', async () => {
  const numbers = Array.from({ length: 8 }, (_, i) => `+91981234${String(5600 + i)}`);
  await prepareBlindIndexes(KEY, { phones: numbers, names: ['Asha Verma'] });
  expect(numbers.map((n) => blindIndex(KEY, n))).toEqual(numbers.map((n) => byDefinition('phone', n)));
  expect(blindNameIndex(KEY, 'asha verma')).toBe(byDefinition('name', 'asha verma'));
});

test('the check value tells this version and key from an older version, and from another key', () => {
  const legacy = createHmac('sha256', KEY).update('receptionist blind-index check v1').digest('base64url').slice(0, 22);
  expect(compareBlindIndexCheck(blindIndexCheck(KEY), KEY)).toBe('current');
  expect(compareBlindIndexCheck(legacy, KEY)).toBe('older-version');
  expect(compareBlindIndexCheck(blindIndexCheck(Buffer.alloc(32, 1)), KEY)).toBe('other-key');
});
