import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import {
  DEFAULT_HMAC_PLAN,
  hmacKey,
  payloadFormatOf,
  signedPayload,
  type BearerPlan,
  type HmacPlan,
  type WebhookAuthPlan,
} from '../domain/webhook-auth.js';

// The plans, signing and secret strength are the domain's; `serve`'s callers find them here too.
export {
  DEFAULT_HMAC_PLAN,
  MIN_SECRET_BITS,
  parseAuthPlan,
  payloadFormatOf,
  secretBits,
  signBody,
  signedPayload,
  signRequest,
  weakSecret,
  type BearerPlan,
  type HmacPlan,
  type WebhookAuthPlan,
} from '../domain/webhook-auth.js';

export interface AuthConfig {
  /** Tried in order; one that verifies is enough. */
  plans: WebhookAuthPlan[];
  /** Every active secret: the `secretKey` / `token` of the plans. */
  secrets: string[];
  /** @default 300 */
  toleranceSeconds: number;
  /**
   * Public base URLs of `serve` (e.g. `https://clinic.ngrok.app`), for `{url}`: behind a tunnel the
   * URL Vapi signed is not the one `serve` sees. The request's own Host is tried as well.
   */
  publicUrls?: string[];
}

/**
 * What `serve` accepts before `sync` has created a credential: the default HMAC plan, and the two
 * shared-secret headers older setups send (`Authorization: Bearer`, the legacy `X-Vapi-Secret`).
 */
export const PRE_SYNC_PLANS: WebhookAuthPlan[] = [
  DEFAULT_HMAC_PLAN,
  { type: 'bearer', headerName: 'Authorization', bearerPrefixEnabled: true },
  { type: 'bearer', headerName: 'X-Vapi-Secret', bearerPrefixEnabled: false },
];

export const DEFAULT_TOLERANCE_SECONDS = 300;

/** `sentAtMs`: the signed timestamp (when Vapi sent it), for an HMAC plan that signs one. */
export type AuthResult = { ok: true; via: 'hmac' | 'bearer'; sentAtMs?: number } | { ok: false; reason: string };

type Headers = Record<string, string | string[] | undefined>;

/** The request line, for `{method}` and `{url}`. */
export interface RequestLine {
  method: string;
  /** Path and query as received, e.g. `/webhook`. */
  url: string;
}

/** The headers a plan reads; `serve` rejects a request with none of them before reading its body (SEC-7). */
export function credentialHeaders(plans: WebhookAuthPlan[]): string[] {
  return [
    ...new Set(
      plans.map((p) =>
        (p.type === 'hmac' ? (p.signatureHeader ?? 'x-signature') : (p.headerName ?? 'authorization')).toLowerCase(),
      ),
    ),
  ];
}

/** Verifies a request on its raw bytes; never parses the body. */
export function verifyRequest(
  config: AuthConfig,
  headers: Headers,
  body: Buffer,
  nowMs: number,
  line: RequestLine = { method: 'POST', url: '/webhook' },
): AuthResult {
  return verifyWith(config, headers, body, nowMs, line) as AuthResult;
}

/**
 * What can be told from the headers alone, before a byte of the body is read (SEC-7): a bearer
 * token is checked in full; an HMAC signature's form, its timestamp (present, well-formed, within
 * tolerance) and message id are checked, the signature itself waits for the body. `ok: true`
 * means "read the body, then {@link verifyRequest}"; `ok: false` means refuse now.
 */
export function preVerifyRequest(
  config: AuthConfig,
  headers: Headers,
  nowMs: number,
  line: RequestLine = { method: 'POST', url: '/webhook' },
): { ok: true } | { ok: false; reason: string } {
  const result = verifyWith(config, headers, undefined, nowMs, line);
  return result.ok ? { ok: true } : result;
}

function verifyWith(
  config: AuthConfig,
  headers: Headers,
  body: Buffer | undefined,
  nowMs: number,
  line: RequestLine,
): AuthResult | { ok: 'pending' } {
  let failure: AuthResult | undefined;
  let pending = false;
  for (const plan of config.plans) {
    const result =
      plan.type === 'hmac'
        ? verifyHmac(plan, config, headers, body, nowMs, line)
        : verifyBearer(plan, config.secrets, headers);
    if (!result) continue;
    if (result.ok === 'pending') pending = true;
    else if (result.ok) return result;
    else failure ??= result;
  }
  if (pending) return { ok: 'pending' };
  return failure ?? { ok: false, reason: `no credential (expected ${credentialHeaders(config.plans).join(' or ')})` };
}

function verifyBearer(plan: BearerPlan, secrets: string[], headers: Headers): AuthResult | undefined {
  const name = plan.headerName ?? 'Authorization';
  const value = header(headers, name);
  if (value === undefined) return undefined;
  // Exactly what Vapi sends: strict, so every changed byte is a rejection.
  const token = plan.bearerPrefixEnabled === false ? value : value.startsWith('Bearer ') ? value.slice(7) : undefined;
  return token !== undefined && matchesAnySecret(secrets, token)
    ? { ok: true, via: 'bearer' }
    : { ok: false, reason: `wrong ${name}` };
}

function verifyHmac(
  plan: HmacPlan,
  config: AuthConfig,
  headers: Headers,
  body: Buffer | undefined,
  nowMs: number,
  line: RequestLine,
): AuthResult | { ok: 'pending' } | undefined {
  const sigName = plan.signatureHeader ?? 'x-signature';
  const raw = header(headers, sigName);
  if (raw === undefined) return undefined;
  const encoding = plan.signatureEncoding ?? 'hex';
  const prefix = plan.signaturePrefix ?? '';
  // Svix-style headers may carry several signatures separated by spaces; one must verify.
  const given: Buffer[] = [];
  for (const part of raw.includes(' ') && prefix ? raw.split(' ') : [raw]) {
    if (!part.startsWith(prefix)) continue;
    const text = part.slice(prefix.length);
    const bytes = Buffer.from(text, encoding);
    // Node's decoders are lenient (hex case, base64's unused low bits, stray characters): only the
    // canonical encoding is accepted, so every changed byte of a signature is a rejection.
    if (bytes.length && bytes.toString(encoding) === text) given.push(bytes);
  }
  if (!given.length) return { ok: false, reason: `malformed ${sigName}` };

  const format = payloadFormatOf(plan);
  const tsName = plan.timestampHeader ?? 'x-timestamp';
  const timestamp = header(headers, tsName);
  let sentAtMs: number | undefined;
  if (plan.includeTimestamp !== false || format.includes('{timestamp}')) {
    if (timestamp === undefined) return { ok: false, reason: `missing ${tsName}` };
    if (!/^\d{1,16}$/.test(timestamp)) return { ok: false, reason: `malformed ${tsName}` };
    const n = Number(timestamp);
    sentAtMs = n > 1e11 ? n : n * 1000;
    if (Math.abs(nowMs - sentAtMs) > config.toleranceSeconds * 1000)
      return { ok: false, reason: `${tsName} is more than ${config.toleranceSeconds} s off` };
  }
  const messageId = header(headers, plan.messageIdHeader ?? 'svix-id');
  if (format.includes('{svix-id}') && messageId === undefined)
    return { ok: false, reason: `missing ${plan.messageIdHeader ?? 'svix-id'}` };
  // Everything but the signature itself holds: that needs the body.
  if (!body) return { ok: 'pending' };
  const urls = format.includes('{url}') ? candidateUrls(config.publicUrls ?? [], headers, line) : [''];
  for (const url of urls) {
    const payload = signedPayload(format, { body, timestamp, method: line.method, url, messageId });
    for (const secret of config.secrets) {
      const expected = createHmac(plan.algorithm, hmacKey(plan, secret)).update(payload).digest();
      if (given.some((g) => g.length === expected.length && timingSafeEqual(expected, g)))
        return { ok: true, via: 'hmac', ...(sentAtMs !== undefined ? { sentAtMs } : {}) };
    }
  }
  return { ok: false, reason: `bad ${sigName}` };
}

/** The URL Vapi posted to: each public base URL with the request's path, then what the Host header says. */
function candidateUrls(publicUrls: string[], headers: Headers, line: RequestLine): string[] {
  const out = publicUrls.map((u) => `${u.replace(/\/+$/, '').replace(/\/webhook$/, '')}${line.url}`);
  const host = header(headers, 'x-forwarded-host') ?? header(headers, 'host');
  if (host)
    out.push(`${header(headers, 'x-forwarded-proto') ?? 'https'}://${host}${line.url}`, `http://${host}${line.url}`);
  return [...new Set(out)];
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
