import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, expect, test } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { generateSealingKeyPair, isSealed, sealedKeyId } from '../../src/crypto/seal.js';
import { blindIndex, blindNameIndex, parseBlindIndexKey } from '../../src/crypto/blind-index.js';
import { createHmac } from 'node:crypto';
import { commandEnv } from '../support/command-env.js';

// Issue 13 item 5: the active public key in the store could be replaced unnoticed, and serve then
// sealed new records to an attacker's key. A stale RECEPTIONIST_BLIND_INDEX_KEY is refused the same way.
const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: 'pin-test-secret-0123456789' });
const PW = 'pin-admin-passphrase';
const storeDir = () => path.join(ctx.tmp.dir, 'store');
const dotenv = () => path.join(ctx.tmp.dir, '.env');

beforeEach(async () => {
  expect((await run(['seed'])).code).toBe(0);
  expect((await run(['users', 'add', 'asha', '--password-stdin'], { stdin: `${PW}\n` })).code).toBe(0);
});

/** What a writer to the store (not an admin) does: put its own public key in place of the active one. */
async function substituteKey(): Promise<string> {
  const attacker = generateSealingKeyPair('k-attacker');
  const store = await openSqliteStore({ dir: storeDir() });
  await store.collection('keys').updateOne({ status: 'active' }, { $set: { publicKey: attacker.publicKey } });
  await store.close();
  return attacker.publicKey;
}

test('serve and every sealing command refuse a key put in place of the pinned one; nothing is sealed to it', async () => {
  await substituteKey();
  const serve = await run(['serve', '--port', '0']);
  expect(serve.code).toBe(1);
  expect(serve.err).toMatch(
    /^Error: The store's active encryption keys \(k\w+, r\w+\) are not the ones pinned in RECEPTIONIST_SEALING_KEY_PIN in \.env: one may have been put there by someone else, so nothing is sealed to them\.\n {2}If an admin rotated the key, run `receptionist keys pin/,
  );
  expect((await run(['seed'])).code).toBe(1);
  // keys pin checks the key against the admin's keyring: the substitute is not one of theirs.
  const pin = await run(['keys', 'pin', '--username', 'asha', '--password-stdin'], { stdin: `${PW}\n` });
  expect(pin.code).toBe(1);
  expect(pin.err).toMatch(/^Error: The store's active key k\w+ is not one asha's keyring holds/);
});

test('without a pin (a store from before pinning) serve refuses and names keys pin; keys pin then lets it start', async () => {
  fs.writeFileSync(dotenv(), fs.readFileSync(dotenv(), 'utf8').replace(/^RECEPTIONIST_SEALING_KEY_PIN=.*\n/m, ''));
  const serve = await run(['serve', '--port', '0']);
  expect(serve.code).toBe(1);
  expect(serve.err).toContain('RECEPTIONIST_SEALING_KEY_PIN is not set');
  expect(serve.err).toContain('`receptionist keys pin --username <admin>`');
  const pin = await run(['keys', 'pin', '--username', 'asha', '--password-stdin', '--json'], { stdin: `${PW}\n` });
  expect(pin.code, pin.err).toBe(0);
  expect(JSON.parse(pin.out)).toMatchObject({ by: 'asha', keyId: expect.stringMatching(/^k\d{8}[0-9a-f]{6}$/) });
  expect(fs.readFileSync(dotenv(), 'utf8')).toContain(`RECEPTIONIST_SEALING_KEY_PIN=${JSON.parse(pin.out).pin}\n`);
  expect((await run(['seed'])).code).toBe(0);
});

test('keys rotate pins the new key: records are sealed to it, and the old pin no longer passes', async () => {
  const before = fs.readFileSync(dotenv(), 'utf8');
  const r = await run(['keys', 'rotate', '--username', 'asha', '--password-stdin', '--json'], { stdin: `${PW}\n` });
  expect(r.code, r.err).toBe(0);
  const { keyId } = JSON.parse(r.out) as { keyId: string };
  expect(fs.readFileSync(dotenv(), 'utf8')).toMatch(new RegExp(`RECEPTIONIST_SEALING_KEY_PIN=${keyId}:`));
  // A serve host still on the old .env refuses rather than sealing to a key it cannot vouch for.
  const stale = await run(['serve', '--port', '0'], {
    env: { RECEPTIONIST_SEALING_KEY_PIN: /RECEPTIONIST_SEALING_KEY_PIN=(\S+)/.exec(before)![1]! },
  });
  expect(stale.code).toBe(1);
  expect(stale.err).toContain(`The store's active encryption keys (${keyId}, r`);
});

test('a stale blind-index key, or indexes of the version before the memory-hard one, are refused with the fix', async () => {
  const key = parseBlindIndexKey(/RECEPTIONIST_BLIND_INDEX_KEY=(\S+)/.exec(fs.readFileSync(dotenv(), 'utf8'))![1]!)!;
  const other = Buffer.alloc(32, 3).toString('base64url');
  const stale = await run(['serve', '--port', '0'], { env: { RECEPTIONIST_BLIND_INDEX_KEY: other } });
  expect(stale.code).toBe(1);
  expect(stale.err).toContain('RECEPTIONIST_BLIND_INDEX_KEY is not the key the store’s indexes were made with');
  // A store whose indexes an older receptionist made (plain HMAC): its check value says so.
  const store = await openSqliteStore({ dir: storeDir() });
  const legacy = createHmac('sha256', key).update('receptionist blind-index check v1').digest('base64url').slice(0, 22);
  await store.collection('keys').updateMany({}, { $set: { blindIndexCheck: legacy } });
  const plain = createHmac('sha256', key).update('phone:+919812345678').digest('base64url');
  // …and the name in plaintext, as every version before this one stored it.
  await store
    .collection('customers')
    .updateMany(
      { customerId: 'CUST-1001' },
      { $set: { phoneIndex: plain, name: 'Asha Verma' }, $unset: { nameIndex: true } },
    );
  await store.close();
  const old = await run(['serve', '--port', '0']);
  expect(old.code).toBe(1);
  expect(old.err).toContain('made by an older receptionist (a plain HMAC, cheap to brute-force)');
  expect(old.err).toContain('`receptionist keys reindex --username <admin>`');
  expect((await run(['keys', 'reindex', '--username', 'asha', '--password-stdin'], { stdin: `${PW}\n` })).code).toBe(0);
  const after = await openSqliteStore({ dir: storeDir(), readOnly: true });
  const asha = await after.collection('customers').findOne({ customerId: 'CUST-1001' });
  expect(asha!.phoneIndex).toBe(blindIndex(key, '+919812345678'));
  expect(asha!.phoneIndex).not.toBe(plain);
  expect(isSealed(asha!.phone) && sealedKeyId(asha!.phone as string)).toMatch(/^k/);
  // The plaintext name is sealed by the same reindex (to the receptionist key), and indexed.
  expect(isSealed(asha!.name) && sealedKeyId(asha!.name as string)).toMatch(/^r/);
  expect(asha!.nameIndex).toBe(blindNameIndex(key, 'Asha Verma'));
  await after.close();
  expect((await run(['seed'])).code).toBe(0);
});

test('a store from before roles gets its receptionist key with the first receptionist, and the pin follows', async () => {
  const store = await openSqliteStore({ dir: storeDir() });
  await store.collection('keys').deleteMany({ role: 'receptionist' });
  await store.close();
  fs.writeFileSync(
    dotenv(),
    fs.readFileSync(dotenv(), 'utf8').replace(/(RECEPTIONIST_SEALING_KEY_PIN=[^,\n]+),[^\n]*/, '$1'),
  );
  expect((await run(['seed'])).code).toBe(0);
  const add = await run(['users', 'add', 'meena', '--role', 'receptionist', '--username', 'asha', '--password-stdin'], {
    stdin: `${PW}\nmeena-desk-passphrase\n`,
  });
  expect(add.code, add.err).toBe(0);
  expect(fs.readFileSync(dotenv(), 'utf8')).toMatch(/RECEPTIONIST_SEALING_KEY_PIN=k\w+:[\w-]{43},r\w+:[\w-]{43}\n/);
  expect((await run(['seed'])).code).toBe(0);
});
