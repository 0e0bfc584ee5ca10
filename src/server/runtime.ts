import type net from 'node:net';
import type { Deps } from '../deps.js';
import type { Store } from '../store/types.js';
import type { StoreEvent, WatchedStore } from '../store/watched.js';
import { writeWatermark } from '../store/watermark.js';
import { Spool } from '../store/spool.js';
import type { BotConfig } from '../domain/clinic.js';
import type { FieldSealer } from '../domain/sealer.js';
import { pruneFailedAttempts } from '../domain/access.js';
import { forgetPastContacts } from '../domain/outbox.js';
import type { AuthConfig } from './auth.js';
import type { Channel } from '../notify/channel.js';
import type { EmailSettings } from '../notify/email.js';
import type { SmsSettings } from '../notify/sms.js';
import { doctorFeed } from '../notify/calendar-feed.js';
import type { VapiSettings } from '../vapi/client.js';
import { describePlan } from '../vapi/credential.js';
import { AssistantPointer, type AssistantPointerEvent } from '../vapi/assistant-pointer.js';
import { TunnelSupervisor, type TunnelEvent } from '../tunnel/supervisor.js';
import { buildApp, type WebhookEvent } from './app.js';
import { ReplyCache } from './replies.js';
import { CallEventWriter, type CallEvent, type SpoolEvent } from './call-events.js';
import { OutboxWorker, type OutboxEvent } from './outbox-worker.js';

/**
 * serve's composition root: the services it runs, started in order and stopped in reverse within
 * a deadline (the way `Context.close` closes a command's resources). `receptionist serve` reads its
 * flags and environment into {@link ServeOptions}, opens the store and the keys, and hands them here.
 */

/** What serve runs with, from its flags and environment (src/commands/serve/options.ts). */
export interface ServeOptions {
  port: number;
  host: string;
  /** Largest request body accepted, bytes. */
  bodyLimit: number;
  /** A tool call that could not be answered within this many ms gets 503 at once. */
  admissionDeadlineMs: number;
  /** undefined: no authentication (loopback only). */
  auth: AuthConfig | undefined;
  /** Where the plans come from when given explicitly (flag or environment). */
  authSource?: string;
  /** Overrides the clinic config's `defaultRegion` (ISO 3166 alpha-2) when set. */
  defaultRegion?: string;
  /** An ngrok tunnel to open (its authtoken and reserved domain). */
  tunnel?: { authtoken: string; domain?: string };
  /** The public base URL of a tunnel or proxy the user runs. */
  publicUrl?: string;
  /** Point the synced assistant's server URL at the public URL while serving, restored at stop. */
  updateAssistant?: VapiSettings;
  /** Keep every server message of each call, sealed, for `trigger --replay`. */
  record?: boolean;
  email?: EmailSettings;
  sms?: SmsSettings;
  /** The Vapi key reminder calls are placed with. */
  vapi?: VapiSettings;
  /** The Vapi phone number reminder calls come from (else the synced one). */
  phoneNumberId?: string;
}

/** serve's channels and reminders, as the `ready` event reports them. */
export interface NotificationSetup {
  /** serve's own channels: `email`, `sms`, `call` (reminders only). */
  channels: string[];
  /** Absent when the clinic sends none (`clinic.reminderHours` 0). */
  reminders?: {
    hoursBefore: number;
    /** The clinic's `reminderChannels` that serve has. */
    by: string[];
    /** The clinic's `reminderChannels` serve lacks, with what is missing. */
    off: Record<string, string>;
  };
}

/** Events serve reports; the command renders them (stderr lines, or JSON lines with --json). */
export type ServeEvent =
  | {
      kind: 'ready';
      url: string;
      webhookUrl: string;
      dataDir: string;
      auth: 'secret' | 'none';
      secrets: number;
      /** Where the plans come from: the credential `sync` created, the flag or environment, or the pre-sync defaults. */
      authSource?: string;
      /** Each accepted plan in words, e.g. `hmac sha256 hex over {timestamp}.{body} in x-signature`. */
      plans?: string[];
      /** The Vapi credential whose plan is verified, when `sync` made one. */
      credentialId?: string;
      /** The public webhook URL (tunnel or the user's own), when there is one. */
      publicWebhookUrl?: string;
      notifications?: NotificationSetup;
    }
  | TunnelEvent
  | AssistantPointerEvent
  | WebhookEvent
  | SpoolEvent
  | StoreEvent
  | OutboxEvent
  | { kind: 'failure'; where: string; error: string; stack?: string }
  | { kind: 'warning'; message: string }
  | { kind: 'stopping'; signal?: string }
  | { kind: 'stopped' };

/** How long serve may take to stop cleanly after SIGINT/SIGTERM before it stops anyway, ms. */
export const SHUTDOWN_DEADLINE_MS = 15_000;

/** How long first replies are kept for redeliveries (SEC-2, BOOK-2); Vapi's retries end within the hour. */
const REPLY_RETENTION_DAYS = 2;

/** One running part of serve. */
export interface Service {
  /** What it does while stopping, for the message when the deadline cuts it short ("closing the tunnel"). */
  stopping: string;
  stop(): Promise<unknown> | undefined;
}

/** Waits for `work`, at most `ms`, or until `force` aborts. */
export async function bounded(
  work: Promise<unknown> | undefined,
  ms: number,
  force?: AbortSignal,
): Promise<'done' | 'timeout' | 'forced'> {
  if (!work) return 'done';
  if (force?.aborted) return 'forced';
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  try {
    return await Promise.race([
      work.then(
        () => 'done' as const,
        () => 'done' as const,
      ),
      new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), Math.max(0, ms)))),
      new Promise<'forced'>((resolve) => {
        onAbort = () => resolve('forced');
        force?.addEventListener('abort', onAbort, { once: true });
      }),
    ]);
  } finally {
    clearTimeout(timer);
    if (onAbort) force?.removeEventListener('abort', onAbort);
  }
}

/** Services started in order; {@link stopAll} stops them in reverse within one deadline. */
export class Services {
  private readonly started: Service[] = [];

  /** Records a started service; returns it. */
  add<S extends Service>(s: S): S {
    this.started.push(s);
    return s;
  }

  /**
   * Stops the services in reverse order, each bounded by what is left of `deadlineMs` and by
   * `force` (a second Ctrl-C). The first one cut short is reported, and the rest are skipped.
   */
  async stopAll(opts: {
    deadlineMs: number;
    force?: AbortSignal;
    onSkipped: (what: string, why: 'timeout' | 'forced') => void;
  }): Promise<void> {
    const until = Date.now() + opts.deadlineMs;
    for (const s of this.started.splice(0).reverse()) {
      const outcome = await bounded(s.stop(), until - Date.now(), opts.force);
      if (outcome !== 'done') return opts.onSkipped(s.stopping, outcome);
    }
  }
}

/**
 * The high-water marks of what serve acknowledged, written beside the store (src/store/watermark.ts):
 * a quarter second after a call log is written, every minute with a checkpoint of the write-ahead log,
 * and at a clean stop after a full checkpoint. Only for the embedded store.
 */
export function acknowledgedMarks(store: Store, dir: string, now: () => Date, warn: (m: string) => void) {
  let timer: NodeJS.Timeout | undefined;
  let warned = false;
  const write = async () => {
    timer = undefined;
    if (!store.highWater) return;
    try {
      writeWatermark(dir, await store.highWater(), now());
    } catch (err) {
      if (!warned) warn(`Cannot record what serve acknowledged in ${dir}: ${(err as Error).message}.`);
      warned = true;
    }
  };
  const minutely = setInterval(
    () =>
      void store
        .checkpoint?.(false)
        .then(write)
        .catch(() => undefined),
    60_000,
  ).unref();
  return {
    soon() {
      if (!store.highWater || timer) return;
      timer = setTimeout(() => void write(), 250);
      timer.unref();
    },
    async close() {
      clearInterval(minutely);
      clearTimeout(timer);
      if (!store.highWater) return;
      await store.checkpoint?.(true).catch(() => undefined);
      await write();
    },
  };
}

/** What serve's runtime is built from: the opened store, the checked config and keys, the options. */
export interface RuntimeParts {
  store: WatchedStore;
  /** The bot config as stored (what `sync` recorded), and as run (`defaultRegion` overridden). */
  stored: BotConfig;
  config: BotConfig;
  sealer: FieldSealer;
  opts: ServeOptions;
  /** The plans to verify and where they come from; undefined without authentication. */
  auth?: { auth: AuthConfig; source: string };
  /** The outbox's channels and what the `ready` event says of them. */
  notifications: { channels: Channel[]; setup: NotificationSetup };
  /** Resolves once a store unreachable at start is in use (serve started from the local copy). */
  connected?: Promise<void>;
  /** The data directory: the spool and the acknowledged marks live there. */
  dataDir: string;
  debug: boolean;
  deps: Deps;
  onEvent: (e: ServeEvent) => void;
  /** Aborts when serve is to stop (a signal, or a store failure for good). */
  stop: AbortSignal;
}

/**
 * Starts serve's services in order: maintenance (reply and contact pruning, hourly), the call-event
 * writer, the outbox worker, the HTTP server, the tunnel, the assistant pointer; each is added to
 * `services` as it starts, so the caller stops what started however far this got. Reports `ready`.
 * @throws the server's listen error (EADDRINUSE, EADDRNOTAVAIL), the tunnel's start error
 */
export async function startRuntime(p: RuntimeParts, services: Services): Promise<void> {
  const { store, opts, deps, onEvent } = p;
  const warning = (message: string) => onEvent({ kind: 'warning', message });
  const marks = acknowledgedMarks(store, p.dataDir, deps.now, warning);
  services.add({ stopping: 'checkpointing the store', stop: () => marks.close() });
  services.add(await maintenance(store, deps.now, p.connected));

  // MongoDB can go away while serve runs: call-log events then wait in a local journal (DUR-2).
  // The embedded store's own files are that journal, so it needs none.
  const spool =
    store.kind === 'mongo'
      ? Spool.open<CallEvent>(p.dataDir, {
          purpose: 'receptionist serve (spool)',
          onWarning: (m) => deps.io.error(`Warning: ${m}`),
        })
      : undefined;
  const callEvents = new CallEventWriter(store, spool, onEvent);
  services.add({ stopping: 'writing spooled call events', stop: () => callEvents.close() });
  const worker = new OutboxWorker(store, p.sealer, {
    now: deps.now,
    fetch: deps.fetch,
    channels: p.notifications.channels,
    onEvent,
    onWarning: warning,
  });
  services.add({ stopping: 'finishing the notification in flight', stop: () => worker.close() });

  const app = buildApp({
    store,
    storeState: () => store.state,
    calendarFeed: (doctorId, token) => doctorFeed(store, p.sealer, p.config.clinic, deps.now(), doctorId, token),
    callEvents,
    record: opts.record,
    sealer: p.sealer,
    config: p.config,
    now: deps.now,
    auth: p.auth?.auth,
    bodyLimit: opts.bodyLimit,
    admissionDeadlineMs: opts.admissionDeadlineMs,
    onEvent: (e) => {
      onEvent(e);
      if (e.type === 'end-of-call-report' && e.status === 200) marks.soon();
      // A tool call may have put a notification in the outbox, and a reminder call's report may have
      // decided its reminder: act now rather than at the next poll.
      if (e.type === 'tool-calls' || e.type === 'function-call' || e.type === 'end-of-call-report') worker.nudge();
    },
    onWarning: warning,
    onFailure: (where, err) =>
      onEvent({
        kind: 'failure',
        where,
        error: err instanceof Error ? err.message : String(err),
        stack: p.debug ? (err as Error)?.stack : undefined,
      }),
  });
  services.add({ stopping: 'closing the server', stop: () => app.close() });
  await app.listen({ port: opts.port, host: opts.host });
  const address = app.server.address() as net.AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `http://${hostForUrl}:${address.port}`;

  const publicBase = await exposure(p, address, services, (next) => pointer?.point(`${next}/webhook`));
  const publicWebhookUrl = publicBase ? `${publicBase.replace(/\/+$/, '')}/webhook` : undefined;
  let pointer: AssistantPointer | undefined;
  const pointAssistant = async () => {
    if (!opts.updateAssistant || !publicWebhookUrl || p.stop.aborted) return;
    pointer = await AssistantPointer.create(opts.updateAssistant, store, p.stored, deps, onEvent);
    const made = pointer;
    services.add({ stopping: "restoring the assistant's server URL", stop: () => made.restore() });
    await pointer.point(publicWebhookUrl);
  };
  // Without the store at start: once it is in place (the pointer records the previous URL there).
  if (p.connected)
    void p.connected.then(() =>
      pointAssistant().catch((err: unknown) =>
        onEvent({ kind: 'failure', where: 'pointing the assistant', error: (err as Error).message }),
      ),
    );
  else await pointAssistant();

  onEvent({
    kind: 'ready',
    url,
    webhookUrl: `${url}/webhook`,
    dataDir: store.location,
    auth: p.auth ? 'secret' : 'none',
    secrets: p.auth?.auth.secrets.length ?? 0,
    ...(p.auth
      ? {
          authSource: p.auth.source,
          plans: p.auth.auth.plans.map(describePlan),
          credentialId: p.stored.vapi?.credential?.id,
        }
      : {}),
    ...(publicWebhookUrl ? { publicWebhookUrl } : {}),
    notifications: p.notifications.setup,
  });
  callEvents.start();
  worker.start();
}

/**
 * Pruning of first replies, failed caller checks and past patients' contact cards: at start (or
 * once a store unreachable at start is in use), then hourly.
 */
async function maintenance(store: Store, now: () => Date, connected: Promise<void> | undefined): Promise<Service> {
  const replies = new ReplyCache(store, now);
  let timer: NodeJS.Timeout | undefined;
  const prune = async () => {
    await replies.prune(REPLY_RETENTION_DAYS);
    await pruneFailedAttempts(store, new Date(now().getTime() - REPLY_RETENTION_DAYS * 86_400_000).toISOString());
    await forgetPastContacts(store, now());
  };
  const begin = async () => {
    await prune();
    timer = setInterval(() => void prune().catch(() => undefined), 3_600_000).unref();
  };
  // At start a failing prune stops serve (the store is not what it seems); later ones are retried next hour.
  if (connected) void connected.then(() => begin().catch(() => undefined));
  else await begin();
  return {
    stopping: 'stopping the hourly pruning',
    stop: () => {
      clearInterval(timer);
      return undefined;
    },
  };
}

/**
 * The public base URL: the user's own (`opts.publicUrl`), or the ngrok tunnel's, opened here to where
 * the server listens. A reopened tunnel with a new URL (no reserved domain) is accepted in `{url}` of
 * HMAC payloads and `repoint` is called with it.
 */
async function exposure(
  p: RuntimeParts,
  address: net.AddressInfo,
  services: Services,
  repoint: (url: string) => Promise<void> | undefined,
): Promise<string | undefined> {
  if (!p.opts.tunnel) return p.opts.publicUrl;
  // Forward to where the server listens; a wildcard bind is reached through loopback.
  const forwardHost = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const supervisor = new TunnelSupervisor(
    p.deps.tunnel,
    { host: forwardHost, port: address.port, ...p.opts.tunnel },
    p.onEvent,
    async (next) => {
      p.auth?.auth.publicUrls?.push(next);
      await repoint(next)?.catch((err: unknown) =>
        p.onEvent({ kind: 'failure', where: 'repointing the assistant', error: (err as Error).message }),
      );
    },
  );
  // At the stop itself, before anything else runs: ngrok's session may end on the same Ctrl-C.
  p.stop.addEventListener('abort', () => supervisor.stopping(), { once: true });
  services.add({
    stopping: 'closing the tunnel',
    stop: () => {
      supervisor.stopping();
      return supervisor.close();
    },
  });
  const base = await supervisor.start();
  // `{url}` in an HMAC payload is the URL Vapi posted to: the tunnel's.
  p.auth?.auth.publicUrls?.push(base);
  return base;
}
