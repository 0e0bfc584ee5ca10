import { createHash, createHmac, type KeyObject } from 'node:crypto';
import { textKeyObject } from '../crypto/hmac-keys.js';

/**
 * Vapi's webhook authentication plans as `sync` writes them and `serve` verifies them (spec
 * `HMACAuthenticationPlan`, `BearerAuthenticationPlan`; docs `fern/server-url/server-authentication.mdx`),
 * without their secret; how a request is signed by one (what Vapi does, and `trigger`); and how strong
 * a webhook secret must be. Verification lives in `src/server/auth.ts`.
 */

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

/** `payloadFormat`, or Vapi's default for the plan. */
export function payloadFormatOf(plan: HmacPlan): string {
  return plan.payloadFormat ?? (plan.includeTimestamp === false ? '{body}' : '{timestamp}.{body}');
}

/** The HMAC key of `secret` under `plan` (its bytes base64 or UTF-8), as a KeyObject made once per secret. */
export function hmacKey(plan: HmacPlan, secret: string): KeyObject {
  return textKeyObject(secret, plan.secretIsBase64 ? 'base64' : 'utf8');
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
