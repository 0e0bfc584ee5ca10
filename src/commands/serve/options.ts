// The full metadata, as the rest of serve uses (domain/contact.ts): the default build would load a second copy.
import { isSupportedCountry } from 'libphonenumber-js/max';
import { AuthError, UsageError } from '../../errors.js';
import { resolveSetting } from '../../settings.js';
import type { Env } from '../../env.js';
import {
  DEFAULT_TOLERANCE_SECONDS,
  PRE_SYNC_PLANS,
  parseAuthPlan,
  weakSecret,
  type AuthConfig,
  type WebhookAuthPlan,
} from '../../server/auth.js';
import { DEFAULT_BODY_LIMIT } from '../../server/app.js';
import { DEFAULT_ADMISSION_DEADLINE_MS } from '../../server/admission.js';
import type { NotificationSetup, ServeOptions } from '../../server/runtime.js';
import type { Channel } from '../../notify/channel.js';
import { emailChannel } from '../../notify/email.js';
import { smsChannel } from '../../notify/sms.js';
import { reminderCallChannel } from '../../notify/call.js';
import { canCallRegion, outboundScope } from '../../vapi/phone-numbers.js';
import { IMPORT_NUMBER_HINT } from '../shared/phone-number-hint.js';
import { resolveVapiSettings } from '../../vapi/client.js';
import {
  DEFAULT_REMINDER_FIRST_MESSAGE,
  DEFAULT_REMINDER_HOURS,
  REMINDER_CHANNELS,
  type BotConfig,
} from '../../domain/clinic.js';
import type { ServeFlags } from './index.js';
import { parseExposure } from '../shared/exposure.js';

// serve's flags and environment, read into the runtime's options (src/server/runtime.ts) before
// anything starts: every usage error is found here.

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

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
