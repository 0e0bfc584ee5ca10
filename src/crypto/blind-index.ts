import { createHmac, randomBytes, scrypt, scryptSync } from 'node:crypto';
import { keyObject } from './hmac-keys.js';

/**
 * Keyed, memory-hard blind index for finding a caller by phone number (or a patient by name)
 * without decrypting anything (ENC-4, ENC-7):
 *
 *   index = HMAC-SHA256(key, "<kind>:" ‖ scrypt(value, salt = HMAC-SHA256(key, "salt:<kind>"), N, r, p))
 *
 * under a key that lives only in the server's environment (`RECEPTIONIST_BLIND_INDEX_KEY`, never
 * in the store). The keyed salt means nothing can be computed ahead without the key; scrypt means
 * that even with the key (serve's whole environment) each guess costs {@link BLIND_INDEX_SCRYPT}:
 * ≥ 10 ms and 8 MiB on a 2-core machine, so the ~4 × 10⁹ Indian mobile numbers cost years of CPU.
 * Lookups stay fast because each value is stretched once per process: results are remembered
 * (keyed by a cheap HMAC, never the value itself), and {@link prepareBlindIndexes} stretches on
 * libuv's thread pool so the event loop keeps serving.
 */
export const BLIND_INDEX_SCRYPT = { N: 2 ** 13, r: 8, p: 1 } as const;

/** What the store's indexes are made by; recorded beside the key's check value. */
export const BLIND_INDEX_VERSION = 2;

type Kind = 'phone' | 'name';

/** Stretched values by a cheap keyed digest (`kind|value` under the key), newest last; bounded. */
const remembered = new Map<string, string>();
const REMEMBERED_MAX = 20_000;

const cacheKey = (key: Buffer, kind: Kind, value: string) =>
  createHmac('sha256', keyObject(key)).update(`cache:${kind}:${value}`).digest('base64url');
const saltOf = (key: Buffer, kind: Kind) => createHmac('sha256', keyObject(key)).update(`salt:${kind}`).digest();
const finish = (key: Buffer, kind: Kind, stretched: Buffer) =>
  createHmac('sha256', keyObject(key)).update(`${kind}:`).update(stretched).digest('base64url');
const SCRYPT_OPTS = { ...BLIND_INDEX_SCRYPT, maxmem: 256 * BLIND_INDEX_SCRYPT.N * BLIND_INDEX_SCRYPT.r };

function remember(k: string, index: string): string {
  remembered.delete(k);
  remembered.set(k, index);
  if (remembered.size > REMEMBERED_MAX) remembered.delete(remembered.keys().next().value!);
  return index;
}

function hardIndex(key: Buffer, kind: Kind, value: string): string {
  const k = cacheKey(key, kind, value);
  const known = remembered.get(k);
  if (known) return remember(k, known);
  return remember(k, finish(key, kind, scryptSync(value, saltOf(key, kind), 32, SCRYPT_OPTS)));
}

/** Blind index of an E.164 number (memory-hard; see above). */
export function blindIndex(key: Buffer, e164: string): string {
  return hardIndex(key, 'phone', e164);
}

/**
 * Blind index of a person's name, normalised by {@link normaliseName} ("Dr. Ravi  Kumar" and
 * "kumar ravi" index alike): the second factor a caller without the record's number gives
 * (the access rule). Domain-separated from the phone index under the same key.
 */
export function blindNameIndex(key: Buffer, name: string): string {
  return hardIndex(key, 'name', normaliseName(name));
}

/**
 * Stretches the given numbers and names on the thread pool ahead of use, so the synchronous
 * {@link blindIndex} / {@link blindNameIndex} that follow find them remembered (a request
 * handler calls this first; nothing else waits on the event loop meanwhile).
 */
export async function prepareBlindIndexes(key: Buffer, values: { phones?: string[]; names?: string[] }): Promise<void> {
  const todo: Array<[Kind, string]> = [
    ...(values.phones ?? []).map((v): [Kind, string] => ['phone', v]),
    ...(values.names ?? []).map((v): [Kind, string] => ['name', normaliseName(v)]),
  ];
  await Promise.all(
    todo.map(async ([kind, value]) => {
      const k = cacheKey(key, kind, value);
      if (remembered.has(k)) return;
      const stretched = await new Promise<Buffer>((resolve, reject) =>
        scrypt(value, saltOf(key, kind), 32, SCRYPT_OPTS, (err, out) => (err ? reject(err) : resolve(out))),
      );
      remember(k, finish(key, kind, stretched));
    }),
  );
}

/** The index of the first version (a plain HMAC of the number): only to tell an old store apart. */
function legacyCheck(key: Buffer): string {
  return createHmac('sha256', key).update('receptionist blind-index check v1').digest('base64url').slice(0, 22);
}

const TITLES = new Set(['dr', 'mr', 'mrs', 'ms', 'miss', 'mx', 'shri', 'smt', 'prof']);

/**
 * A name as compared: diacritics dropped, lower case, letters only, titles removed, words
 * sorted ("Dr. José  Kumar" → "jose kumar"). '' when nothing is left.
 */
export function normaliseName(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\s]/gu, ' ')
    .split(/\s+/)
    .filter((w) => w && !TITLES.has(w))
    .sort()
    .join(' ');
}

/** A new 32-byte index key, base64url (what goes into `.env`). */
export function newBlindIndexKey(): string {
  return randomBytes(32).toString('base64url');
}

/** Parses the env value. Returns undefined when it is not 32 bytes of base64url. */
export function parseBlindIndexKey(value: string): Buffer | undefined {
  const key = Buffer.from(value, 'base64url');
  return key.length === 32 && key.toString('base64url') === value ? key : undefined;
}

/**
 * A check value of the key and the index version (22 characters of an HMAC under it), kept on the
 * key documents so that `serve` and `preflight` can tell whether the key in the environment, and
 * this version's index, are what the store's indexes were made with. It reveals nothing of the key.
 */
export function blindIndexCheck(key: Buffer): string {
  return createHmac('sha256', key)
    .update(
      `receptionist blind-index check v${BLIND_INDEX_VERSION} scrypt N=${BLIND_INDEX_SCRYPT.N} r=${BLIND_INDEX_SCRYPT.r}`,
    )
    .digest('base64url')
    .slice(0, 22);
}

/**
 * What a stored check value says about the key in the environment: `current` (this key, this
 * version), `older-version` (this key, but indexes made by a version before the memory-hard one:
 * `keys reindex` rebuilds them), or `other-key`.
 */
export function compareBlindIndexCheck(stored: string, key: Buffer): 'current' | 'older-version' | 'other-key' {
  if (stored === blindIndexCheck(key)) return 'current';
  if (stored === legacyCheck(key)) return 'older-version';
  return 'other-key';
}
