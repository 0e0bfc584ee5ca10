import { createCipheriv, createDecipheriv, createPublicKey, createPrivateKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, type KeyObject } from 'node:crypto';

/**
 * Sealed fields: write-only encryption of one value to a public key (architecture
 * "Security model"). Each value gets a fresh ephemeral X25519 key; the AES-256-GCM key comes
 * from HKDF-SHA256 over the shared secret; the AAD binds the ciphertext to its record and
 * field, so it cannot be moved to another one (ENC-1).
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

const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

function publicKeyObject(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function privateKeyObject(raw: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, raw]), format: 'der', type: 'pkcs8' });
}

export function generateSealingKeyPair(keyId: string): SealingKeyPair {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return {
    keyId,
    publicKey: publicKey.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI_PREFIX.length).toString('base64url'),
    privateKey: privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(X25519_PKCS8_PREFIX.length),
  };
}

function aad(ctx: SealContext, keyId: string): Buffer {
  return Buffer.from(JSON.stringify(['v1', keyId, ctx.collection, ctx.recordId, ctx.field]));
}

function derive(shared: Buffer, ephemeral: Buffer, recipient: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', shared, Buffer.concat([ephemeral, recipient]), INFO, 32));
}

/** Seals `plaintext` to the public key `keyId`/`publicKey` (base64url raw). */
export function seal(plaintext: string, ctx: SealContext, key: { keyId: string; publicKey: string }): string {
  const recipient = Buffer.from(key.publicKey, 'base64url');
  const eph = generateKeyPairSync('x25519');
  const ephRaw = eph.publicKey.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI_PREFIX.length);
  const shared = diffieHellman({ privateKey: eph.privateKey, publicKey: publicKeyObject(recipient) });
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', derive(shared, ephRaw, recipient), iv);
  cipher.setAAD(aad(ctx, key.keyId));
  const ct = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return `${SEALED_PREFIX}${key.keyId}:${Buffer.concat([ephRaw, iv, cipher.getAuthTag(), ct]).toString('base64url')}`;
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
    const shared = diffieHellman({ privateKey: privateKeyObject(key.privateKey), publicKey: publicKeyObject(ephRaw) });
    const decipher = createDecipheriv('aes-256-gcm', derive(shared, ephRaw, Buffer.from(key.publicKey, 'base64url')), iv);
    decipher.setAAD(aad(ctx, keyId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch {
    throw new SealError('sealed value failed authentication (tampered, moved, or wrong key)');
  }
}
