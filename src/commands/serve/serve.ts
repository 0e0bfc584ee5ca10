import net from 'node:net';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { isSupportedCountry } from 'libphonenumber-js';
import type { Deps } from '../../deps.js';
import { AuthError, NetworkError, UsageError, UserError } from '../../errors.js';
import { resolveSetting } from '../../settings.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  PRE_SYNC_PLANS,
  parseAuthPlan,
  weakSecret,
  type AuthConfig,
  type WebhookAuthPlan,
} from '../../server/auth.js';
import { describePlan } from '../../vapi/credential.js';
import { buildApp, DEFAULT_BODY_LIMIT, type WebhookEvent } from '../../server/app.js';
import { pruneFailedAttempts } from '../../domain/access.js';
import { ReplyCache } from '../../server/replies.js';
import { CallEventWriter, type CallEvent, type SpoolEvent } from '../../server/call-events.js';
import { Spool } from '../../store/spool.js';
import { OutboxWorker, type Channel, type OutboxEvent } from '../../server/outbox-worker.js';
import { forgetPastContacts } from '../../domain/outbox.js';
import { doctorFeed } from '../../notify/calendar-feed.js';
import { emailChannel } from '../../notify/email.js';
import { smsChannel, type SmsSettings } from '../../notify/sms.js';
import { reminderCallChannel } from '../../notify/call.js';
import { DEFAULT_ADMISSION_DEADLINE_MS } from '../../server/admission.js';
import { readWatermark, wentBackwards, writeWatermark } from '../../store/watermark.js';
import { canCallRegion, outboundScope } from '../../vapi/phone-numbers.js';
import { IMPORT_NUMBER_HINT } from '../shared/vapi.js';
import { TunnelSupervisor, type TunnelEvent } from '../../tunnel/supervisor.js';
import { resolveVapiSettings, type VapiSettings } from '../../vapi/client.js';
import { AssistantPointer, type AssistantPointerEvent } from '../../vapi/assistant-pointer.js';
import {
  DEFAULT_REMINDER_FIRST_MESSAGE,
  DEFAULT_REMINDER_HOURS,
  REMINDER_CHANNELS,
  type BotConfig,
} from '../../domain/clinic.js';
import type { FieldSealer } from '../../domain/sealer.js';
import type { Env } from '../../env.js';
import { CancelledError } from '../../errors.js';
import { writeOnlySealer } from '../shared/sealer.js';
import { requireBotConfig } from '../shared/store.js';
import { implement } from '../shared/command.js';
import type { ServeFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { renderServeEvent } from './render.js';
import { LOCAL_COPY_FILE, openLocalCopy, saveLocalCopy, type LocalCopy } from './local-copy.js';
import { WatchedStore, type StoreEvent, type WatchedStoreOptions } from '../../store/watched.js';
import { redactUri } from '../../store/mongo/index.js';
import { StoreUnavailableError, type Store } from '../../store/types.js';

export interface ServeOptions {
  port: number;
  host: string;
  bodyLimit: number;
  /** `--admission-deadline` (ms): a tool call that could not be answered within it gets 503 at once. */
  admissionDeadlineMs: number;
  /** undefined with --insecure-no-auth */
  auth: AuthConfig | undefined;
  /** Overrides the clinic config's `defaultRegion` when set. */
  defaultRegion?: string;
  /** `--tunnel`: open an ngrok tunnel to the local port. */
  tunnel?: { authtoken: string; domain?: string };
  /** `--public-url`: a tunnel or proxy the user runs (base URL, no path). */
  publicUrl?: string;
  /** `--record`: keep every incoming message, sealed. */
  record?: boolean;
  /** `--update-assistant`: the Vapi settings to point the synced assistant with. */
  updateAssistant?: VapiSettings;
  /** Where an explicit authentication plan came from (`--auth-plan`, `RECEPTIONIST_AUTH_PLAN`). */
  authSource?: string;
  /** `SMTP_URL` and `SMTP_FROM`: patients get their appointment emails. */
  email?: { url: string; from: string };
  /** `TWILIO_*`: patients get texts. */
  sms?: Omit<SmsSettings, 'frontDesk'>;
  /** `VAPI_API_KEY` (or --vapi-key), when set: reminder calls are placed with it. */
  vapi?: VapiSettings;
  /** `RECEPTIONIST_PHONE_NUMBER_ID`: the Vapi number reminder calls come from (else the one `sync` pointed). */
  phoneNumberId?: string;
}

/** What serve sends besides the webhooks in the store, and how reminders go (the `ready` event). */
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

/** Events `runServe` reports; the command renders them (stderr lines, or JSON lines with --json). */
export type ServeEvent =
  | {
      kind: 'ready';
      url: string;
      webhookUrl: string;
      dataDir: string;
      auth: 'secret' | 'none';
      secrets: number;
      /** Where the plans come from: the credential `sync` created, --auth-plan, or the pre-sync defaults. */
      authSource?: string;
      /** Each accepted plan in words, e.g. `hmac sha256 hex over {timestamp}.{body} in x-signature`. */
      plans?: string[];
      /** The Vapi credential whose plan is verified, when `sync` made one. */
      credentialId?: string;
      /** The public webhook URL (tunnel or --public-url), when there is one. */
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

/** How long `serve` may take to stop cleanly after SIGINT/SIGTERM before it stops anyway, ms. */
export const SHUTDOWN_DEADLINE_MS = 15_000;

/** Waits for `work`, at most `ms`, or until `force` aborts. */
async function bounded(
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

/** How long first replies are kept for redeliveries (SEC-2, BOOK-2). */
const REPLY_RETENTION_DAYS = 2;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** --tunnel / --public-url / --update-assistant, checked before anything starts. @throws UsageError, AuthError */
function parseExposure(
  flags: ServeFlags,
  deps: Pick<Deps, 'env'>,
): Pick<ServeOptions, 'tunnel' | 'publicUrl' | 'updateAssistant'> {
  const domain = resolveSetting('ngrok-domain', flags.ngrokDomain, 'NGROK_DOMAIN', deps.env);
  if (flags.tunnel && flags.publicUrl)
    throw new UsageError(
      '--tunnel and --public-url cannot be used together.',
      'Use --tunnel for an ngrok tunnel, or --public-url for one you already run.',
    );
  if (flags.ngrokDomain && !flags.tunnel) throw new UsageError('--ngrok-domain needs --tunnel.');
  let publicUrl: string | undefined;
  if (flags.publicUrl) {
    let u: URL;
    try {
      u = new URL(flags.publicUrl);
    } catch {
      throw new UsageError(
        `Invalid --public-url "${flags.publicUrl}".`,
        'Give the https URL of your tunnel or proxy, e.g. https://clinic.example.com.',
      );
    }
    if (u.protocol !== 'https:' && u.protocol !== 'http:')
      throw new UsageError(`Invalid --public-url "${flags.publicUrl}".`, 'Give an http(s) URL.');
    publicUrl = u.toString().replace(/\/+$/, '');
  }
  let tunnel: ServeOptions['tunnel'];
  if (flags.tunnel) {
    const token = deps.env.get('NGROK_AUTHTOKEN');
    if (!token?.value)
      throw new AuthError(
        '--tunnel needs an ngrok authtoken: NGROK_AUTHTOKEN is not set.',
        'Copy it from https://dashboard.ngrok.com/get-started/your-authtoken into NGROK_AUTHTOKEN (environment or .env), or use --public-url with a tunnel you already run.',
      );
    tunnel = { authtoken: token.value, domain: domain?.value };
  }
  if (flags.updateAssistant && !tunnel && !publicUrl)
    throw new UsageError(
      '--update-assistant needs a public URL to point the assistant at.',
      'Add --tunnel, or --public-url <url>.',
    );
  const updateAssistant = flags.updateAssistant ? resolveVapiSettings(flags, deps.env) : undefined;
  return { tunnel, publicUrl, updateAssistant };
}

/** The email channel's settings, when `SMTP_URL` is set. @throws UsageError (a bad URL, no SMTP_FROM) */
function parseEmail(env: Env): Pick<ServeOptions, 'email'> {
  const url = env.get('SMTP_URL');
  if (!url) return {};
  let parsed: URL;
  try {
    parsed = new URL(url.value);
  } catch {
    throw new UsageError(
      `Invalid SMTP_URL (from ${url.source}).`,
      'Use smtp://user:password@host:587 or smtps://user:password@host:465.',
    );
  }
  if (parsed.protocol !== 'smtp:' && parsed.protocol !== 'smtps:')
    throw new UsageError(`Invalid SMTP_URL (from ${url.source}): ${parsed.protocol} is not smtp: or smtps:.`);
  const from = env.get('SMTP_FROM');
  if (!from?.value)
    throw new UsageError(
      `SMTP_URL is set (from ${url.source}) but SMTP_FROM is not: emails need a sender.`,
      'Set SMTP_FROM, e.g. "Sunrise Clinic <desk@sunrise-clinic.in>".',
    );
  return { email: { url: url.value, from: from.value } };
}

/** The SMS channel's settings, when `TWILIO_ACCOUNT_SID` is set. @throws AuthError (no token), UsageError (no sender) */
function parseSms(env: Env): Pick<ServeOptions, 'sms'> {
  const sid = env.get('TWILIO_ACCOUNT_SID');
  if (!sid) return {};
  const token = env.get('TWILIO_AUTH_TOKEN');
  if (!token?.value)
    throw new AuthError(
      `TWILIO_ACCOUNT_SID is set (from ${sid.source}) but TWILIO_AUTH_TOKEN is not.`,
      'Copy the auth token from the Twilio console (Account → API keys & tokens) into TWILIO_AUTH_TOKEN.',
    );
  const from = env.get('TWILIO_FROM')?.value;
  const service = env.get('TWILIO_MESSAGING_SERVICE_SID')?.value;
  if (!from && !service)
    throw new UsageError(
      'SMS need a sender: set TWILIO_FROM (a number of the account, E.164) or TWILIO_MESSAGING_SERVICE_SID.',
    );
  if (from && !/^\+[1-9]\d{1,14}$/.test(from))
    throw new UsageError(`Invalid TWILIO_FROM "${from}".`, 'Give the Twilio number in E.164, e.g. +14155550100.');
  const baseUrl = env.get('TWILIO_BASE_URL')?.value;
  return {
    sms: {
      accountSid: sid.value,
      authToken: token.value,
      ...(from ? { from } : {}),
      ...(service ? { messagingServiceSid: service } : {}),
      ...(baseUrl ? { baseUrl } : {}),
    },
  };
}

/** The Vapi key reminder calls use, when one is set (not an error without: the channel is then off). @throws UsageError (a bad base URL) */
function parseReminderCalls(flags: ServeFlags, env: Env): Pick<ServeOptions, 'vapi' | 'phoneNumberId'> {
  const phoneNumberId = env.get('RECEPTIONIST_PHONE_NUMBER_ID')?.value;
  const key = flags.vapiKey ?? env.get('VAPI_API_KEY')?.value;
  return {
    ...(key ? { vapi: resolveVapiSettings(flags, env) } : {}),
    ...(phoneNumberId ? { phoneNumberId } : {}),
  };
}

/**
 * serve's own channels (email, SMS, reminder calls) from its settings and the clinic's, and in
 * words what is off: the `ready` event says it, so a clinic sees at start why reminders do not ring.
 */
export function notificationChannels(
  opts: Pick<ServeOptions, 'email' | 'sms' | 'vapi' | 'phoneNumberId'>,
  config: BotConfig,
  now: () => Date,
): { channels: Channel[]; setup: NotificationSetup } {
  const clinic = config.clinic;
  const frontDesk = clinic.frontDeskNumber;
  const channels: Channel[] = [
    ...(opts.email ? [emailChannel({ ...opts.email, frontDesk })] : []),
    ...(opts.sms ? [smsChannel({ ...opts.sms, frontDesk })] : []),
  ];
  const hours = clinic.reminderHours ?? DEFAULT_REMINDER_HOURS;
  const wanted = hours ? (clinic.reminderChannels ?? REMINDER_CHANNELS) : [];
  const off: Record<string, string> = {};
  if (!opts.email) off.email = 'SMTP_URL is not set';
  if (!opts.sms) off.sms = 'TWILIO_ACCOUNT_SID is not set';
  if (wanted.includes('call')) {
    const assistantId = config.vapi?.assistantId;
    const phoneNumberId = opts.phoneNumberId ?? config.vapi?.phoneNumber?.id;
    // What sync read of the number it pointed at serve: a free Vapi number calls US numbers only.
    const synced = config.vapi?.sync?.phoneNumber;
    const from = synced && synced.id === phoneNumberId ? synced.received : undefined;
    const callsOut = from ? outboundScope(from) : undefined;
    if (!opts.vapi) off.call = 'VAPI_API_KEY is not set';
    else if (!assistantId) off.call = 'the assistant is not synced (run `receptionist sync`)';
    else if (!phoneNumberId)
      off.call = 'no phone number to call from (`receptionist sync --phone-number …` or RECEPTIONIST_PHONE_NUMBER_ID)';
    else if (callsOut && !canCallRegion(callsOut, clinic.defaultRegion))
      off.call = `${String(from?.number ?? phoneNumberId)} is a free Vapi number, which calls US numbers only, not ${clinic.defaultRegion} patients. ${IMPORT_NUMBER_HINT}`;
    else
      channels.push(
        reminderCallChannel(
          {
            vapi: opts.vapi,
            assistantId,
            phoneNumberId,
            firstMessage: clinic.reminderFirstMessage ?? DEFAULT_REMINDER_FIRST_MESSAGE,
            ...(callsOut ? { callsOut } : {}),
          },
          now,
        ),
      );
  }
  const names = channels.map((c) => c.name);
  return {
    channels,
    setup: {
      channels: names,
      ...(hours
        ? {
            reminders: {
              hoursBefore: hours,
              by: wanted.filter((c) => names.includes(c)),
              off: Object.fromEntries(wanted.filter((c) => off[c]).map((c) => [c, off[c]!])),
            },
          }
        : {}),
    },
  };
}

/** Flags + env → validated options. @throws UsageError, AuthError */
export function parseServeOptions(flags: ServeFlags, env: Env): ServeOptions {
  const deps = { env };
  const port = resolveSetting('port', flags.port, 'RECEPTIONIST_PORT', deps.env, '3000');
  if (!/^\d+$/.test(port.value) || Number(port.value) > 65535)
    throw new UsageError(
      `Invalid port "${port.value}" (from ${port.source})`,
      'Use a number from 0 to 65535; 0 picks a free port.',
    );
  const host = resolveSetting('host', flags.host, 'RECEPTIONIST_HOST', deps.env, '127.0.0.1');
  const bodyLimit = flags.bodyLimit === undefined ? DEFAULT_BODY_LIMIT : Number(flags.bodyLimit);
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024)
    throw new UsageError(`Invalid --body-limit "${flags.bodyLimit}"`, 'Give a size in bytes, at least 1024.');
  const deadline = resolveSetting(
    'admission-deadline',
    flags.admissionDeadline,
    'RECEPTIONIST_ADMISSION_DEADLINE_MS',
    deps.env,
    String(DEFAULT_ADMISSION_DEADLINE_MS),
  );
  const admissionDeadlineMs = Number(deadline.value);
  if (!Number.isInteger(admissionDeadlineMs) || admissionDeadlineMs < 100 || admissionDeadlineMs > 300_000)
    throw new UsageError(
      `Invalid admission deadline "${deadline.value}" (from ${deadline.source})`,
      "Give milliseconds from 100 to 300000, well under the tools' server.timeoutSeconds (20 s as sync writes it).",
    );
  const region = resolveSetting('default-region', flags.defaultRegion, 'RECEPTIONIST_DEFAULT_REGION', deps.env);
  const defaultRegion = region?.value.toUpperCase();
  if (region && !isSupportedCountry(defaultRegion!)) {
    throw new UsageError(
      `Unknown region "${region.value}" (from ${region.source})`,
      'Use a two-letter ISO 3166 code such as IN, US or GB.',
    );
  }
  const exposure = {
    ...parseExposure(flags, deps),
    ...parseEmail(deps.env),
    ...parseSms(deps.env),
    ...parseReminderCalls(flags, deps.env),
  };
  if (flags.insecureNoAuth) {
    if (exposure.tunnel || exposure.publicUrl)
      throw new UsageError(
        '--insecure-no-auth cannot be used with --tunnel or --public-url: the server would be public without authentication.',
        'Set VAPI_SERVER_SECRET and drop --insecure-no-auth.',
      );
    if (!LOOPBACK.has(host.value)) {
      throw new UsageError(
        `--insecure-no-auth only binds to loopback, but the host is ${host.value} (from ${host.source})`,
        'Drop --host, or set VAPI_SERVER_SECRET and drop --insecure-no-auth.',
      );
    }
    return {
      port: Number(port.value),
      host: host.value,
      bodyLimit,
      admissionDeadlineMs,
      auth: undefined,
      defaultRegion,
      record: flags.record,
      ...exposure,
    };
  }
  const secrets = [deps.env.get('VAPI_SERVER_SECRET'), deps.env.get('VAPI_SERVER_SECRET_PREVIOUS')].flatMap((s) =>
    s ? [s.value] : [],
  );
  if (!secrets.length) {
    throw new AuthError(
      'No webhook secret: serve refuses to accept unauthenticated requests.',
      'Set VAPI_SERVER_SECRET (environment or .env), or pass --insecure-no-auth for a local test.',
    );
  }
  const weak = secrets.map(weakSecret).find(Boolean);
  if (weak) throw new AuthError(`The webhook secret ${weak}.`, 'Use a long random value, e.g. `openssl rand -hex 32`.');
  const planSetting = resolveSetting('auth-plan', flags.authPlan, 'RECEPTIONIST_AUTH_PLAN', deps.env);
  let plans: WebhookAuthPlan[] = [];
  if (planSetting) {
    try {
      plans = [parseAuthPlan(JSON.parse(planSetting.value))];
    } catch (err) {
      throw new UsageError(
        `Invalid authentication plan (from ${planSetting.source}): ${(err as Error).message}.`,
        'Give the credential\'s authenticationPlan as JSON without its secret, e.g. {"type":"hmac","algorithm":"sha512","signatureEncoding":"base64"}.',
      );
    }
  }
  return {
    port: Number(port.value),
    host: host.value,
    bodyLimit,
    admissionDeadlineMs,
    defaultRegion,
    record: flags.record,
    ...exposure,
    // No plans yet: runServe takes the credential `sync` recorded, or the pre-sync defaults.
    auth: { plans, secrets, toleranceSeconds: DEFAULT_TOLERANCE_SECONDS },
    authSource: planSetting ? planSetting.source : undefined,
  };
}

/** The plans to verify: --auth-plan, else the credential `sync` created, else the pre-sync defaults. */
export function resolveAuth(
  auth: AuthConfig,
  authSource: string | undefined,
  config: BotConfig,
  publicUrls: string[],
): { auth: AuthConfig; source: string } {
  const withUrls = {
    ...auth,
    publicUrls: [...new Set([...publicUrls, ...(config.vapi?.serverUrl ? [config.vapi.serverUrl] : [])])],
  };
  if (auth.plans.length) return { auth: withUrls, source: authSource ?? '--auth-plan' };
  const credential = config.vapi?.credential;
  if (credential)
    return { auth: { ...withUrls, plans: [credential.plan] }, source: `credential ${credential.id} (made by sync)` };
  return { auth: { ...withUrls, plans: PRE_SYNC_PLANS }, source: 'defaults (no credential synced yet)' };
}

/**
 * Runs the webhook server until `signal` aborts, then closes the server and the store. With
 * MongoDB unreachable at start it starts from the local copy and connects in the background;
 * when MongoDB then answers with a failure that will not pass, it stops and throws that.
 * @throws StoreError (locked, corrupt), UserError (not seeded, port in use, keys not the pinned
 *   ones), NetworkError (MongoDB unreachable and no local copy), AuthError (credentials rejected)
 */
export async function runServe(
  opts: ServeOptions,
  ctx: Context,
  run: {
    signal: AbortSignal;
    onEvent: (e: ServeEvent) => void;
    /** A second Ctrl-C: skip what is left of the cleanup. */
    force?: AbortSignal;
    /** The whole cleanup may take at most this long, ms. @default SHUTDOWN_DEADLINE_MS */
    deadlineMs?: number;
  },
): Promise<void> {
  const deps: Deps = ctx;
  const g = ctx.globals;
  // The store failing for good after serve started without it (credentials rejected, keys not the
  // pinned ones): serve stops, then ends the command with that error.
  let fatal: unknown;
  const failed = new AbortController();
  // Set below, before the first attempt to connect can finish (it is scheduled 1 s on); until
  // then a store that answers is refused (retried), never used unchecked.
  let onConnected: (s: Store) => Promise<void> = async () => {
    throw new StoreUnavailableError('serve is still starting');
  };
  const { store, copy } = await openServeStore(ctx, {
    onEvent: run.onEvent,
    onConnected: (s) => onConnected(s),
    onFatal: (err) => {
      fatal ??= err;
      failed.abort();
    },
  });
  let app: ReturnType<typeof buildApp> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  const marks = acknowledgedMarks(store, g.dataDir.value, deps.now, (message) =>
    run.onEvent({ kind: 'warning', message }),
  );
  let callEvents: CallEventWriter | undefined;
  let outbox: OutboxWorker | undefined;
  let supervisor: TunnelSupervisor | undefined;
  let pointer: AssistantPointer | undefined;
  try {
    // The bot config and the keys to seal to: from the store, or from the local copy when
    // MongoDB did not answer; either way checked against the pin in .env.
    const { stored, sealer } = await readStartup(copy ?? store, store.location, deps);
    const config = opts.defaultRegion
      ? { ...stored, clinic: { ...stored.clinic, defaultRegion: opts.defaultRegion } }
      : stored;
    const keepCopy = async (s: Store) => {
      if (s.kind !== 'mongo') return;
      await saveLocalCopy(s, g.dataDir.value, deps.now()).catch((err: unknown) =>
        run.onEvent({
          kind: 'warning',
          message: `${(err as Error).message}; serve could not start from it while MongoDB is down.`,
        }),
      );
    };
    if (copy) {
      run.onEvent({
        kind: 'warning',
        message: `Started from the local copy of the bot config and keys saved ${copy.savedAt} (${copy.file}); tool calls get the spoken apology and call-log events are spooled until MongoDB answers.`,
      });
    } else await keepCopy(store);
    // What serve acknowledged before (issue 25 finding 7): a write-ahead log damaged since loses the
    // commits after the damage silently; the marks kept outside it tell.
    if (store.highWater && !copy) {
      const before = readWatermark(g.dataDir.value);
      const now = await store.highWater();
      const lost = before ? wentBackwards(before, now) : [];
      if (lost.length)
        run.onEvent({
          kind: 'warning',
          message: `The store holds fewer ${lost.join(' and fewer ')} than serve had acknowledged by ${before!.at}: records Vapi was told were kept are gone, most likely because the write-ahead log (receptionist.db-wal) was damaged and SQLite stopped reading it there. Stop serve, keep a copy of the data directory, and restore the last backup (\`receptionist restore\`); \`receptionist logs\` shows what is left.`,
        });
    }
    // Vapi's retries end within the hour; bookings and visits stay deduplicated by their own
    // sourceKey index after a reply is pruned.
    const replies = new ReplyCache(store, deps.now);
    const prune = async () => {
      await replies.prune(REPLY_RETENTION_DAYS);
      await pruneFailedAttempts(
        store,
        new Date(deps.now().getTime() - REPLY_RETENTION_DAYS * 86_400_000).toISOString(),
      );
      await forgetPastContacts(store, deps.now());
    };
    const maintain = async () => {
      await prune();
      pruneTimer = setInterval(() => void prune().catch(() => undefined), 3_600_000).unref();
    };
    // Resolves once the store that was unreachable at start has been checked and is in use.
    let connected: Promise<void> | undefined;
    if (copy) {
      connected = new Promise<void>((resolve) => {
        // MongoDB answers at last: its keys must be the pinned ones too, and the config the one serve runs.
        onConnected = async (s) => {
          await writeOnlySealer(s, deps);
          const current = await requireBotConfig(s);
          if (!isDeepStrictEqual(current, stored))
            run.onEvent({
              kind: 'warning',
              message: `The bot config in MongoDB differs from the local copy serve started with (saved ${copy.savedAt}); restart serve to use it.`,
            });
          await keepCopy(s);
          // The store is in place once this returns.
          setImmediate(resolve);
        };
      });
      void connected.then(() => maintain().catch(() => undefined));
    } else await maintain();
    // MongoDB can go away while serve runs: call-log events then wait in a local journal (DUR-2).
    // The embedded store's own files are that journal, so it needs none.
    const spool =
      store.kind === 'mongo'
        ? Spool.open<CallEvent>(g.dataDir.value, {
            purpose: 'receptionist serve (spool)',
            onWarning: (m) => deps.io.error(`Warning: ${m}`),
          })
        : undefined;
    callEvents = new CallEventWriter(store, spool, run.onEvent);
    // Notifications: delivered from the outbox to every channel, retried for 24 h (issue 14 item 3);
    // reminders when due, until shortly before their appointment (item 4).
    const notifications = notificationChannels(opts, config, deps.now);
    const worker = new OutboxWorker(store, sealer, {
      now: deps.now,
      fetch: deps.fetch,
      channels: notifications.channels,
      onEvent: run.onEvent,
      onWarning: (message) => run.onEvent({ kind: 'warning', message }),
    });
    outbox = worker;
    const resolved = opts.auth
      ? resolveAuth(opts.auth, opts.authSource, stored, opts.publicUrl ? [opts.publicUrl] : [])
      : undefined;
    app = buildApp({
      store,
      storeState: () => store.state,
      calendarFeed: (doctorId, token) => doctorFeed(store, sealer, config.clinic, deps.now(), doctorId, token),
      callEvents,
      record: opts.record,
      sealer,
      config,
      now: deps.now,
      auth: resolved?.auth,
      bodyLimit: opts.bodyLimit,
      admissionDeadlineMs: opts.admissionDeadlineMs,
      onEvent: (e) => {
        run.onEvent(e);
        if (e.type === 'end-of-call-report' && e.status === 200) marks.soon();
        // A tool call may have put a notification in the outbox, and a reminder call's report may have
        // decided its reminder: act now rather than at the next poll.
        if (e.type === 'tool-calls' || e.type === 'function-call' || e.type === 'end-of-call-report') worker.nudge();
      },
      onWarning: (message) => run.onEvent({ kind: 'warning', message }),
      onFailure: (where, err) =>
        run.onEvent({
          kind: 'failure',
          where,
          error: err instanceof Error ? err.message : String(err),
          stack: g.debug ? (err as Error)?.stack : undefined,
        }),
    });
    try {
      await app.listen({ port: opts.port, host: opts.host });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE')
        throw new UserError(
          `Port ${opts.port} on ${opts.host} is already in use.`,
          'Pass --port 0 for a free port, or stop the other server.',
        );
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
        throw new UsageError(
          `Cannot bind to host ${opts.host}.`,
          'Pass --host with an address of this machine, e.g. 127.0.0.1.',
        );
      throw err;
    }
    const address = app.server.address() as net.AddressInfo;
    const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${hostForUrl}:${address.port}`;

    // Public exposure: the tunnel (or the user's own), then the assistant pointed at it.
    let publicBase = opts.publicUrl;
    if (opts.tunnel) {
      // Forward to where the server listens; a wildcard bind is reached through loopback.
      const forwardHost =
        address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
      supervisor = new TunnelSupervisor(
        deps.tunnel,
        { host: forwardHost, port: address.port, ...opts.tunnel },
        run.onEvent,
        async (next) => {
          // A reopened tunnel with a new URL (no reserved domain): repoint the assistant; `{url}` may now be it.
          resolved?.auth.publicUrls?.push(next);
          if (pointer)
            await pointer
              .point(`${next}/webhook`)
              .catch((err) =>
                run.onEvent({ kind: 'failure', where: 'repointing the assistant', error: (err as Error).message }),
              );
        },
      );
      // At the signal itself, before anything else runs: ngrok's session may end on the same Ctrl-C.
      const quiet = supervisor;
      run.signal.addEventListener('abort', () => quiet.stopping(), { once: true });
      publicBase = await supervisor.start();
      // `{url}` in an HMAC payload is the URL Vapi posted to: the tunnel's.
      resolved?.auth.publicUrls?.push(publicBase);
    }
    const publicWebhookUrl = publicBase ? `${publicBase.replace(/\/+$/, '')}/webhook` : undefined;
    const pointAssistant = async () => {
      if (!opts.updateAssistant || !publicWebhookUrl || run.signal.aborted || failed.signal.aborted) return;
      pointer = await AssistantPointer.create(opts.updateAssistant, store, stored, deps, run.onEvent);
      await pointer.point(publicWebhookUrl);
    };
    // Without the store at start: once it is in place (the pointer records the previous URL there).
    if (connected)
      void connected.then(() =>
        pointAssistant().catch((err: unknown) =>
          run.onEvent({ kind: 'failure', where: 'pointing the assistant', error: (err as Error).message }),
        ),
      );
    else await pointAssistant();
    run.onEvent({
      kind: 'ready',
      url,
      webhookUrl: `${url}/webhook`,
      dataDir: store.location,
      auth: resolved ? 'secret' : 'none',
      secrets: resolved?.auth.secrets.length ?? 0,
      ...(resolved
        ? {
            authSource: resolved.source,
            plans: resolved.auth.plans.map(describePlan),
            credentialId: stored.vapi?.credential?.id,
          }
        : {}),
      ...(publicWebhookUrl ? { publicWebhookUrl } : {}),
      notifications: notifications.setup,
    });
    callEvents.start();
    worker.start();
    await new Promise<void>((resolve) => {
      if (run.signal.aborted || failed.signal.aborted) return resolve();
      run.signal.addEventListener('abort', () => resolve(), { once: true });
      failed.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    run.onEvent({ kind: 'stopping' });
  } finally {
    // Reverse order: the assistant's URL first (while Vapi can still reach us), then the tunnel, the server, the store.
    // Each step is bounded by the deadline and a second Ctrl-C; what is skipped is said, and the
    // next serve or sync puts the assistant's URL back.
    supervisor?.stopping(); // also when serve stops on an error
    const until = Date.now() + (run.deadlineMs ?? SHUTDOWN_DEADLINE_MS);
    let skipped: string | undefined;
    const step = async (what: string, fn: () => Promise<unknown> | undefined) => {
      if (skipped) return;
      const outcome = await bounded(fn(), until - Date.now(), run.force);
      if (outcome !== 'done') {
        skipped = what;
        run.onEvent({
          kind: 'failure',
          where: 'stopping',
          error: `${outcome === 'forced' ? 'Stopped at once (second signal)' : 'Cleanup took too long'} while ${what}; the rest was skipped. The next \`receptionist serve\` or \`receptionist sync\` puts the assistant's server URL back.`,
        });
      }
    };
    await step("restoring the assistant's server URL", () => pointer?.restore());
    await step('closing the tunnel', () => supervisor?.close());
    clearInterval(pruneTimer);
    await step('closing the server', () => app?.close());
    await step('finishing the notification in flight', () => outbox?.close());
    await step('writing spooled call events', () => callEvents?.close());
    await step('checkpointing the store', () => marks.close());
    await step('closing the store', async () => {
      await store.close();
      await ctx.close();
    });
  }
  run.onEvent({ kind: 'stopped' });
  if (fatal) throw fatal;
}

/**
 * The high-water marks of what serve acknowledged, written beside the store (src/store/watermark.ts):
 * a quarter second after a call log is written, every minute with a checkpoint of the write-ahead log,
 * and at a clean stop after a full checkpoint. Only for the embedded store.
 */
function acknowledgedMarks(store: Store, dir: string, now: () => Date, warn: (m: string) => void) {
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

/**
 * The bot config and the sealer, from the store or the local copy (closed after), both checked
 * as always (the pin). @throws UserError; NetworkError when the local copy does not pass
 */
async function readStartup(
  from: Store | LocalCopy,
  location: string,
  deps: Deps,
): Promise<{ stored: BotConfig; sealer: FieldSealer }> {
  const copy = 'savedAt' in from ? from : undefined;
  const store = copy?.store ?? (from as Store);
  try {
    return { stored: await requireBotConfig(store), sealer: await writeOnlySealer(store, deps) };
  } catch (err) {
    // Keys rotated since the copy was saved, say: what is wrong is first that MongoDB is unreachable.
    if (copy && err instanceof UserError)
      throw new NetworkError(
        `${location} is unreachable, and serve's local copy (saved ${copy.savedAt}) cannot be used instead: ${err.message}`,
        `${err.hint ?? ''} Or start serve while MongoDB answers: it refreshes the copy.`.trim(),
        { cause: err },
      );
    throw err;
  } finally {
    await copy?.store.close();
  }
}

/**
 * serve's store, watched (its state is `/health`'s). MongoDB unreachable at start (no server
 * answered; not a malformed URI, an unknown host or rejected credentials, which still fail at
 * once): the local copy of the bot config and keys to start from, and the store opened in the
 * background (issue 13 item 14).
 * @throws what opening the store throws; that NetworkError, with the way out, when there is no local copy
 */
async function openServeStore(
  ctx: Context,
  hooks: Pick<WatchedStoreOptions, 'onEvent' | 'onConnected' | 'onFatal'>,
): Promise<{ store: WatchedStore; copy?: LocalCopy }> {
  const g = ctx.globals;
  const unreachable = (err: unknown) => err instanceof NetworkError && err.reason === 'store-unreachable';
  try {
    const opened = await ctx.store({ latencySensitive: true });
    return { store: new WatchedStore({ initial: opened, kind: opened.kind, location: opened.location, ...hooks }) };
  } catch (err) {
    if (!unreachable(err) || !g.mongodbUri) throw err;
    let copy: LocalCopy | undefined;
    try {
      copy = await openLocalCopy(g.dataDir.value);
    } catch (copyErr) {
      (err as NetworkError).hint = `${(copyErr as UserError).message} ${(copyErr as UserError).hint ?? ''}`.trim();
      throw err;
    }
    if (!copy) {
      (err as NetworkError).hint =
        `${(err as NetworkError).hint ?? ''} serve starts without MongoDB only from the local copy of the bot config and keys that it writes to ${path.join(g.dataDir.value, LOCAL_COPY_FILE)} each time it starts with MongoDB: start it once while MongoDB answers.`.trim();
      throw err;
    }
    const { openStore } = await import('../shared/store.js');
    const store = new WatchedStore({
      kind: 'mongo',
      location: redactUri(g.mongodbUri.value),
      reason: ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message,
      // One attempt each time (about 1 s: serve's server selection timeout), with backoff between.
      connect: () => openStore(g, ctx, { latencySensitive: true, purpose: ctx.commandPath, openWithinMS: 0 }),
      isTransient: unreachable,
      ...hooks,
    });
    return { store, copy };
  }
}

/**
 * `serve` until SIGINT/SIGTERM: the first one stops cleanly (within the deadline), a second one at
 * once (exit 130); a fatal error stops cleanly, then ends the command with that error (exit 70).
 * Events are printed as they come (stderr lines, or NDJSON on stdout with --json).
 */
export async function serveUntilSignalled(opts: ServeOptions, ctx: Context): Promise<void> {
  const controller = new AbortController();
  let fatal: unknown;
  const force = new AbortController();
  let forced = false;
  const off = ctx.onShutdown((reason, error) => {
    if (reason === 'fatal') fatal = error ?? new Error('fatal error');
    if (controller.signal.aborted && reason !== 'fatal') {
      forced = true;
      force.abort();
    }
    controller.abort();
  });
  try {
    await runServe(opts, ctx, {
      signal: controller.signal,
      force: force.signal,
      onEvent: (e) => renderServeEvent(e, ctx.globals, ctx.io, ctx.now),
    });
  } finally {
    off();
  }
  // Cleaned up (the assistant's URL restored); now the fatal error ends the command (exit 70).
  if (fatal) throw fatal;
  if (forced) throw new CancelledError();
}

export const serve = implement({ parse: parseServeOptions, run: serveUntilSignalled });
