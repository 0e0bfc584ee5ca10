import {
  createCipheriv,
  createDecipheriv,
  createPublicKey,
  createPrivateKey,
  createHash,
  createSecretKey,
  diffieHellman,
  hkdfSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';

/**
 * Sealed fields: write-only encryption of one value to a public key (architecture
 * "Security model"). A value is sealed under an ephemeral X25519 key (one per recipient, used for
 * at most {@link SENDING_KEY_LIMITS} records, then dropped: docs/security.md "Sealed fields" gives
 * the argument); the AES-256-GCM key comes from HKDF-SHA256 over the shared secret, each field has
 * its own random IV, and the AAD binds the ciphertext to its record and field, so it cannot be
 * moved to another one (ENC-1).
 *
 * Stored form (versioned): `sealed:v1:<keyId>:<base64url(ephemeral public key 32 B | iv 12 B | tag 16 B | ciphertext)>`
 */
export const SEALED_PREFIX = 'sealed:v1:';
const INFO = Buffer.from('receptionist sealed field v1');

/** Where a sealed value belongs: its collection, record id and field name. */
export interface SealContext {
  collection: string;
  recordId: string;
  field: string;
}

/** A key pair; the private key only ever exists unwrapped in an admin's process. */
export interface SealingKeyPair {
  keyId: string;
  /** Raw 32-byte X25519 public key, base64url. */
  publicKey: string;
  /** Raw 32-byte X25519 private key. */
  privateKey: Buffer;
}

/** Thrown when a value cannot be opened: wrong key, tampered, moved, or not sealed. Carries no plaintext. */
export class SealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SealError';
  }
}

// JWK import is about ten times faster than DER for X25519 keys.
function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
}

// The keys sealed to are few and long-lived (the admin and receptionist keys): one KeyObject each.
const recipientKeys = new Map<string, KeyObject>();
function recipientKeyObject(publicKey: string): KeyObject {
  let k = recipientKeys.get(publicKey);
  if (!k) {
    k = publicKeyObject(Buffer.from(publicKey, 'base64url'));
    if (recipientKeys.size >= 16) recipientKeys.clear();
    recipientKeys.set(publicKey, k);
  }
  return k;
}

// Building a KeyObject from DER costs more than the X25519 operation itself: keep one per key.
const privateKeyObjects = new WeakMap<SealingKeyPair, KeyObject>();

function privateKeyObject(key: SealingKeyPair): KeyObject {
  let obj = privateKeyObjects.get(key);
  if (!obj) {
    obj = createPrivateKey({
      key: { kty: 'OKP', crv: 'X25519', x: key.publicKey, d: key.privateKey.toString('base64url') },
      format: 'jwk',
    });
    privateKeyObjects.set(key, obj);
  }
  return obj;
}

const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/**
 * A fresh X25519 key pair: 32 random bytes are an X25519 private key (RFC 7748 §5: the scalar is
 * clamped when used), imported from DER, its public key exported as DER. No key-generation job is
 * involved (on Node 20, exporting a generated key as JWK while a GC destroys its job deadlocked the
 * process), and it costs ~90 µs against ~130 µs for the generator's DER plus a JWK import.
 */
function ephemeralKeyPair(): { privateKey: KeyObject; publicRaw: Buffer; privateRaw: Buffer } {
  const privateRaw = randomBytes(32);
  const privateKey = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, privateRaw]),
    format: 'der',
    type: 'pkcs8',
  });
  const publicRaw = createPublicKey(privateKey)
    .export({ type: 'spki', format: 'der' })
    .subarray(X25519_SPKI_PREFIX.length);
  return { privateKey, publicRaw, privateRaw };
}

/**
 * The pin of a sealing key: `<keyId>:<SHA-256 of its raw public key, base64url, 43 characters>`.
 * Kept in `.env` (`RECEPTIONIST_SEALING_KEY_PIN`) so that `serve` seals only to the key the admins
 * made, not to one put into the store in its place.
 */
export function sealingKeyPin(key: { keyId: string; publicKey: string }): string {
  return `${key.keyId}:${createHash('sha256').update(Buffer.from(key.publicKey, 'base64url')).digest('base64url')}`;
}

/** The raw X25519 public key (base64url) of a raw private key: to check that a key pair belongs together. */
export function publicKeyOf(privateKey: Buffer): string {
  const priv = createPrivateKey({
    key: Buffer.concat([X25519_PKCS8_PREFIX, privateKey]),
    format: 'der',
    type: 'pkcs8',
  });
  return createPublicKey(priv).export({ format: 'jwk' }).x!;
}

export function generateSealingKeyPair(keyId: string): SealingKeyPair {
  const { publicRaw, privateRaw } = ephemeralKeyPair();
  return { keyId, publicKey: publicRaw.toString('base64url'), privateKey: Buffer.from(privateRaw) };
}

function aad(ctx: SealContext, keyId: string): Buffer {
  return Buffer.from(JSON.stringify(['v1', keyId, ctx.collection, ctx.recordId, ctx.field]));
}

/**
 * The AES-256 key of one record, as a KeyObject: a cipher made from a KeyObject skips the key
 * checks a Buffer goes through, ~6x cheaper per field on Node 24 (bench: 40,000 deciphers, 475 →
 * 81 ms), which is most of opening a record.
 */
function derive(shared: Buffer, ephemeral: Buffer, recipient: Buffer): KeyObject {
  return createSecretKey(Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), INFO, 32)));
}

/** Seals `plaintext` to the public key `keyId`/`publicKey` (base64url raw). */
export function seal(plaintext: string, ctx: SealContext, key: { keyId: string; publicKey: string }): string {
  return sealFields({ [ctx.field]: plaintext }, ctx, key)[ctx.field]!;
}

/**
 * Seals several fields of one record under the recipient's current sending key (see
 * {@link sendingKey}); each field has its own IV and its own AAD, and the stored form of each
 * field is complete on its own.
 */
export function sealFields(
  values: Record<string, string>,
  record: Omit<SealContext, 'field'>,
  key: { keyId: string; publicKey: string },
): Record<string, string> {
  const { aesKey, ephRaw } = sendingKey(key.publicKey);
  const out: Record<string, string> = {};
  for (const [field, plaintext] of Object.entries(values)) {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', aesKey, iv);
    cipher.setAAD(aad({ ...record, field }, key.keyId));
    const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    out[field] =
      `${SEALED_PREFIX}${key.keyId}:${Buffer.concat([ephRaw, iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
  }
  return out;
}

/**
 * How long one ephemeral key seals before a fresh one is made: at most `records` records (sealFields
 * calls) and `ms` milliseconds (monotonic clock). What these bound is written in docs/security.md.
 */
export const SENDING_KEY_LIMITS = { records: 256, ms: 60_000 } as const;

interface SendingKey {
  aesKey: KeyObject;
  ephRaw: Buffer;
  records: number;
  until: number;
}

const sendingKeys = new Map<string, SendingKey>();

/**
 * The ephemeral key and derived AES key new records to `publicKey` are sealed under: made (one
 * X25519 key pair and one agreement, ~0.15 ms) when there is none, or when the current one has
 * sealed {@link SENDING_KEY_LIMITS}.records records or is older than its `ms`. Its private half is
 * not kept: only the AES key it led to, which the recipient derives again from the ephemeral public
 * key in each value.
 */
function sendingKey(publicKey: string): SendingKey {
  const nowMs = performance.now();
  let k = sendingKeys.get(publicKey);
  if (!k || k.records >= SENDING_KEY_LIMITS.records || nowMs >= k.until) {
    const eph = ephemeralKeyPair();
    k = {
      aesKey: derive(
        diffieHellman({ privateKey: eph.privateKey, publicKey: recipientKeyObject(publicKey) }),
        eph.publicRaw,
        Buffer.from(publicKey, 'base64url'),
      ),
      ephRaw: eph.publicRaw,
      records: 0,
      until: nowMs + SENDING_KEY_LIMITS.ms,
    };
    if (sendingKeys.size >= 16) sendingKeys.clear();
    sendingKeys.set(publicKey, k);
  }
  k.records++;
  return k;
}

// The fields of one record share an ephemeral key: remember the last few derived keys.
const derivedKeys = new Map<string, KeyObject>();

function openingKey(key: SealingKeyPair, ephRaw: Buffer): KeyObject {
  const id = `${key.keyId}:${ephRaw.toString('base64url')}`;
  let k = derivedKeys.get(id);
  if (!k) {
    k = derive(
      diffieHellman({ privateKey: privateKeyObject(key), publicKey: publicKeyObject(ephRaw) }),
      ephRaw,
      Buffer.from(key.publicKey, 'base64url'),
    );
    if (derivedKeys.size >= 64) derivedKeys.delete(derivedKeys.keys().next().value!);
    derivedKeys.set(id, k);
  }
  return k;
}

/** True when `value` is in the sealed form. */
export function isSealed(value: unknown): value is string {
  return typeof value === 'string' && value.startsWith(SEALED_PREFIX);
}

/** The key id a sealed value was sealed to. @throws SealError */
export function sealedKeyId(value: string): string {
  const m = /^sealed:v1:([A-Za-z0-9_-]+):/.exec(value);
  if (!m) throw new SealError('not a sealed value');
  return m[1]!;
}

/**
 * Opens a sealed value with the private keys at hand (by key id).
 * @throws SealError when no key fits, the value was tampered with, or it belongs to another record or field
 */
export function open(value: string, ctx: SealContext, keys: ReadonlyMap<string, SealingKeyPair>): string {
  const keyId = sealedKeyId(value);
  const key = keys.get(keyId);
  if (!key) throw new SealError(`no private key for key id ${keyId}`);
  const blob = Buffer.from(value.slice(SEALED_PREFIX.length + keyId.length + 1), 'base64url');
  if (blob.length < 60) throw new SealError('sealed value is truncated');
  const ephRaw = blob.subarray(0, 32);
  const iv = blob.subarray(32, 44);
  const tag = blob.subarray(44, 60);
  const ct = blob.subarray(60);
  try {
    const decipher = createDecipheriv('aes-256-gcm', openingKey(key, ephRaw), iv);
    decipher.setAAD(aad(ctx, keyId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('sealed value failed authentication (tampered, moved, or wrong key)');
  }
}
