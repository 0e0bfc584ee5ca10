import type { Doc, Store } from '../store/types.js';
import type { CredentialRecord, SecretRotation, SyncState, TunnelRecord } from './vapi-records.js';

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
/** The days of the week as spoken, Monday first (luxon's `weekday` 1–7 is the index + 1). */
export const WEEKDAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

/** Clinic-wide settings (templates/bot-config/clinic.json). */
export interface ClinicSettings {
  name: string;
  /** IANA time zone in which spoken dates and opening hours are read, e.g. `Asia/Kolkata`. */
  timeZone: string;
  /** ISO 3166-1 alpha-2 region for phone numbers given without a country code, e.g. `IN`. */
  defaultRegion: string;
  /** Length of one appointment slot, minutes. */
  slotMinutes: number;
  /** How long a held slot stays reserved before it is confirmed, minutes. */
  holdMinutes: number;
  /** How far ahead bookings are accepted, days. */
  bookingHorizonDays: number;
  locale: string;
  /**
   * E.164 number of the front desk, e.g. `+918041234567`: `sync` writes it as the `transferCall` tool's
   * destination, and `serve` answers `transfer-destination-request` with it.
   */
  frontDeskNumber?: string;
  /** The Vapi phone number `sync` points at `serve` (E.164 or a Vapi phone-number id); set by `sync --phone-number`. */
  phoneNumber?: string;
  /**
   * Turns on the assistant's `compliancePlan.hipaaEnabled` (spec `CompliancePlan`). Vapi's HIPAA mode is
   * an organisation add-on; with it Vapi still stores recordings, transcripts and logs, in its private
   * HIPAA storage (docs `fern/security-and-privacy/hipaa.mdx`); keeping nothing is Zero Data Retention,
   * a separate add-on (`…/zero-data-retention.mdx`). @default false
   */
  hipaaEnabled?: boolean;
  /** `sync` runs the project's tests of the assistant first and publishes nothing when one fails. */
  testBeforeSync?: boolean;
  /**
   * How long before each appointment its reminder goes out, hours; 0: no reminders.
   * @default 24 ({@link DEFAULT_REMINDER_HOURS})
   */
  reminderHours?: number;
  /**
   * How reminders reach the patient, of those `serve` has configured: `call` (an outbound Vapi call
   * with `variableValues`), `email`, `sms`. Outgoing webhooks subscribed to `appointment.reminder`
   * get them whatever this says. @default ['call', 'email', 'sms']
   */
  reminderChannels?: ReminderChannel[];
  /**
   * What the assistant says first on a reminder call (`assistantOverrides.firstMessage`), with the
   * call's `variableValues` `{{name}}`, `{{doctor}}`, `{{appointmentTime}}` (spoken), `{{clinic}}` and
   * `{{appointmentId}}` (not `{{time}}`: that is Vapi's own clock, which the system prompt reads).
   * @default {@link DEFAULT_REMINDER_FIRST_MESSAGE}
   */
  reminderFirstMessage?: string;
}

export type ReminderChannel = 'call' | 'email' | 'sms';
export const REMINDER_CHANNELS: readonly ReminderChannel[] = ['call', 'email', 'sms'];
export const DEFAULT_REMINDER_HOURS = 24;
/**
 * The `variableValues` a reminder call carries (src/notify/call.ts `reminderVariables`), which
 * `clinic.reminderFirstMessage` may use; `name` only when the patient gave one.
 */
export const REMINDER_VARIABLES = ['name', 'doctor', 'appointmentTime', 'appointmentId', 'clinic'] as const;
export type ReminderVariable = (typeof REMINDER_VARIABLES)[number];
export const DEFAULT_REMINDER_FIRST_MESSAGE =
  'Hello {{name}}, this is {{clinic}} with a reminder of your appointment with {{doctor}} {{appointmentTime}}. Would you like to keep it, move it or cancel it?';

/** Days a doctor does not see patients: ISO dates in the clinic's zone, inclusive. */
export interface Leave {
  from: string;
  to: string;
  /** Set on a clinic holiday (its name) added to every doctor's leave by `clinicDoctors`. */
  holiday?: string;
  note?: string;
}

/** A day or days the whole clinic is closed (collection `holidays`, `_id` = `from`). */
export interface Holiday extends Doc {
  /** ISO dates in the clinic's zone, inclusive. */
  from: string;
  to: string;
  name: string;
}

/** A doctor and their weekly hours in the clinic's time zone: `{"mon": [["09:00","13:00"]]}`. */
export interface Doctor extends Doc {
  name: string;
  specialty: string;
  weeklyHours: Partial<Record<Weekday, [string, string][]>>;
  /** Length of this doctor's appointments, minutes; absent: the clinic's `slotMinutes`. */
  slotMinutes?: number;
  /** Days away, oldest first (`doctors leave add`). */
  leave?: Leave[];
  /** Version of the calendar feed URL's token (`doctors feed-url --rotate` bumps it). @default 1 */
  feedVersion?: number;
}

/**
 * The stored bot config (collection `bot_configs`, `_id` "default"): clinic settings, the
 * assistant as a Vapi `CreateAssistantDTO`, and the function tools as `CreateFunctionToolDTO`s.
 */
export interface BotConfig extends Doc {
  clinic: ClinicSettings;
  assistant: Record<string, unknown> & { name?: string; firstMessage?: string };
  tools: Array<
    { type: 'function'; function: { name: string; description?: string; parameters?: unknown } } & Record<
      string,
      unknown
    >
  >;
  /** What `sync` recorded: ids on Vapi, the server URL used, and per-resource state for drift detection. */
  vapi?: {
    assistantId?: string;
    toolIds?: Record<string, string>;
    serverUrl?: string;
    sync?: SyncState;
    tunnel?: TunnelRecord;
    /** The webhook credential `sync` created (no secret): the plan `serve` verifies. */
    credential?: CredentialRecord;
    /** The phone number `sync` pointed at `serve`. */
    phoneNumber?: { id: string; number?: string };
    /** A secret rotation in progress (`sync --rotate-secret`). */
    rotation?: SecretRotation;
  };
}

export interface Customer extends Doc {
  customerId?: string;
  name: string;
  /** Blind index of the normalised name: the second factor of the access rule. */
  nameIndex?: string;
  /** E.164 */
  phone?: string;
  email?: string;
}

export interface AcPurchase extends Doc {
  customerId: string;
  serialNumber: string;
  model: string;
  /** ISO date */
  purchaseDate: string;
  priceInr: number;
  store: string;
  installation: string | null;
  warrantyMonths: number;
  compressorWarrantyMonths: number;
}

export interface TroubleshootingGuide extends Doc {
  keywords: string[];
  title: string;
  steps: string[];
}

export async function loadBotConfig(col: {
  findOne(q: Record<string, unknown>): Promise<unknown>;
}): Promise<BotConfig | null> {
  return (await col.findOne({ _id: 'default' })) as BotConfig | null;
}

/** The store holds no bot config yet (not seeded). `hint`: what to run, for the kernel's table to show. */
export class NotSeededError extends Error {
  constructor(
    readonly location: string,
    readonly hint = 'Run `receptionist seed` first.',
  ) {
    super(`The store at ${location} has no bot config.`);
    this.name = 'NotSeededError';
  }
}

/** The stored bot config. @throws NotSeededError naming the store, with `hint` (default: run seed) */
export async function requireBotConfig(
  store: Pick<Store, 'collection' | 'location'>,
  hint?: string,
): Promise<BotConfig> {
  const config = await loadBotConfig(store.collection('bot_configs'));
  if (!config) throw new NotSeededError(store.location, hint);
  return config;
}
