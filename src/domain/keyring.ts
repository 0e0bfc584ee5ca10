import { randomBytes } from 'node:crypto';
import { printable } from '../io.js';
import { KeyedCounts } from '../keyed-counts.js';
import type { Collection, Store } from '../store/types.js';
import { generateSealingKeyPair, open, seal, SealError, type SealingKeyPair } from '../crypto/seal.js';
import {
  decoyWrap,
  OWASP_SCRYPT,
  unwrapWithPassword,
  UnwrapError,
  wrapWithPassword,
  type KdfParams,
  type PasswordWrap,
} from '../crypto/password-kdf.js';

/**
 * The keyring (collections `keys` and `users`).
 *
 * - Each admin has a personal X25519 key pair; its private key is stored only wrapped under
 *   the admin's password (scrypt, parameters beside the wrap).
 * - Each data key (what records are sealed to) has its private key sealed to every admin's
 *   public key. So a rotation or a new admin needs one admin's password, not everyone's, and
 *   a password change re-wraps one key and re-encrypts nothing.
 * - `serve` reads only data-key public keys (ENC-3).
 */
/**
 * Who may read what. An admin reads everything; a receptionist reads patients'
 * names (with the times and doctors, which are not sealed) and nothing else: names are sealed to
 * the receptionist key, which every user holds, the rest to the admin key, which only admins hold.
 */
export type Role = 'admin' | 'receptionist';
export const ROLES: readonly Role[] = ['admin', 'receptionist'];

export interface UserDoc {
  _id: string;
  role: Role;
  /** Raw X25519 public key, base64url. */
  publicKey: string;
  wrap: PasswordWrap;
  createdAt: string;
  passwordChangedAt: string;
  [k: string]: unknown;
}

export interface KeyDoc {
  _id: string;
  /** Raw X25519 public key, base64url. */
  publicKey: string;
  status: 'active' | 'retired';
  /** Whose fields it seals: `admin` (absent: stores from before roles) or `receptionist` (names). */
  role?: Role;
  createdAt: string;
  /** This key's private key sealed to each admin's public key, by username. */
  grants: Record<string, string>;
  [k: string]: unknown;
}

/** Wrong username or password, or a damaged keyring: one message for all, so nothing is revealed. */
export class KeyringAuthError extends Error {
  constructor() {
    super('Wrong username or password.');
    this.name = 'KeyringAuthError';
  }
}

export class KeyringError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyringError';
  }
}

/**
 * A username: 2–32 characters, a letter first, then letters, digits, `_` or `-`. No `.`: a name is
 * a key of each key document's `grants`, and a dotted one ("jo.smith") was written as a nested
 * path, so its admin could never open anything.
 */
const USERNAME = /^[a-z][a-z0-9_-]{1,31}$/;

/** Why `username` cannot be a new user's name, or undefined when it can. */
export function usernameProblem(username: string): string | undefined {
  return USERNAME.test(username)
    ? undefined
    : `Invalid username "${printable(username)}": 2–32 characters, lowercase letters, digits, _ or -, starting with a letter (no dots).`;
}

function users(store: Store): Collection<UserDoc> {
  return store.collection('users');
}
function keys(store: Store): Collection<KeyDoc> {
  return store.collection('keys');
}

/** `k20261121a1b2c3` for an admin key, `r…` for a receptionist key. */
function newKeyId(now: Date, role: Role = 'admin'): string {
  return `${role === 'receptionist' ? 'r' : 'k'}${now.toISOString().slice(0, 10).replace(/-/g, '')}${randomBytes(3).toString('hex')}`;
}

function grantContext(keyId: string, username: string) {
  return { collection: 'keys', recordId: keyId, field: `grant:${username}` };
}

/** The admin key new records are sealed to, or null before `keys init`. Needs no secret. */
export async function activeSealingKey(store: Store): Promise<{ keyId: string; publicKey: string } | null> {
  return (await activeSealingKeys(store)).admin ?? null;
}

/** A public key new records are sealed to. */
export type PublicKeyRef = { keyId: string; publicKey: string };

/** The active key of each role (no `receptionist` one in a store from before roles). */
export async function activeSealingKeys(store: Store): Promise<{ admin?: PublicKeyRef; receptionist?: PublicKeyRef }> {
  const out: { admin?: PublicKeyRef; receptionist?: PublicKeyRef } = {};
  for (const k of await keys(store).find({ status: 'active' }, { sort: { createdAt: 1 } }))
    out[k.role ?? 'admin'] = { keyId: k._id, publicKey: k.publicKey };
  return out;
}

/** Seals a data key's private key to one user (a grant). */
function grantTo(key: SealingKeyPair, user: Pick<UserDoc, '_id' | 'publicKey'>): string {
  return seal(key.privateKey.toString('base64url'), grantContext(key.keyId, user._id), {
    keyId: `u-${user._id}`,
    publicKey: user.publicKey,
  });
}

/** Whether a user of `role` may hold a key of `keyRole` (everyone holds the receptionist key). */
const mayHold = (role: Role, keyRole: Role | undefined) => role === 'admin' || keyRole === 'receptionist';

/**
 * A new active data key for `role`, granted to every user who may hold it; the old active key of
 * that role is retired. Returns the new key (its private part is added to `by`).
 */
async function newRoleKey(store: Store, by: Unlocked | undefined, role: Role, now: Date): Promise<SealingKeyPair> {
  const data = generateSealingKeyPair(newKeyId(now, role));
  const grants: Record<string, string> = {};
  for (const u of await users(store).find({})) if (mayHold(u.role ?? 'admin', role)) grants[u._id] = grantTo(data, u);
  const retired = (await keys(store).find({ status: 'active' })).filter((k) => (k.role ?? 'admin') === role);
  await keys(store).insertOne({
    _id: data.keyId,
    publicKey: data.publicKey,
    status: 'active',
    role,
    createdAt: now.toISOString(),
    grants,
  });
  if (retired.length)
    await keys(store).updateMany({ _id: { $in: retired.map((k) => k._id) } }, { $set: { status: 'retired' } });
  by?.dataKeys.set(data.keyId, data);
  return data;
}

export async function hasKeyring(store: Store): Promise<boolean> {
  return (await users(store).count({})) > 0;
}

async function newUserDoc(
  username: string,
  password: string,
  now: Date,
  kdf?: Omit<KdfParams, 'name' | 'salt'>,
  role: Role = 'admin',
): Promise<{ doc: UserDoc; pair: SealingKeyPair }> {
  const pair = generateSealingKeyPair(`u-${username}`);
  const wrap = await wrapWithPassword(pair.privateKey, password, `user|${username}`, kdf);
  const at = now.toISOString();
  return {
    doc: { _id: username, role, publicKey: pair.publicKey, wrap, createdAt: at, passwordChangedAt: at },
    pair,
  };
}

/**
 * Creates the first admin and the first data key. @throws KeyringError when a keyring exists.
 * `kdf` lowers the scrypt cost for tests only.
 */
export async function initKeyring(
  store: Store,
  username: string,
  password: string,
  now: Date,
  kdf?: Omit<KdfParams, 'name' | 'salt'>,
): Promise<{ keyId: string }> {
  const problem = usernameProblem(username);
  if (problem) throw new KeyringError(problem);
  if (await hasKeyring(store)) throw new KeyringError('A keyring exists already.');
  const { doc } = await newUserDoc(username, password, now, kdf);
  await users(store).insertOne(doc);
  const data = await newRoleKey(store, undefined, 'admin', now);
  await newRoleKey(store, undefined, 'receptionist', now);
  return { keyId: data.keyId };
}

/** An admin's unlocked private keys. */
export interface Unlocked {
  username: string;
  role: Role;
  userKey: SealingKeyPair;
  /** Data keys by key id. */
  dataKeys: Map<string, SealingKeyPair>;
}

/**
 * Unlocks every data key granted to `username`.
 * @throws KeyringAuthError for an unknown user, a wrong password, or a tampered wrap or grant
 */
export async function unlock(store: Store, username: string, password: string, guard?: UnlockGuard): Promise<Unlocked> {
  const user = await users(store).findOne({ _id: username });
  if (user && !isWellFormedWrap(user.wrap))
    throw new KeyringError(
      `The keyring entry of ${printable(username)} is damaged; restore the store from a backup, or have another admin remove and re-add ${printable(username)}.`,
    );
  // Attempts of this process still running count as failures until they are known: parallel guesses
  // (the studio's sign-in page, a script) wait as sequential ones would.
  const running = unlocksInFlight.get(username);
  unlocksInFlight.add(username, 1);
  try {
    if (guard) {
      const wait = await unlockDelayMs(store, username, guard.now, running);
      if (wait) await guard.sleep(wait);
    }
    return await unlockNow(store, username, password, user, guard);
  } finally {
    unlocksInFlight.add(username, -1);
  }
}

/** Unlocks of each user running in this process. */
const unlocksInFlight = new KeyedCounts();

async function unlockNow(
  store: Store,
  username: string,
  password: string,
  user: UserDoc | null,
  guard: UnlockGuard | undefined,
): Promise<Unlocked> {
  // An unknown user unwraps a decoy with a real user's KDF parameters: one derivation, the same
  // cost as a wrong password, so timing does not tell which usernames exist.
  const wrap = user?.wrap ?? decoyWrap(await decoyParams(store));
  let privateKey: Buffer;
  try {
    privateKey = await unwrapWithPassword(wrap, password, `user|${username}`);
    if (!user) throw new UnwrapError();
  } catch (err) {
    if (!(err instanceof UnwrapError)) throw err;
    if (guard)
      await store.audit.append({
        at: guard.now.toISOString(),
        user: username,
        action: UNLOCK_FAILED,
        details: { command: guard.command },
      });
    throw new KeyringAuthError();
  }
  const userKey: SealingKeyPair = { keyId: `u-${username}`, publicKey: user.publicKey, privateKey };
  const dataKeys = new Map<string, SealingKeyPair>();
  const userKeys = new Map([[userKey.keyId, userKey]]);
  for (const k of await keys(store).find({})) {
    const grant = k.grants[username];
    if (!grant) continue;
    try {
      dataKeys.set(k._id, {
        keyId: k._id,
        publicKey: k.publicKey,
        privateKey: Buffer.from(open(grant, grantContext(k._id, username), userKeys), 'base64url'),
      });
    } catch (err) {
      if (err instanceof SealError) throw new KeyringAuthError();
      throw err;
    }
  }
  return { username, role: user.role ?? 'admin', userKey, dataKeys };
}

/**
 * `me` with only the receptionist keys (patients' names; an admin holds them too): what a signed-in
 * studio session keeps between requests, so that its cookie can never open more than names. The
 * other data keys and the user's own key (which opens their grants) are overwritten in `me`, which
 * must not be used for anything else after.
 */
export async function namesOnly(store: Store, me: Unlocked): Promise<Unlocked> {
  const roles = new Map((await keys(store).find({})).map((k) => [k._id, k.role ?? 'admin']));
  for (const [id, pair] of me.dataKeys) {
    if (roles.get(id) === 'receptionist') continue;
    pair.privateKey.fill(0);
    me.dataKeys.delete(id);
  }
  me.userKey.privateKey.fill(0);
  return me;
}

/** The audit action of a failed unlock (wrong password or unknown user; which is not said). */
export const UNLOCK_FAILED = 'unlock.failed';

/** Failed unlocks of one user within {@link UNLOCK_WINDOW_MS} that are free; each one after waits longer. */
export const FREE_UNLOCK_FAILURES = 5;
export const UNLOCK_WINDOW_MS = 15 * 60_000;
/** The longest wait before an unlock, however many failures. */
export const MAX_UNLOCK_DELAY_MS = 30_000;

/** What `unlock` needs to audit failures and slow down guessing (commands pass it; library callers may not). */
export interface UnlockGuard {
  now: Date;
  sleep: (ms: number) => Promise<void>;
  /** The command that asked, for the audit record (e.g. "logs"). */
  command?: string;
}

/**
 * How long an unlock of `username` waits first: 0 until {@link FREE_UNLOCK_FAILURES} failures
 * within the last 15 minutes (from the audit log, plus `inFlight` attempts still running), then 1 s, 2 s,
 * 4 s, … up to 30 s.
 */
export async function unlockDelayMs(store: Store, username: string, now: Date, inFlight = 0): Promise<number> {
  const since = new Date(now.getTime() - UNLOCK_WINDOW_MS).toISOString();
  const failures =
    (await store.audit.list()).filter((e) => e.action === UNLOCK_FAILED && e.user === username && e.at >= since)
      .length + inFlight;
  if (failures < FREE_UNLOCK_FAILURES) return 0;
  return Math.min(1000 * 2 ** (failures - FREE_UNLOCK_FAILURES), MAX_UNLOCK_DELAY_MS);
}

/** The KDF parameters of the first user (what a real unwrap costs here), else the default. */
async function decoyParams(store: Store): Promise<Omit<KdfParams, 'name' | 'salt'>> {
  const [any] = await users(store).find({}, { limit: 1 });
  const kdf = any && isWellFormedWrap(any.wrap) ? any.wrap.kdf : undefined;
  return kdf ? { N: kdf.N, r: kdf.r, p: kdf.p } : OWASP_SCRYPT;
}

/**
 * Adds a user. An admin is granted every data key the granting admin holds; a receptionist only
 * the receptionist keys (a store from before roles gets its first receptionist key now).
 * @throws KeyringError (bad or taken username; `by` is not an admin)
 */
export async function addUser(
  store: Store,
  by: Unlocked,
  username: string,
  password: string,
  now: Date,
  kdf?: Omit<KdfParams, 'name' | 'salt'>,
  role: Role = 'admin',
): Promise<void> {
  if (by.role !== 'admin') throw new KeyringError('Only an admin can add users.');
  const problem = usernameProblem(username);
  if (problem) throw new KeyringError(problem);
  if (await users(store).findOne({ _id: username })) throw new KeyringError(`User "${username}" exists already.`);
  const { doc } = await newUserDoc(username, password, now, kdf, role);
  await store.atomically(async () => {
    await users(store).insertOne(doc);
    if (!(await activeSealingKeys(store)).receptionist) await newRoleKey(store, by, 'receptionist', now);
    const roles = new Map((await keys(store).find({})).map((k) => [k._id, k.role]));
    for (const [keyId, key] of by.dataKeys) {
      if (!mayHold(role, roles.get(keyId))) continue;
      await keys(store).updateOne({ _id: keyId }, { $set: { [`grants.${username}`]: grantTo(key, doc) } });
    }
  });
}

/** Re-wraps the admin's own private key under a new password; no record is re-encrypted. */
export async function changePassword(
  store: Store,
  me: Unlocked,
  newPassword: string,
  now: Date,
  kdf?: Omit<KdfParams, 'name' | 'salt'>,
): Promise<void> {
  const wrap = await wrapWithPassword(me.userKey.privateKey, newPassword, `user|${me.username}`, kdf);
  await users(store).updateOne({ _id: me.username }, { $set: { wrap, passwordChangedAt: now.toISOString() } });
}

/**
 * An admin sets another admin's password (a forgotten one, say). The old wrap cannot be opened
 * without the old password, so `username` gets a new key pair wrapped under `newPassword`, and
 * every data key `by` holds is granted to it anew; a grant of a key `by` does not hold could no
 * longer be opened, and is removed. Nothing is re-encrypted.
 * @throws KeyringError for an unknown user
 */
export async function resetPassword(
  store: Store,
  by: Unlocked,
  username: string,
  newPassword: string,
  now: Date,
  kdf?: Omit<KdfParams, 'name' | 'salt'>,
): Promise<void> {
  const target = await users(store).findOne({ _id: username });
  if (!target) throw new KeyringError(`No user "${username}".`);
  const { doc } = await newUserDoc(username, newPassword, now, kdf, target.role ?? 'admin');
  await store.atomically(async () => {
    await users(store).updateOne(
      { _id: username },
      { $set: { publicKey: doc.publicKey, wrap: doc.wrap, passwordChangedAt: now.toISOString() } },
    );
    for (const k of await keys(store).find({})) {
      const key = by.dataKeys.get(k._id);
      if (key && mayHold(doc.role, k.role)) {
        await keys(store).updateOne({ _id: k._id }, { $set: { [`grants.${username}`]: grantTo(key, doc) } });
      } else if (k.grants[username]) {
        await keys(store).updateOne({ _id: k._id }, { $unset: { [`grants.${username}`]: true } });
      }
    }
  });
}

/** Removes an admin and their grants. @throws KeyringError for the last admin or an unknown user */
export async function removeUser(store: Store, username: string): Promise<void> {
  const user = await users(store).findOne({ _id: username });
  if (!user) throw new KeyringError(`No user "${username}".`);
  const admins = (await users(store).find({})).filter((u) => (u.role ?? 'admin') === 'admin');
  if ((user.role ?? 'admin') === 'admin' && admins.length <= 1)
    throw new KeyringError('The last admin cannot be removed: nobody could read sealed data any more.');
  await users(store).deleteMany({ _id: username });
  for (const k of await keys(store).find({})) {
    if (k.grants[username]) await keys(store).updateOne({ _id: k._id }, { $unset: { [`grants.${username}`]: true } });
  }
}

/**
 * Creates a new active data key granted to every admin and retires the old one (ENC-5): old
 * records stay readable with the retired key, new ones are sealed to the new key.
 */
export async function rotate(store: Store, by: Unlocked, now: Date): Promise<{ keyId: string; retired: string[] }> {
  if (by.role !== 'admin') throw new KeyringError('Only an admin can rotate the keys.');
  const retired = (await keys(store).find({ status: 'active' })).map((k) => k._id);
  // Both roles' keys at once: admins get both, receptionists the receptionist one.
  const data = await store.atomically(async () => {
    const admin = await newRoleKey(store, by, 'admin', now);
    await newRoleKey(store, by, 'receptionist', now);
    return admin;
  });
  return { keyId: data.keyId, retired };
}

export async function listUsers(
  store: Store,
): Promise<Array<Pick<UserDoc, '_id' | 'role' | 'createdAt' | 'passwordChangedAt'>>> {
  return (await users(store).find({}, { sort: { _id: 1 } })).map(({ _id, role, createdAt, passwordChangedAt }) => ({
    _id,
    role,
    createdAt,
    passwordChangedAt,
  }));
}

function isWellFormedWrap(w: unknown): w is PasswordWrap {
  const x = w as PasswordWrap | undefined;
  return Boolean(
    x &&
    x.kdf?.name === 'scrypt' &&
    Number.isInteger(x.kdf.N) &&
    Number.isInteger(x.kdf.r) &&
    Number.isInteger(x.kdf.p) &&
    typeof x.kdf.salt === 'string' &&
    typeof x.iv === 'string' &&
    typeof x.tag === 'string' &&
    typeof x.ciphertext === 'string',
  );
}

/** Records the blind-index key's check value on every key document (after `users add`, `keys rotate`, `keys reindex`). */
export async function recordBlindIndexCheck(store: Store, check: string): Promise<void> {
  await keys(store).updateMany({}, { $set: { blindIndexCheck: check } });
}

/** The check value recorded with the keys, or undefined for a store made before it was recorded. */
export async function storedBlindIndexCheck(store: Store): Promise<string | undefined> {
  const docs = await keys(store).find({});
  return docs.map((d) => d.blindIndexCheck).find((c): c is string => typeof c === 'string');
}

/** Overwrites the unlocked private keys in memory. */
export function wipe(me: Unlocked): void {
  for (const pair of [me.userKey, ...me.dataKeys.values()]) {
    const secret = (pair as { privateKey?: unknown }).privateKey;
    if (secret instanceof Uint8Array) secret.fill(0);
  }
  me.dataKeys.clear();
}
