import { createHmac, randomBytes } from 'node:crypto';

/**
 * Keyed blind index for finding a caller by phone number without decrypting anything
 * (ENC-4): HMAC-SHA256 of the E.164 number under a key that lives only in the server's
 * environment (`RECEPTIONIST_BLIND_INDEX_KEY`, never in the store).
 */
export function blindIndex(key: Buffer, e164: string): string {
  return createHmac('sha256', key).update(`phone:${e164}`).digest('base64url');
}

/**
 * Blind index of a person's name, normalised by {@link normaliseName} ("Dr. Ravi  Kumar" and
 * "kumar ravi" index alike): the second factor a caller without the record's number gives
 * (issue 13, access rule). Domain-separated from the phone index under the same key.
 */
export function blindNameIndex(key: Buffer, name: string): string {
  return createHmac('sha256', key)
    .update(`name:${normaliseName(name)}`)
    .digest('base64url');
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
 * A check value of the key (22 characters of an HMAC under it), kept on the key documents so that
 * `preflight` can tell whether the key in the environment is the one the store's indexes were made
 * with. It reveals nothing of the key.
 */
export function blindIndexCheck(key: Buffer): string {
  return createHmac('sha256', key).update('receptionist blind-index check v1').digest('base64url').slice(0, 22);
}
