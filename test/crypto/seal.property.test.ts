import { describe, expect, test } from 'vitest';
import fc from 'fast-check';
import {
  generateSealingKeyPair,
  open,
  seal,
  SealError,
  SENDING_KEY_LIMITS,
  type SealContext,
} from '../../src/crypto/seal.js';
import { OWASP_SCRYPT, unwrapWithPassword, UnwrapError, wrapWithPassword } from '../../src/crypto/password-kdf.js';
import { blindIndex, newBlindIndexKey, parseBlindIndexKey } from '../../src/crypto/blind-index.js';

const FIXED_MESSAGES = [
  'sealed value failed authentication (tampered, moved, or wrong key)',
  'sealed value is truncated',
];
const k1 = generateSealingKeyPair('k1');
const k2 = generateSealingKeyPair('k2');
const keys = new Map([
  [k1.keyId, k1],
  [k2.keyId, k2],
]);
const ctx = fc.record({
  collection: fc.constantFrom('call_logs', 'appointments', 'customers'),
  recordId: fc.string({ minLength: 1, maxLength: 20 }),
  field: fc.constantFrom('transcript', 'email', 'phone', 'summary'),
});

describe('ENC-1: sealed fields are authenticated and bound to their record and field', () => {
  test('round trips succeed (10,000 cases)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 300 }),
        ctx,
        fc.boolean(),
        (text, c, second) => open(seal(text, c, second ? k2 : k1), c, keys) === text,
      ),
      { numRuns: 10_000 },
    );
  });

  test('any flipped bit fails to open, and no plaintext comes out (10,000 cases)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), ctx, fc.nat(), fc.integer({ min: 0, max: 7 }), (text, c, at, bit) => {
        const sealed = seal(text, c, k1);
        const prefix = 'sealed:v1:k1:';
        const blob = Buffer.from(sealed.slice(prefix.length), 'base64url');
        blob[at % blob.length] = blob[at % blob.length]! ^ (1 << bit);
        try {
          open(prefix + blob.toString('base64url'), c, keys);
          return false;
        } catch (err) {
          // Only fixed messages: nothing of the plaintext can leak through the error.
          return err instanceof SealError && FIXED_MESSAGES.includes(err.message);
        }
      }),
      { numRuns: 10_000 },
    );
  });

  test('a ciphertext moved to another record or field fails to open (10,000 cases)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 100 }), ctx, ctx, (text, from, to) => {
        fc.pre(JSON.stringify(from) !== JSON.stringify(to));
        const sealed = seal(text, from, k1);
        try {
          open(sealed, to, keys);
          return false;
        } catch (err) {
          return err instanceof SealError;
        }
      }),
      { numRuns: 10_000 },
    );
  });

  test('each seal of the same value differs (fresh randomness), and an unknown key id is refused', () => {
    const c: SealContext = { collection: 'x', recordId: '1', field: 'f' };
    expect(seal('same', c, k1)).not.toBe(seal('same', c, k1));
    expect(() => open(seal('x', c, generateSealingKeyPair('k9')), c, keys)).toThrow('no private key for key id k9');
  });
});

describe('ENC-2: password wraps', () => {
  test('OWASP scrypt parameters are stored beside the wrap; the right password unwraps within 0.25–1 s', async () => {
    const secret = Buffer.from('private key bytes');
    const wrap = await wrapWithPassword(secret, 'correct horse', 'admin|k1');
    expect(wrap.kdf).toMatchObject({ name: 'scrypt', N: 2 ** 17, r: 8, p: 1 });
    expect(OWASP_SCRYPT.N).toBeGreaterThanOrEqual(2 ** 17);
    const t = performance.now();
    expect(await unwrapWithPassword(wrap, 'correct horse', 'admin|k1')).toEqual(secret);
    const ms = performance.now() - t;
    expect(ms).toBeGreaterThan(50); // memory-hard, not instant; the 0.25–1 s figure is in docs/benchmarks.md
  });

  test('a wrong password, another owner, or a tampered wrap releases nothing (ENC-6)', async () => {
    const wrap = await wrapWithPassword(Buffer.from('s'), 'pw', 'admin|k1', { N: 2 ** 10, r: 8, p: 1 });
    await expect(unwrapWithPassword(wrap, 'PW', 'admin|k1')).rejects.toBeInstanceOf(UnwrapError);
    await expect(unwrapWithPassword(wrap, 'pw', 'eve|k1')).rejects.toBeInstanceOf(UnwrapError);
    await expect(unwrapWithPassword({ ...wrap, ciphertext: 'AAAA' }, 'pw', 'admin|k1')).rejects.toBeInstanceOf(
      UnwrapError,
    );
    await expect(
      unwrapWithPassword({ ...wrap, kdf: { ...wrap.kdf, N: 2 ** 11 } }, 'pw', 'admin|k1'),
    ).rejects.toBeInstanceOf(UnwrapError);
  });
});

describe('blind index', () => {
  test('equal numbers index equally under one key, differently under another; keys parse strictly', () => {
    const a = parseBlindIndexKey(newBlindIndexKey())!;
    const b = parseBlindIndexKey(newBlindIndexKey())!;
    expect(blindIndex(a, '+919812345678')).toBe(blindIndex(a, '+919812345678'));
    expect(blindIndex(a, '+919812345678')).not.toBe(blindIndex(a, '+919812345679'));
    expect(blindIndex(a, '+919812345678')).not.toBe(blindIndex(b, '+919812345678'));
    expect(parseBlindIndexKey('short')).toBeUndefined();
  });
});

describe('the sending key: one ephemeral key for a bounded run of records', () => {
  test(`records share an ephemeral key for at most ${SENDING_KEY_LIMITS.records} records; every value opens, no IV repeats`, () => {
    const k3 = generateSealingKeyPair('k3'); // a recipient no other test seals to: its first sending key starts here
    const blobs = Array.from({ length: SENDING_KEY_LIMITS.records + 1 }, (_, i) => {
      const c = { collection: 'appointments', recordId: `r${i}`, field: 'email' };
      const sealed = seal(`patient${i}@example.com`, c, k3);
      expect(open(sealed, c, new Map([[k3.keyId, k3]]))).toBe(`patient${i}@example.com`);
      return Buffer.from(sealed.slice('sealed:v1:k3:'.length), 'base64url');
    });
    const ephemeral = blobs.map((b) => b.subarray(0, 32).toString('hex'));
    expect(new Set(ephemeral.slice(0, SENDING_KEY_LIMITS.records)).size).toBe(1);
    expect(ephemeral.at(-1)).not.toBe(ephemeral[0]);
    expect(new Set(blobs.map((b) => b.subarray(32, 44).toString('hex'))).size).toBe(blobs.length);
  });
});
