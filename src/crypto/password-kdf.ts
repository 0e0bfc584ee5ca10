import { createCipheriv, createDecipheriv, randomBytes, scrypt } from 'node:crypto';

/**
 * Password-based wrapping of a private key (ENC-2). scrypt at OWASP's minimum
 * (N = 2^17, r = 8, p = 1), Node's built-in implementation (no native module to build);
 * the parameters are stored beside each wrap so they can be raised later.
 */
export interface KdfParams {
  name: 'scrypt';
  N: number;
  r: number;
  p: number;
  /** base64url, 16 bytes */
  salt: string;
}

/** A private key encrypted under a password-derived key (AES-256-GCM). All fields base64url. */
export interface PasswordWrap {
  kdf: KdfParams;
  iv: string;
  tag: string;
  ciphertext: string;
}

export const OWASP_SCRYPT = { N: 2 ** 17, r: 8, p: 1 } as const;

/** Thrown for a wrong password or a damaged wrap; never says which. */
export class UnwrapError extends Error {
  constructor() {
    super('wrong password or damaged key wrap');
    this.name = 'UnwrapError';
  }
}

function deriveKey(password: string, kdf: KdfParams): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(
      password.normalize('NFKC'),
      Buffer.from(kdf.salt, 'base64url'),
      32,
      { N: kdf.N, r: kdf.r, p: kdf.p, maxmem: 256 * kdf.N * kdf.r * 2 },
      (err, key) => (err ? reject(err) : resolve(key)),
    ),
  );
}

/** Encrypts `secret` under `password`. `aad` binds the wrap to its owner and key (e.g. "admin|k1"). */
export async function wrapWithPassword(
  secret: Buffer,
  password: string,
  aad: string,
  params: Omit<KdfParams, 'name' | 'salt'> = OWASP_SCRYPT,
): Promise<PasswordWrap> {
  const kdf: KdfParams = { name: 'scrypt', ...params, salt: randomBytes(16).toString('base64url') };
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', await deriveKey(password, kdf), iv);
  cipher.setAAD(Buffer.from(aad));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  return {
    kdf,
    iv: iv.toString('base64url'),
    tag: cipher.getAuthTag().toString('base64url'),
    ciphertext: ciphertext.toString('base64url'),
  };
}

/**
 * A wrap that no password opens, with the given KDF parameters, made without deriving anything:
 * unwrapping it costs exactly what unwrapping a real one does (one derivation), so an unknown
 * username takes as long as a known one with a wrong password.
 */
export function decoyWrap(params: Omit<KdfParams, 'name' | 'salt'>): PasswordWrap {
  const b64 = (n: number) => randomBytes(n).toString('base64url');
  return { kdf: { name: 'scrypt', ...params, salt: b64(16) }, iv: b64(12), tag: b64(16), ciphertext: b64(32) };
}

/** @throws UnwrapError for a wrong password, a different `aad`, or a tampered wrap */
export async function unwrapWithPassword(wrap: PasswordWrap, password: string, aad: string): Promise<Buffer> {
  if (wrap.kdf?.name !== 'scrypt') throw new UnwrapError();
  const key = await deriveKey(password, wrap.kdf).catch(() => {
    throw new UnwrapError();
  });
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(wrap.iv, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(wrap.tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(wrap.ciphertext, 'base64url')), decipher.final()]);
  } catch {
    throw new UnwrapError();
  }
}
