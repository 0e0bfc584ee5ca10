import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How `serve` authenticates Vapi's webhook requests (vapi-reference.md §3).
 *
 * - Shared secret: `X-Vapi-Secret: <secret>` or `Authorization: Bearer <secret>`
 *   (a Vapi `bearer` credential, or the legacy `server.secret`).
 * - HMAC: Vapi's `hmac` credential (schema `HMACAuthenticationPlan`): `x-signature` holds
 *   HMAC-SHA256 or -SHA512 of `payloadFormat` (default `{timestamp}.{body}`) in lowercase hex
 *   or padded base64 (as Node's `digest()` writes them), with or without a `sha256=` style prefix; `x-timestamp` holds seconds or
 *   milliseconds since the epoch and must be within `toleranceSeconds` of now.
 *
 * Every credential a request presents must verify, and at least one must be present.
 * Several secrets may be active at once (rotation, SEC-5).
 */
export interface AuthConfig {
  secrets: string[];
  /** Placeholders `{timestamp}` and `{body}`. @default "{timestamp}.{body}" */
  payloadFormat: string;
  /** HMAC requests without `x-timestamp` are rejected. @default true */
  requireTimestamp: boolean;
  /** @default 300 */
  toleranceSeconds: number;
  signatureHeader: string;
  timestampHeader: string;
}

export const DEFAULT_AUTH: Omit<AuthConfig, 'secrets'> = {
  payloadFormat: '{timestamp}.{body}',
  requireTimestamp: true,
  toleranceSeconds: 300,
  signatureHeader: 'x-signature',
  timestampHeader: 'x-timestamp',
};

export type AuthResult = { ok: true; via: 'secret' | 'bearer' | 'hmac' } | { ok: false; reason: string };

type Headers = Record<string, string | string[] | undefined>;

/** Verifies a request on its raw bytes; never parses the body. */
export function verifyRequest(config: AuthConfig, headers: Headers, body: Buffer, nowMs: number): AuthResult {
  const presented: AuthResult[] = [];
  const secretHeader = header(headers, 'x-vapi-secret');
  if (secretHeader !== undefined) {
    presented.push(matchesAnySecret(config.secrets, secretHeader) ? { ok: true, via: 'secret' } : { ok: false, reason: 'wrong X-Vapi-Secret' });
  }
  const authorization = header(headers, 'authorization');
  if (authorization !== undefined) {
    // Exactly what Vapi's bearer credential sends: strict, so every changed byte is a rejection.
    const token = authorization.startsWith('Bearer ') ? authorization.slice(7) : undefined;
    presented.push(token !== undefined && matchesAnySecret(config.secrets, token) ? { ok: true, via: 'bearer' } : { ok: false, reason: 'wrong Authorization bearer token' });
  }
  const signature = header(headers, config.signatureHeader);
  if (signature !== undefined) presented.push(verifyHmac(config, signature, header(headers, config.timestampHeader), body, nowMs));
  if (presented.length === 0) return { ok: false, reason: 'no credential (X-Vapi-Secret, Authorization or x-signature)' };
  return presented.find((r) => !r.ok) ?? presented[0]!;
}

const ALGORITHMS: Record<string, { algo: 'sha256' | 'sha512'; encoding: 'hex' | 'base64' }> = {
  // Digest lengths differ per algorithm and encoding, so the signature tells which was used.
  64: { algo: 'sha256', encoding: 'hex' },
  44: { algo: 'sha256', encoding: 'base64' },
  128: { algo: 'sha512', encoding: 'hex' },
  88: { algo: 'sha512', encoding: 'base64' },
};

function verifyHmac(config: AuthConfig, rawSignature: string, timestamp: string | undefined, body: Buffer, nowMs: number): AuthResult {
  const prefixed = /^(sha256|sha512)=(.*)$/.exec(rawSignature);
  const signature = prefixed ? prefixed[2]! : rawSignature;
  const kind = ALGORITHMS[signature.length];
  if (!kind || (prefixed && prefixed[1] !== kind.algo)) return { ok: false, reason: 'malformed x-signature' };
  const given = Buffer.from(signature, kind.encoding);
  // Node's decoders are lenient (hex case, base64's unused low bits, stray characters): only the
  // canonical encoding is accepted, so every changed byte of a signature is a rejection.
  if (given.toString(kind.encoding) !== signature) return { ok: false, reason: 'malformed x-signature' };

  if (timestamp === undefined) {
    if (config.requireTimestamp) return { ok: false, reason: `missing ${config.timestampHeader}` };
  } else {
    if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: `malformed ${config.timestampHeader}` };
    const n = Number(timestamp);
    const ms = n > 1e11 ? n : n * 1000;
    if (Math.abs(nowMs - ms) > config.toleranceSeconds * 1000) return { ok: false, reason: `${config.timestampHeader} is more than ${config.toleranceSeconds} s off` };
  }
  const payload = signedPayload(config.payloadFormat, timestamp, body);
  for (const secret of config.secrets) {
    const expected = createHmac(kind.algo, secret).update(payload).digest();
    if (expected.length === given.length && timingSafeEqual(expected, given)) return { ok: true, via: 'hmac' };
  }
  return { ok: false, reason: 'bad x-signature' };
}

/** The bytes an HMAC covers: `payloadFormat` with `{timestamp}` and `{body}` filled in. */
export function signedPayload(format: string, timestamp: string | undefined, body: Buffer): Buffer {
  if (timestamp === undefined && (format === '{timestamp}.{body}' || format === '{body}')) return body;
  const parts = format.split('{body}');
  const fill = (s: string) => Buffer.from(s.replaceAll('{timestamp}', timestamp ?? ''));
  const chunks: Buffer[] = [];
  parts.forEach((p, i) => {
    chunks.push(fill(p));
    if (i < parts.length - 1) chunks.push(body);
  });
  return Buffer.concat(chunks);
}

/** Signs a body as Vapi's HMAC credential would (used by `trigger` and tests). */
export function signBody(
  secret: string,
  body: Buffer,
  opts: { algorithm?: 'sha256' | 'sha512'; encoding?: 'hex' | 'base64'; prefix?: boolean; timestamp?: string; payloadFormat?: string } = {},
): string {
  const algo = opts.algorithm ?? 'sha256';
  const digest = createHmac(algo, secret)
    .update(signedPayload(opts.payloadFormat ?? DEFAULT_AUTH.payloadFormat, opts.timestamp, body))
    .digest(opts.encoding ?? 'hex');
  return opts.prefix ? `${algo}=${digest}` : digest;
}

function matchesAnySecret(secrets: string[], given: string): boolean {
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const g = createHash('sha256').update(given).digest();
  let ok = false;
  for (const s of secrets) ok = timingSafeEqual(createHash('sha256').update(s).digest(), g) || ok;
  return ok;
}

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}
