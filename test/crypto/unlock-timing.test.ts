import { expect, test, vi } from 'vitest';
import { initKeyring, unlock, KeyringAuthError } from '../../src/domain/keyring.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../support/store.js';

// Issue 13 item 6: an unknown username must cost what a known one with a wrong password costs.
// The old code wrapped a throwaway key (one scrypt) and then unwrapped it (a second): twice as long.
const calls = vi.hoisted(() => ({ wrap: 0, unwrap: [] as number[] }));
vi.mock('../../src/crypto/password-kdf.js', async (orig) => {
  const real = await orig<typeof import('../../src/crypto/password-kdf.js')>();
  return {
    ...real,
    wrapWithPassword: (...a: Parameters<typeof real.wrapWithPassword>) => {
      calls.wrap++;
      return real.wrapWithPassword(...a);
    },
    unwrapWithPassword: (...a: Parameters<typeof real.unwrapWithPassword>) => {
      calls.unwrap.push(a[0].kdf.N);
      return real.unwrapWithPassword(...a);
    },
  };
});

test('an unknown user costs one derivation with the real users’ KDF parameters, like a wrong password', async () => {
  const tmp = tempDir();
  const store = await openSqliteStore({ dir: tmp.dir });
  try {
    await initKeyring(store, 'asha', 'asha-long-passphrase', new Date('2026-11-21T00:00:00Z'), {
      N: 2 ** 11,
      r: 8,
      p: 1,
    });
    calls.wrap = 0;
    calls.unwrap = [];
    await expect(unlock(store, 'asha', 'wrong-password-123')).rejects.toEqual(new KeyringAuthError());
    await expect(unlock(store, 'nobody', 'wrong-password-123')).rejects.toEqual(new KeyringAuthError());
    expect(calls).toEqual({ wrap: 0, unwrap: [2 ** 11, 2 ** 11] });
  } finally {
    await store.close();
    tmp.cleanup();
  }
});
