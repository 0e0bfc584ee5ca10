import type { WebhookAuthPlan } from './webhook-auth.js';

/**
 * What the bot config records of its resources on Vapi (`BotConfig.vapi`): the domain's record of
 * them, which `src/vapi/` reads and writes. Nothing here talks to Vapi.
 */

/**
 * Sync state recorded in the bot config after each successful write, per resource:
 * the id, the body we sent, and what Vapi returned. Comparing what we would send now with
 * what we sent decides updates; comparing what Vapi holds now with what it returned then
 * detects edits made elsewhere (drift). Vapi's own defaults never count as a change.
 */
export interface ResourceState {
  id: string;
  sent: Record<string, unknown>;
  received: Record<string, unknown>;
}

export interface SyncState {
  assistant?: ResourceState;
  /** By function name. */
  tools?: Record<string, ResourceState>;
  /** The webhook credential; `sent` and `received` never hold its secret. */
  credential?: ResourceState;
  phoneNumber?: ResourceState;
}

/** A Vapi `Server` object (spec `Server`): where messages go and how they authenticate. */
export type VapiServer = Record<string, unknown> & { url?: string };

/**
 * Recorded in the bot config (`vapi.tunnel`) while `serve --update-assistant` points the synced
 * assistant and tools at a tunnel, so that the previous `server` of each is restored on exit,
 * by the next `serve` or by `sync` if that process died, and so that `sync` does not count the
 * tunnel URL as drift.
 */
export interface TunnelRecord {
  /** The webhook URL they point at now (…/webhook). */
  url: string;
  /** The `serve` process holding the tunnel. */
  pid: number;
  /** ISO time */
  since: string;
  previous: {
    assistant?: { id: string; server?: VapiServer };
    tools: Record<string, { id: string; server?: VapiServer }>;
    /** The phone number `sync --phone-number` pointed at `serve`. */
    phoneNumber?: { id: string; server?: VapiServer };
  };
}

/** What the bot config keeps of the credential (`vapi.credential`): never the secret. */
export interface CredentialRecord {
  id: string;
  name: string;
  /** The plan `serve` verifies, without `secretKey`. */
  plan: WebhookAuthPlan;
}

/**
 * A secret rotation `sync --rotate-secret` started (bot config `vapi.rotation`): the credential on
 * Vapi holds `to`; `serve` must accept `from` as well (`VAPI_SERVER_SECRET_PREVIOUS`) until the
 * operator drops it, and the next `sync` without it records the rotation finished.
 */
export interface SecretRotation {
  /** Fingerprint of the secret the credential had. */
  from: string;
  /** Fingerprint of the secret it has now. */
  to: string;
  /** ISO time the credential was switched. */
  at: string;
  credentialId: string;
}
