import type { Doc } from '../store/types.js';

// Records of serve and its channels that live in the store: their shapes here, below the rooms that
// write them, so that the collections are typed for every room (src/domain/collections.ts).

/** A first reply to a tool call, kept for Vapi's redeliveries (collection `replies`, `_id` the call's key). */
export interface StoredReply {
  _id: string;
  reply: unknown;
  createdAt: string;
  [k: string]: unknown;
}

/** An outgoing-webhook receiver (`notify webhooks add`; collection `webhooks`). */
export interface WebhookEndpoint extends Doc {
  /** `we_` + 16 characters */
  _id: string;
  url: string;
  /** The events it gets; `['*']`: all. */
  events: string[];
  /** The signing secret (`whsec_…`), sealed for serve (it signs). */
  secret: string;
  description?: string;
  createdAt: string;
}
