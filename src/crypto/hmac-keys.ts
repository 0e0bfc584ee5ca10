import { createSecretKey, type KeyObject } from 'node:crypto';

/**
 * HMAC keys as `KeyObject`s, made once per key: `createHmac(alg, buffer)` makes and checks a new
 * KeyObject inside Node on every call (~10 µs on Node 24), `createHmac(alg, keyObject)` does not
 * (~1.4 µs). For keys that live as long as the process (the blind-index key, webhook secrets).
 */
const byBuffer = new WeakMap<Buffer, KeyObject>();
const byText = new Map<string, KeyObject>();
const TEXT_MAX = 64;

/** The KeyObject of a long-lived key Buffer (kept while the Buffer is). */
export function keyObject(key: Buffer): KeyObject {
  let k = byBuffer.get(key);
  if (!k) byBuffer.set(key, (k = createSecretKey(key)));
  return k;
}

/** The KeyObject of a secret given as text (`encoding`: how its bytes are written), at most 64 kept. */
export function textKeyObject(secret: string, encoding: 'utf8' | 'base64'): KeyObject {
  const id = `${encoding}:${secret}`;
  let k = byText.get(id);
  if (!k) {
    k = createSecretKey(Buffer.from(secret, encoding));
    if (byText.size >= TEXT_MAX) byText.clear();
    byText.set(id, k);
  }
  return k;
}
