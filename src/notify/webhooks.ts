import type { WebhookEndpoint } from '../domain/records.js';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Store } from '../store/types.js';
import type { FieldSealer } from '../domain/sealer.js';
import type { NotificationEvent } from '../domain/outbox.js';

/**
 * Outgoing webhooks (collection `webhooks`): make.com, Zapier, n8n or anything that takes a signed
 * POST. Each delivery follows the Standard Webhooks spec (https://www.standardwebhooks.com):
 * headers `webhook-id` (the outbox entry's id, the same on every retry), `webhook-timestamp`
 * (Unix seconds) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`), signed
 * with the `standardwebhooks` library; the body is the notification's `{type, timestamp, data}`.
 */

export type { WebhookEndpoint } from '../domain/records.js';

export const webhookEndpoints = (store: Store) => store.collection('webhooks');

/** A new signing secret in the Standard Webhooks form: `whsec_` + base64 of 24 random bytes. */
export function newSigningSecret(): string {
  return `whsec_${randomBytes(24).toString('base64')}`;
}

export const wantsEvent = (e: Pick<WebhookEndpoint, 'events'>, event: NotificationEvent) =>
  e.events.includes('*') || e.events.includes(event);

export const secretBinding = (endpointId: string) => `webhook:${endpointId}`;

/** The endpoint's signing secret, opened. @throws Error (another blind-index key, damaged) */
export function endpointSecret(e: WebhookEndpoint, sealer: FieldSealer): string {
  return sealer.openPending(e.secret, secretBinding(e._id));
}

/** A delivery that did not get a 2xx: the status (0: no answer) and why. */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

/** How long one webhook delivery may take, ms. */
export const WEBHOOK_TIMEOUT_MS = 10_000;

/**
 * POSTs one notification, signed. @throws DeliveryError (non-2xx, timeout, unreachable)
 */
export async function postWebhook(
  endpoint: Pick<WebhookEndpoint, 'url'>,
  secret: string,
  msgId: string,
  body: string,
  at: Date,
  fetchImpl: typeof fetch = fetch,
): Promise<void> {
  const { Webhook } = createRequire(import.meta.url)('standardwebhooks') as typeof import('standardwebhooks');
  const signature = new Webhook(secret).sign(msgId, at, body);
  let res: Response;
  try {
    res = await fetchImpl(endpoint.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'receptionist-webhooks',
        'webhook-id': msgId,
        'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
        'webhook-signature': signature,
      },
      body,
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
      redirect: 'error',
    });
  } catch (err) {
    throw new DeliveryError(`${new URL(endpoint.url).host}: ${(err as Error).message}`, 0);
  }
  await res.body?.cancel().catch(() => undefined);
  if (res.status < 200 || res.status >= 300)
    throw new DeliveryError(`${new URL(endpoint.url).host} answered ${res.status}`, res.status);
}
