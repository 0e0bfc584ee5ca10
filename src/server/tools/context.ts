import { DateTime } from 'luxon';
import { FrontDesk } from '../../domain/front-desk.js';
import type { Store } from '../../store/types.js';
import type { BotConfig, Doctor } from '../../domain/clinic.js';
import { bookableDays, openWindow } from '../../domain/schedule.js';
import { clinicDoctors } from '../../domain/doctors.js';
import type { FieldSealer } from '../../domain/sealer.js';
import { resolveSpokenTime, spokenDay, type SpokenTime } from '../../domain/spoken-time.js';

/** What a tool handler gets besides its arguments. */
export interface ToolContext {
  store: Store;
  config: BotConfig;
  now: () => Date;
  /** Vapi `call.id`; '' for a message without a call (some web/chat tests). */
  callId: string;
  /** Vapi `toolCallId` of this invocation. */
  toolCallId: string;
  /** The caller's number (E.164) when Vapi sent one. */
  customerNumber?: string;
  /** Seals patients' data before it is stored (write-only). */
  sealer: FieldSealer;
}

/**
 * A tool handler: arguments that fit the tool's schema in (./arguments.ts checked them), one short
 * sentence a voice can speak out. Caller-level problems (a taken slot, an unknown id) are answers,
 * not errors.
 * @throws ToolInputError when a required argument is blank.
 * @throws StoreUnavailableError when the store cannot be written (the webhook answers 503).
 */
export type ToolHandler = (args: Record<string, unknown>, ctx: ToolContext) => Promise<string>;

/** A missing or malformed argument: the reply carries it as the tool call's `error`. */
export class ToolInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ToolInputError';
  }
}

/** A required argument as text; present by the schema, but a blank one is still asked for again. */
export function requireString(args: Record<string, unknown>, key: string, spoken: string): string {
  const v = optionalString(args, key);
  if (!v) throw new ToolInputError(`Missing ${key}: ask the caller for ${spoken}.`);
  return v;
}

/**
 * An argument as text, trimmed; undefined when absent or blank. Its type was checked against the
 * tool's schema before the handler ran (./arguments.ts).
 */
export function optionalString(args: Record<string, unknown>, key: string): string | undefined {
  const v = args[key];
  if (v === undefined || v === null) return undefined;
  return String(v).trim() || undefined;
}

/**
 * The clinic's doctors, by name. A doctor record that fails validation (say, hand-edited hours
 * "10-1") is left out, so that one bad record does not break every tool that searches slots;
 * `preflight` and `migrate` name it.
 */
export async function doctors(ctx: ToolContext): Promise<Doctor[]> {
  return clinicDoctors(ctx.store);
}

/** The front desk of this tool call's store, clinic, clock and sealer. */
export function frontDesk(ctx: ToolContext): FrontDesk {
  return new FrontDesk(ctx.store, ctx.config.clinic, ctx.now, ctx.sealer);
}

export function nowInClinic(ctx: ToolContext): DateTime {
  return DateTime.fromJSDate(ctx.now(), { zone: ctx.config.clinic.timeZone });
}

/**
 * The caller's words as a day or a time in the clinic's zone and locale, or the question to ask:
 * a day or time past the booking horizon is said to be so, with the last day that can be booked
 * (so "in 10000 years" is not read as some day soon, and no one is told "no free times" for a day never offered).
 */
export function resolveTime(ctx: ToolContext, text: string, all: Doctor[]): SpokenTime {
  const { timeZone, bookingHorizonDays, locale } = ctx.config.clinic;
  const time = resolveSpokenTime(text, ctx.now(), timeZone, openWindow(all), locale);
  if (time.kind === 'question') return time;
  const last = bookableDays(nowInClinic(ctx), bookingHorizonDays).end;
  const asked = time.kind === 'day' ? time.day : time.start;
  if (asked > last)
    return {
      kind: 'question',
      question: `I can only book up to ${bookingHorizonDays} days ahead, that is until ${spokenDay(last)}. Which day before then would suit you?`,
    };
  return time;
}

/** `<callId>:<toolCallId>`: identifies one tool invocation across redeliveries. */
export function sourceKey(ctx: ToolContext): string {
  return `${ctx.callId}:${ctx.toolCallId}`;
}
