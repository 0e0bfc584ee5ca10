import type { Notification } from '../domain/outbox.js';

/** One way a notification reaches someone: a webhook endpoint, email, SMS, a reminder call. */
export interface Channel {
  /** `webhook:<id>`, `email`, `sms`, `call`: the key of its delivery state. */
  name: string;
  wants(n: Notification): boolean;
  /**
   * Sends it; `msgId` is the idempotency key. Resolves when it was delivered, or to `{ placed }` when it
   * was handed on and its outcome comes later (a call Vapi queued: delivered only once answered).
   * @throws on failure (retried)
   */
  send(n: Notification, msgId: string, attempt?: number): Promise<void | { placed: string }>;
  /**
   * For a `placed` delivery with no outcome yet: asks where it stands. Resolves to the call's
   * `endedReason` once it ended, else undefined (still waiting). @throws on failure (asked again later)
   */
  check?(placed: string): Promise<string | undefined>;
}
