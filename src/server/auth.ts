import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * How `serve` authenticates Vapi's webhook requests (vapi-reference.md §3).
 *
 * Vapi signs or authenticates each request with the credential named by `server.credentialId`.
 * A credential of provider `webhook` holds an authentication plan; `serve` verifies the two kinds
 * that carry a shared secret, exactly as configured:
 *
 * - {@link HmacPlan} (spec `HMACAuthenticationPlan`): an HMAC (sha1, sha256 or sha512) of
 *   `payloadFormat` (default `{timestamp}.{body}`; placeholders `{body}`, `{timestamp}`, `{method}`,
 *   `{url}`, `{svix-id}`), hex or base64, after `signaturePrefix`, in `signatureHeader`
 *   (default `x-signature`); the timestamp (seconds or milliseconds since the epoch) in
 *   `timestampHeader` (default `x-timestamp`) must be within `toleranceSeconds` of now.
 * - {@link BearerPlan} (spec `BearerAuthenticationPlan`): the token in `headerName`
 *   (default `Authorization`), after `Bearer ` unless `bearerPrefixEnabled` is false.
 *
 * The plans here carry no secret (`secretKey`, `token`): the secrets come from
 * `VAPI_SERVER_SECRET` and `VAPI_SERVER_SECRET_PREVIOUS`, and any of them may verify (rotation, SEC-5).
 * A request is accepted when one configured plan verifies it; headers that no plan names (say an
 * `Authorization` a proxy added beside an HMAC signature) are not looked at.
 */
export interface HmacPlan {
  type: 'hmac';
  algorithm: 'sha256' | 'sha512' | 'sha1';
  /** @default "x-signature" */
  signatureHeader?: string;
  /** @default "x-timestamp" */
  timestampHeader?: string;
  /** Text before the signature, e.g. `sha256=`. @default "" */
  signaturePrefix?: string;
  /** @default true */
  includeTimestamp?: boolean;
  /** @default "{timestamp}.{body}", or "{body}" when includeTimestamp is false */
  payloadFormat?: string;
  /** Where `{svix-id}` comes from. @default "svix-id" */
  messageIdHeader?: string;
  /** @default "hex" */
  signatureEncoding?: 'hex' | 'base64';
  /** The secret is base64 and its decoded bytes are the key. @default false */
  secretIsBase64?: boolean;
}

export interface BearerPlan {
  type: 'bearer';
  /** @default "Authorization" */
  headerName?: string;
  /** @default true */
  bearerPrefixEnabled?: boolean;
}

/** An authentication plan without its secret. */
export type WebhookAuthPlan = HmacPlan | BearerPlan;

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

/** The plan `sync` creates: HMAC-SHA256, hex, over `{timestamp}.{body}` (Vapi's defaults, written out). */
export const DEFAULT_HMAC_PLAN: HmacPlan = {
  type: 'hmac',
  algorithm: 'sha256',
  signatureHeader: 'x-signature',
  timestampHeader: 'x-timestamp',
  includeTimestamp: true,
  payloadFormat: '{timestamp}.{body}',
  signatureEncoding: 'hex',
};

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

/** `payloadFormat`, or Vapi's default for the plan. */
export function payloadFormatOf(plan: HmacPlan): string {
  return plan.payloadFormat ?? (plan.includeTimestamp === false ? '{body}' : '{timestamp}.{body}');
}

function hmacKey(plan: HmacPlan, secret: string): Buffer {
  return plan.secretIsBase64 ? Buffer.from(secret, 'base64') : Buffer.from(secret, 'utf8');
}

/** The URL Vapi posted to: each public base URL with the request's path, then what the Host header says. */
function candidateUrls(publicUrls: string[], headers: Headers, line: RequestLine): string[] {
  const out = publicUrls.map((u) => `${u.replace(/\/+$/, '').replace(/\/webhook$/, '')}${line.url}`);
  const host = header(headers, 'x-forwarded-host') ?? header(headers, 'host');
  if (host)
    out.push(`${header(headers, 'x-forwarded-proto') ?? 'https'}://${host}${line.url}`, `http://${host}${line.url}`);
  return [...new Set(out)];
}

/** What an HMAC covers: `payloadFormat` with its placeholders filled in, the body as raw bytes. */
export function signedPayload(
  format: string,
  parts: { body: Buffer; timestamp?: string; method?: string; url?: string; messageId?: string },
): Buffer {
  const fill = (s: string) =>
    Buffer.from(
      s
        .replaceAll('{timestamp}', parts.timestamp ?? '')
        .replaceAll('{method}', parts.method ?? 'POST')
        .replaceAll('{url}', parts.url ?? '')
        .replaceAll('{svix-id}', parts.messageId ?? ''),
    );
  const pieces = format.split('{body}');
  const chunks: Buffer[] = [];
  pieces.forEach((p, i) => {
    chunks.push(fill(p));
    if (i < pieces.length - 1) chunks.push(parts.body);
  });
  return Buffer.concat(chunks);
}

/**
 * The headers Vapi would send for `plan` (used by `trigger`): signature, timestamp (ms) and, when
 * the format needs one, a message id; for a bearer plan, the token header.
 */
export function signRequest(
  plan: WebhookAuthPlan,
  secret: string,
  req: { body: Buffer; timestamp: string; method?: string; url?: string; messageId?: string },
): Record<string, string> {
  if (plan.type === 'bearer')
    return {
      [(plan.headerName ?? 'Authorization').toLowerCase()]:
        plan.bearerPrefixEnabled === false ? secret : `Bearer ${secret}`,
    };
  const format = payloadFormatOf(plan);
  const messageId =
    req.messageId ??
    (format.includes('{svix-id}')
      ? `msg_${createHash('sha256').update(req.body).digest('hex').slice(0, 24)}`
      : undefined);
  const digest = createHmac(plan.algorithm, hmacKey(plan, secret))
    .update(signedPayload(format, { ...req, messageId }))
    .digest(plan.signatureEncoding ?? 'hex');
  const headers: Record<string, string> = {
    [(plan.signatureHeader ?? 'x-signature').toLowerCase()]: `${plan.signaturePrefix ?? ''}${digest}`,
  };
  if (plan.includeTimestamp !== false || format.includes('{timestamp}'))
    headers[(plan.timestampHeader ?? 'x-timestamp').toLowerCase()] = req.timestamp;
  if (messageId !== undefined) headers[(plan.messageIdHeader ?? 'svix-id').toLowerCase()] = messageId;
  return headers;
}

/** Signs a body with the default plan's HMAC-SHA256 hex over `{timestamp}.{body}` (tests and `trigger`). */
export function signBody(secret: string, body: Buffer, opts: { timestamp: string }): string {
  return signRequest(DEFAULT_HMAC_PLAN, secret, { body, timestamp: opts.timestamp })['x-signature']!;
}

/**
 * Reads an authentication plan as Vapi's credential holds it (spec `HMACAuthenticationPlan` or
 * `BearerAuthenticationPlan`), dropping its secret. @throws Error naming the bad field
 */
export function parseAuthPlan(value: unknown): WebhookAuthPlan {
  const v = value as Record<string, unknown>;
  if (!v || typeof v !== 'object') throw new Error('an authentication plan must be a JSON object');
  const strOpt = (k: string) => {
    if (v[k] === undefined || v[k] === null) return undefined;
    if (typeof v[k] !== 'string') throw new Error(`"${k}" must be a string`);
    return v[k] as string;
  };
  const boolOpt = (k: string) => {
    if (v[k] === undefined || v[k] === null) return undefined;
    if (typeof v[k] !== 'boolean') throw new Error(`"${k}" must be true or false`);
    return v[k] as boolean;
  };
  if (v.type === 'bearer') {
    return dropUndefined({
      type: 'bearer',
      headerName: strOpt('headerName'),
      bearerPrefixEnabled: boolOpt('bearerPrefixEnabled'),
    }) as unknown as BearerPlan;
  }
  if (v.type !== 'hmac')
    throw new Error(`"type" must be "hmac" or "bearer" (oauth2 credentials carry no secret serve could check)`);
  const algorithm = strOpt('algorithm') ?? 'sha256';
  if (!['sha256', 'sha512', 'sha1'].includes(algorithm))
    throw new Error(`"algorithm" must be sha256, sha512 or sha1, not "${algorithm}"`);
  const signatureEncoding = strOpt('signatureEncoding');
  if (signatureEncoding !== undefined && signatureEncoding !== 'hex' && signatureEncoding !== 'base64')
    throw new Error(`"signatureEncoding" must be hex or base64`);
  return dropUndefined({
    type: 'hmac',
    algorithm,
    signatureHeader: strOpt('signatureHeader'),
    timestampHeader: strOpt('timestampHeader'),
    signaturePrefix: strOpt('signaturePrefix'),
    includeTimestamp: boolOpt('includeTimestamp'),
    payloadFormat: strOpt('payloadFormat'),
    messageIdHeader: strOpt('messageIdHeader'),
    signatureEncoding,
    secretIsBase64: boolOpt('secretIsBase64'),
  }) as unknown as HmacPlan;
}

function dropUndefined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined));
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

/** Bits of a secret by the alphabet it draws from (hex 4, base64 6, else the classes it uses), 0 for a repeated pattern. */
export function secretBits(secret: string): number {
  if (new Set(secret).size < 8) return 0;
  if (/^[0-9a-f]+$/i.test(secret)) return secret.length * 4;
  if (/^[A-Za-z0-9+/_=-]+$/.test(secret)) return Math.floor(secret.length * Math.log2(Math.min(64, alphabet(secret))));
  return Math.floor(secret.length * Math.log2(alphabet(secret)));
}

function alphabet(s: string): number {
  return (
    (/[a-z]/.test(s) ? 26 : 0) +
    (/[A-Z]/.test(s) ? 26 : 0) +
    (/[0-9]/.test(s) ? 10 : 0) +
    (/[^A-Za-z0-9]/.test(s) ? 32 : 0)
  );
}

/** The least a webhook secret may carry for `serve` and `sync` to use it ({@link secretBits}); `preflight` asks for 128. */
export const MIN_SECRET_BITS = 64;

/**
 * Why a webhook secret is refused, or undefined: shorter than 16 characters, white space at an
 * end (a copying slip: Vapi would sign with something else), or under {@link MIN_SECRET_BITS}
 * (sixteen spaces, a repeated character or pattern).
 */
export function weakSecret(secret: string): string | undefined {
  if (secret.length < 16) return 'is shorter than 16 characters';
  if (secret.trim() !== secret) return 'begins or ends with white space';
  const bits = secretBits(secret);
  if (bits < MIN_SECRET_BITS) return `has about ${bits} bits of randomness; it needs at least ${MIN_SECRET_BITS}`;
  return undefined;
}
