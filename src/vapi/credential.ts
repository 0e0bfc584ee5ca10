import { createHmac } from 'node:crypto';
import { DEFAULT_HMAC_PLAN, payloadFormatOf, type WebhookAuthPlan } from '../domain/webhook-auth.js';
import type { CredentialRecord, SecretRotation } from '../domain/vapi-records.js';

export type { CredentialRecord, SecretRotation };

/**
 * The webhook credential `sync` creates on Vapi (`POST /credential`, spec
 * `CreateWebhookCredentialDTO`: provider `webhook` with an `HMACAuthenticationPlan` whose
 * `secretKey` is `VAPI_SERVER_SECRET`), and that every `server.credentialId` names.
 *
 * Vapi never gives the secret back, so the credential's `name` carries a fingerprint of it
 * (`receptionist webhook 1a2b3c4d`: 32 bits of an HMAC keyed by the secret, which tells nothing about
 * a ≥ 128-bit secret). Any checkout holding the secret can then tell whether the credential on Vapi
 * carries it, and `sync` finds its credential again from a fresh store.
 */
export const CREDENTIAL_NAME_PREFIX = 'receptionist webhook';

/** 8 hex characters identifying a secret. */
export function secretFingerprint(secret: string): string {
  return createHmac('sha256', secret).update('receptionist credential fingerprint v1').digest('hex').slice(0, 8);
}

export function credentialName(secret: string): string {
  return `${CREDENTIAL_NAME_PREFIX} ${secretFingerprint(secret)}`;
}

/** The body `sync` sends, with the secret (spec `CreateWebhookCredentialDTO`). */
export function desiredCredential(secret: string): Record<string, unknown> {
  return {
    provider: 'webhook',
    name: credentialName(secret),
    authenticationPlan: { ...DEFAULT_HMAC_PLAN, secretKey: secret },
  };
}

/** The same body with the secret left out: what is compared, recorded and shown. */
export function withoutSecret(body: Record<string, unknown>): Record<string, unknown> {
  const plan = body.authenticationPlan as Record<string, unknown> | undefined;
  if (!plan) return body;
  const { secretKey: _s, token: _t, clientSecret: _c, ...rest } = plan;
  return { ...body, authenticationPlan: rest };
}

/** The fingerprint in a credential's name (`receptionist webhook 1a2b3c4d` → `1a2b3c4d`), if it has one. */
export function credentialFingerprint(c: Record<string, unknown> | null | undefined): string | undefined {
  const name = typeof c?.name === 'string' ? c.name : '';
  return new RegExp(`^${CREDENTIAL_NAME_PREFIX} ([0-9a-f]{8})$`).exec(name)?.[1];
}

/** Is this credential (from `GET /credential`) one that `sync` made? */
export function isOurCredential(c: Record<string, unknown>): boolean {
  return c.provider === 'webhook' && typeof c.name === 'string' && c.name.startsWith(`${CREDENTIAL_NAME_PREFIX} `);
}

/** "hmac sha256 hex over {timestamp}.{body} in x-signature (+ x-timestamp)", "bearer in Authorization". */
export function describePlan(plan: WebhookAuthPlan): string {
  if (plan.type === 'bearer')
    return `bearer in ${plan.headerName ?? 'Authorization'}${plan.bearerPrefixEnabled === false ? ' (no "Bearer " prefix)' : ''}`;
  const format = payloadFormatOf(plan);
  const ts =
    plan.includeTimestamp !== false || format.includes('{timestamp}')
      ? ` (+ ${plan.timestampHeader ?? 'x-timestamp'})`
      : '';
  const prefix = plan.signaturePrefix ? ` prefixed "${plan.signaturePrefix}"` : '';
  return `hmac ${plan.algorithm} ${plan.signatureEncoding ?? 'hex'}${prefix} over ${format} in ${plan.signatureHeader ?? 'x-signature'}${ts}`;
}
