import os from 'node:os';
import { thisProcess } from '../deps.js';
import type { Store } from '../store/types.js';
import type { FieldSealer } from '../domain/sealer.js';
import {
  openNotification,
  redactContacts,
  reminderAnswered,
  RETRY_WINDOW_MS,
  type DeliveryState,
  type Notification,
  type OutboxEntry,
} from '../domain/outbox.js';
import { endpointSecret, postWebhook, wantsEvent, webhookEndpoints } from '../notify/webhooks.js';
import type { Channel } from '../notify/channel.js';

export type { Channel };

/** How long a placed reminder call waits for its report before the worker asks Vapi itself, ms. */
export const PLACED_CHECK_MS = 5 * 60_000;

/** A placed call with no outcome after this long is taken as missed, ms. */
export const PLACED_GIVE_UP_MS = 60 * 60_000;

/** What the worker reports (no patient data). */
export type OutboxEvent =
  | { kind: 'outbox'; state: 'delivered'; id: string; event: string; channels: string[] }
  | { kind: 'outbox'; state: 'retrying'; id: string; event: string; attempts: number; inMs: number; error: string }
  | { kind: 'outbox'; state: 'dead'; id: string; event: string; attempts: number; error: string }
  | { kind: 'outbox'; state: 'placed'; id: string; event: string; channel: string };

/** How long one serve process owns an entry it is delivering, ms (another takes it after). */
const LEASE_MS = 60_000;
/** Entries taken per round; a full round is followed by the next at once (a backlog drains fast). */
const BATCH = 100;
/** Subjects delivered side by side. */
const LANES = 8;

/** The n-th retry's delay: 5 s, 10 s, 20 s … up to 1 h, ±20 %. */
export function retryDelayMs(attempts: number, random = Math.random): number {
  const base = Math.min(5_000 * 2 ** Math.max(0, attempts - 1), 3_600_000);
  return Math.round(base * (0.8 + 0.4 * random()));
}

/**
 * `serve`'s delivery loop: every `pollMs` it takes the due entries of the outbox
 * (a lease, so two serves sharing a store do not both send), sends each to every channel that wants
 * it and has not had it, and records each channel's outcome at once, so a crash re-sends only what
 * was in flight (with the same idempotency key). All channels done: delivered, and the sealed
 * payload removed. Otherwise retried with backoff until 24 h after it was made, then dead-lettered
 * (`receptionist outbox retry` puts it back).
 */
export class OutboxWorker {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  /** `host:pid`: whose lease it is (a serve that died on this host is known by its pid). */
  private readonly owner = `${os.hostname()}:${thisProcess.pid}`;
  /** The last round took a full batch: more may be due. */
  private full = false;

  constructor(
    private readonly store: Store,
    private readonly sealer: FieldSealer,
    private readonly opts: {
      now: () => Date;
      /** Channels besides the webhooks in the store (email, SMS). */
      channels?: Channel[];
      fetch?: typeof fetch;
      onEvent?: (e: OutboxEvent) => void;
      onWarning?: (message: string) => void;
      /** @default 1000 */
      pollMs?: number;
    },
  ) {}

  /** Starts delivering; first takes back the entries a serve on this host left leased when it died (`kill -9`). */
  start(): void {
    this.running = this.reclaim()
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
        this.schedule(0);
      });
  }

  private async reclaim(): Promise<void> {
    const col = this.store.collection('outbox');
    const mine = `${os.hostname()}:`;
    for (const e of await col.find({ status: 'pending', leaseUntil: { $gt: 0 } }, { fields: ['leaseOwner'] })) {
      const owner = typeof e.leaseOwner === 'string' ? e.leaseOwner : '';
      const pid = Number(owner.slice(mine.length));
      if (owner.startsWith(mine) && pid && pid !== thisProcess.pid && !thisProcess.isAlive(pid))
        await col.updateOne({ _id: e._id, leaseOwner: owner }, { $unset: { leaseUntil: true, leaseOwner: true } });
    }
  }

  /** Runs a round soon (after a tool call enqueued something). */
  nudge(): void {
    if (!this.running && !this.closed) this.schedule(0);
  }

  /** Waits for the round in flight; nothing is lost by stopping (pending entries wait in the store). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /** One round now (tests and `close` use it). Returns how many entries it handled. */
  async runOnce(): Promise<number> {
    const nowMs = this.opts.now().getTime();
    const col = this.store.collection('outbox');
    const due = await col.find(
      { status: 'pending', dueAt: { $lte: nowMs } },
      { sort: { dueAt: 1, order: 1 }, limit: BATCH },
    );
    // One subject's entries in order (booked before cancelled); different subjects side by side.
    const bySubject = new Map<string, OutboxEntry[]>();
    for (const e of due) bySubject.set(e.subject, [...(bySubject.get(e.subject) ?? []), e]);
    const groups = [...bySubject.values()];
    let handled = 0;
    const lane = async () => {
      for (let group = groups.shift(); group; group = groups.shift()) {
        for (const entry of group) {
          if (this.closed) return;
          const leased = await col.updateOne(
            {
              _id: entry._id,
              status: 'pending',
              $or: [{ leaseUntil: { $exists: false } }, { leaseUntil: { $lt: nowMs } }],
            },
            { $set: { leaseUntil: nowMs + LEASE_MS, leaseOwner: this.owner } },
          );
          if (leased.matched !== 1) continue;
          await this.deliver(entry);
          handled++;
        }
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    this.full = due.length === BATCH;
    return handled;
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.full = false;
      this.running = this.runOnce()
        .then(() => undefined)
        .catch(() => undefined) // the store is down: the next round tries again
        .finally(() => {
          this.running = undefined;
          this.schedule(this.full ? 0 : (this.opts.pollMs ?? 1000));
        });
    }, ms);
    this.timer.unref();
  }

  /**
   * The channels for one notification: the webhooks subscribed to its event, then serve's own
   * (email, SMS, reminder calls) that want it, of those the entry allows (a reminder's `channels`).
   */
  private async channelsFor(n: Notification, allowed?: readonly string[]): Promise<Channel[]> {
    const endpoints = (await webhookEndpoints(this.store).find({})).filter((e) => wantsEvent(e, n.type));
    const hooks: Channel[] = endpoints.map((e) => ({
      name: `webhook:${e._id}`,
      wants: () => true,
      send: (note, msgId) =>
        postWebhook(e, endpointSecret(e, this.sealer), msgId, JSON.stringify(note), this.opts.now(), this.opts.fetch),
    }));
    const own = (this.opts.channels ?? []).filter((c) => (!allowed || allowed.includes(c.name)) && c.wants(n));
    return [...hooks, ...own];
  }

  /**
   * Dead-letters an entry (`fields` set with it) and reports it; `dropPayload` when it can never be
   * sent (its sealed contact details go), else the payload stays for `outbox retry`.
   */
  private async deadLetter(
    entry: OutboxEntry,
    fields: Partial<OutboxEntry>,
    error: string,
    opts: { dropPayload?: boolean; attempts?: number } = {},
  ): Promise<void> {
    await this.store.collection('outbox').updateOne(
      { _id: entry._id },
      {
        $set: { ...fields, status: 'dead', deadAt: this.opts.now().toISOString() },
        $unset: { ...(opts.dropPayload ? { payload: true } : {}), leaseUntil: true, leaseOwner: true },
      },
    );
    this.opts.onEvent?.({
      kind: 'outbox',
      state: 'dead',
      id: entry._id,
      event: entry.event,
      attempts: opts.attempts ?? entry.attempts,
      error,
    });
  }

  private async deliver(entry: OutboxEntry): Promise<void> {
    const col = this.store.collection('outbox');
    const now = this.opts.now();
    const { expiresAt } = entry;
    const expired = expiresAt !== undefined && now.getTime() >= expiresAt;
    const awaiting = Object.values(entry.deliveries).some((d) => d.status === 'placed');
    // A call placed before the cutoff is still judged by its outcome; only what was never placed is too late.
    if (expired && !awaiting) {
      // A reminder that could not go out in time (serve was down, every channel failing): it would
      // come too late to act on. Its payload goes; `outbox retry` leaves it dead.
      const error = `too late: not sent by ${new Date(expiresAt).toISOString()}`;
      return this.deadLetter(entry, { lastError: error }, error, { dropPayload: true });
    }
    let n: Notification;
    try {
      n = openNotification(entry, this.sealer);
    } catch (err) {
      // Sealed under a blind-index key since replaced, or damaged: nothing can send it.
      return this.deadLetter(entry, { lastError: `cannot open: ${(err as Error).message}` }, 'cannot open the payload');
    }
    const deliveries: Record<string, DeliveryState> = { ...entry.deliveries };
    const errors: string[] = [];
    const waiting: string[] = [];
    const todo = (await this.channelsFor(n, entry.channels)).filter((c) => deliveries[c.name]?.status !== 'delivered');
    for (const [i, channel] of todo.entries()) {
      try {
        const state = deliveries[channel.name];
        if (state?.status === 'placed') {
          const age = now.getTime() - Date.parse(state.at);
          // A call with no outcome an hour after it was placed (stuck at Vapi, deleted) counts as missed.
          const endedReason =
            state.endedReason ??
            (age >= PLACED_CHECK_MS ? await channel.check?.(state.callId) : undefined) ??
            (age >= PLACED_GIVE_UP_MS ? 'no-outcome-within-an-hour' : undefined);
          if (endedReason === undefined) waiting.push(channel.name);
          else if (reminderAnswered(endedReason))
            deliveries[channel.name] = { status: 'delivered', at: this.opts.now().toISOString() };
          else {
            const error = `not answered (${endedReason})`;
            deliveries[channel.name] = { status: 'failed', attempts: state.attempts, error };
            errors.push(`${channel.name}: ${error}`);
          }
        } else if (expired) {
          // Past the cutoff nothing new is sent: a missed call is not rung again.
        } else {
          const attempts = ((state as { attempts?: number } | undefined)?.attempts ?? 0) + 1;
          const sent = await channel.send(n, entry._id, attempts);
          if (sent?.placed) {
            deliveries[channel.name] = {
              status: 'placed',
              at: this.opts.now().toISOString(),
              callId: sent.placed,
              attempts,
            };
            waiting.push(channel.name);
            this.opts.onEvent?.({
              kind: 'outbox',
              state: 'placed',
              id: entry._id,
              event: entry.event,
              channel: channel.name,
            });
          } else deliveries[channel.name] = { status: 'delivered', at: this.opts.now().toISOString() };
        }
      } catch (err) {
        const attempts = (deliveries[channel.name] as { attempts?: number } | undefined)?.attempts ?? 0;
        // Kept and reported without the recipient a server's refusal may quote.
        const message = redactContacts((err as Error).message);
        deliveries[channel.name] = { status: 'failed', attempts: attempts + 1, error: message };
        errors.push(`${channel.name}: ${message}`);
      }
      // Recorded at once while others remain: a crash then re-sends only the channels still missing.
      // The last one is recorded with the outcome below, in one write.
      if (i < todo.length - 1) await col.updateOne({ _id: entry._id }, { $set: { deliveries } });
    }
    if (!errors.length && waiting.length) {
      // Handed on (a call Vapi queued): its report, or the check after PLACED_CHECK_MS, decides.
      return this.requeue(entry._id, now.getTime() + PLACED_CHECK_MS, { deliveries });
    }
    if (!errors.length) {
      await col.updateOne(
        { _id: entry._id },
        {
          $set: { status: 'delivered', deliveries, deliveredAt: this.opts.now().toISOString() },
          $unset: { payload: true, leaseUntil: true, leaseOwner: true },
        },
      );
      this.opts.onEvent?.({
        kind: 'outbox',
        state: 'delivered',
        id: entry._id,
        event: entry.event,
        channels: Object.keys(deliveries),
      });
      return;
    }
    const attempts = entry.attempts + 1;
    const error = errors.join('; ');
    const deadline = entry.expiresAt ?? Date.parse(entry.createdAt) + RETRY_WINDOW_MS;
    if (now.getTime() >= deadline && waiting.length) {
      // Another channel's call is still out: wait for it before closing the entry.
      return this.requeue(entry._id, now.getTime() + PLACED_CHECK_MS, { attempts, deliveries, lastError: error });
    }
    if (now.getTime() >= deadline)
      return this.deadLetter(entry, { attempts, deliveries, lastError: error }, error, { attempts });
    const inMs = retryDelayMs(attempts);
    await this.requeue(entry._id, now.getTime() + inMs, { attempts, deliveries, lastError: error });
    this.opts.onEvent?.({
      kind: 'outbox',
      state: 'retrying',
      id: entry._id,
      event: entry.event,
      attempts,
      inMs,
      error,
    });
  }

  /** Gives the entry back (its lease ends) to be taken again at `dueAt` (epoch ms), with `set` recorded. */
  private async requeue(id: string, dueAt: number, set: Partial<OutboxEntry>): Promise<void> {
    await this.store
      .collection('outbox')
      .updateOne({ _id: id }, { $set: { ...set, dueAt }, $unset: { leaseUntil: true, leaseOwner: true } });
  }
}
