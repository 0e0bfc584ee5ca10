import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';

/**
 * What `serve` must read while a notification is pending (the patient's contact details, a
 * webhook's signing secret), sealed for `serve` itself: AES-256-GCM under a key derived (HKDF-SHA256,
 * info `receptionist outbox v1`) from `RECEPTIONIST_BLIND_INDEX_KEY`, which `serve` holds, bound to
 * the record it belongs to (the additional data). Not the store's public-key sealing: `serve` holds
 * no key that opens that. Format `p1.<iv>.<ciphertext+tag>` (base64url).
 */
export const PENDING_PREFIX = 'p1.';

const keys = new WeakMap<Buffer, Buffer>();
function pendingKey(blindIndexKey: Buffer): Buffer {
  let k = keys.get(blindIndexKey);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', blindIndexKey, Buffer.alloc(0), 'receptionist outbox v1', 32));
    keys.set(blindIndexKey, k);
  }
  return k;
}

/** Seals `text` for `serve`, bound to `boundTo` (e.g. `outbox:<id>`). */
export function sealPending(blindIndexKey: Buffer, text: string, boundTo: string): string {
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', pendingKey(blindIndexKey), iv);
  c.setAAD(Buffer.from(boundTo));
  const body = Buffer.concat([c.update(text, 'utf8'), c.final(), c.getAuthTag()]);
  return `${PENDING_PREFIX}${iv.toString('base64url')}.${body.toString('base64url')}`;
}

/** Opens what {@link sealPending} sealed. @throws Error when it was sealed for another record or key, or damaged */
export function openPending(blindIndexKey: Buffer, sealed: string, boundTo: string): string {
  const [, iv, body] = sealed.split('.');
  if (!sealed.startsWith(PENDING_PREFIX) || !iv || !body) throw new Error('not a pending-sealed value');
  const raw = Buffer.from(body, 'base64url');
  const d = createDecipheriv('aes-256-gcm', pendingKey(blindIndexKey), Buffer.from(iv, 'base64url'));
  d.setAAD(Buffer.from(boundTo));
  d.setAuthTag(raw.subarray(raw.length - 16));
  return Buffer.concat([d.update(raw.subarray(0, raw.length - 16)), d.final()]).toString('utf8');
}

/**
 * The unguessable token of a doctor's calendar feed URL: HMAC-SHA256 (key derived from the
 * blind-index key, info `receptionist calendar feed v1`) of the doctor's id and feed version,
 * base64url, 43 characters. `doctors feed-url` prints it; `serve` checks it; `--rotate` bumps the
 * version, so the old URL stops working.
 */
export function feedToken(blindIndexKey: Buffer, doctorId: string, version: number): string {
  const key = Buffer.from(hkdfSync('sha256', blindIndexKey, Buffer.alloc(0), 'receptionist calendar feed v1', 32));
  return createHmac('sha256', key).update(`${doctorId}\n${version}`).digest('base64url');
}
