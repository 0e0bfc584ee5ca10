import type { Vapi, VapiClient } from '@vapi-ai/server-sdk';
import { DateTime } from 'luxon';
import { REMINDER_CUTOFF_MS, type Notification } from '../domain/outbox.js';
import type { ReminderVariable } from '../domain/clinic.js';
import { spokenDateTime, spokenTime } from '../domain/spoken-time.js';
import type { Channel } from './channel.js';
import { canCall, type OutboundScope } from '../vapi/phone-numbers.js';
import { createVapiClient, vapiError, type VapiSettings } from '../vapi/client.js';
import { withClinicClock } from '../vapi/assistant-body.js';

/** What the reminder-call channel needs: a Vapi key (`VAPI_API_KEY`), the synced assistant, a number to call from. */
export interface ReminderCallSettings {
  vapi: VapiSettings;
  assistantId: string;
  phoneNumberId: string;
  /** The clinic's `reminderFirstMessage` (LiquidJS, filled by Vapi from `variableValues`). */
  firstMessage: string;
  /** Where the calling number can call (a free Vapi number: US only). @default 'any' */
  callsOut?: OutboundScope;
}

/**
 * The call's `name` (Vapi: at most 40 characters): how a retry finds a call Vapi already took, and how
 * its `end-of-call-report` finds its reminder. A second try of a missed call is `reminder msg_… #2`.
 */
export const reminderCallName = (msgId: string, attempt = 1) =>
  `reminder ${msgId}${attempt > 1 ? ` #${Math.min(attempt, 9)}` : ''}`;

/** How far ahead a reminder call is scheduled: Vapi wants `schedulePlan.earliestAt` in the future (docs `fern/calls/call-outbound.mdx`), ms. */
export const SCHEDULE_LEAD_MS = 60_000;

/**
 * The appointment time as the assistant says it, from where the patient is on `at`:
 * "today at 4:30 PM", "tomorrow, Wednesday 2 December, at 10 AM", "on Friday 4 December at 10 AM".
 */
export function spokenAppointmentTime(start: string, timeZone: string, at: Date): string {
  const s = DateTime.fromISO(start, { zone: timeZone });
  const days = s.startOf('day').diff(DateTime.fromJSDate(at, { zone: timeZone }).startOf('day'), 'days').days;
  if (days === 0) return `today at ${spokenTime(s)}`;
  if (days === 1) return `tomorrow, ${s.toFormat('cccc d MMMM')}, at ${spokenTime(s)}`;
  return `on ${spokenDateTime(s)}`;
}

/**
 * The `variableValues` of a reminder call (Vapi `AssistantOverrides.variableValues`): `name`,
 * `doctor`, `appointmentTime` (spoken), `appointmentId` (spelt as on the booking), `clinic`.
 * Not `time` or `date`: those are Vapi's own clock, which the system prompt reads.
 */
export function reminderVariables(n: Notification, at: Date): Partial<Record<ReminderVariable, string>> {
  const d = n.data;
  return {
    ...(d.contact.name ? { name: d.contact.name } : {}),
    doctor: d.doctor!.name,
    appointmentTime: spokenAppointmentTime(d.start!, d.timeZone, at),
    appointmentId: d.id,
    clinic: d.clinic,
  };
}

/**
 * The body of the reminder call (Vapi `CreateCallDTO`): the synced assistant from the clinic's
 * number to the patient, the reminder's first message and variables, and a `schedulePlan` from a
 * minute ahead ({@link SCHEDULE_LEAD_MS}: "pass a future ISO date-time string to `earliestAt`", docs
 * `fern/calls/call-outbound.mdx`) to {@link REMINDER_CUTOFF_MS} before the appointment, so Vapi never
 * dials later than that. @throws Error (too late: the window has closed)
 */
export function reminderCallBody(
  s: ReminderCallSettings,
  n: Notification,
  msgId: string,
  at: Date,
  attempt = 1,
): Vapi.CreateCallDto {
  const variableValues = reminderVariables(n, at);
  const earliestAt = new Date(at.getTime() + SCHEDULE_LEAD_MS);
  const latestAt = new Date(Date.parse(n.data.start!) - REMINDER_CUTOFF_MS);
  if (earliestAt >= latestAt) throw new Error(`too late: the window closes at ${latestAt.toISOString()}`);
  return {
    name: reminderCallName(msgId, attempt),
    assistantId: s.assistantId,
    phoneNumberId: s.phoneNumberId,
    customer: { number: n.data.contact.phone!, ...(n.data.contact.name ? { name: n.data.contact.name } : {}) },
    assistantOverrides: { firstMessage: withClinicClock(s.firstMessage, n.data.timeZone), variableValues },
    schedulePlan: { earliestAt: earliestAt.toISOString(), latestAt: latestAt.toISOString() },
  } as Vapi.CreateCallDto;
}

/**
 * Reminders by phone: an outbound Vapi call to the patient, placed
 * when the reminder is due, with the assistant that answers the clinic's line (so the patient can move
 * or cancel on the spot). Placing it is not delivering it: the channel answers `{ placed: callId }`,
 * and the reminder counts as delivered only when the call's `end-of-call-report` (or `GET /call/{id}`
 * after the worker's `PLACED_CHECK_MS`) says the patient answered; a missed call is tried again, named
 * `… #2`, while the window lasts. Vapi has no idempotency key for calls: before placing one the channel
 * looks for a call of that name from the last day (Vapi took it, then serve died before recording
 * it), so a retry does not ring the patient twice.
 * @param now the clock (tests pin it)
 */
export function reminderCallChannel(s: ReminderCallSettings, now: () => Date, client?: VapiClient): Channel {
  let vapi: Promise<VapiClient> | undefined = client ? Promise.resolve(client) : undefined;
  const api = () => (vapi ??= createVapiClient(s.vapi));
  return {
    name: 'call',
    wants: (n) => n.type === 'appointment.reminder' && Boolean(n.data.contact.phone && n.data.start),
    async send(n, msgId, attempt = 1) {
      const at = now();
      const name = reminderCallName(msgId, attempt);
      const from = s.callsOut ?? 'any';
      if (!canCall(from, n.data.contact.phone!))
        throw new Error(
          'the calling number is a free Vapi number, which calls US numbers only (import a Twilio, Vonage or Telnyx number: https://docs.vapi.ai/phone-calling)',
        );
      const body = reminderCallBody(s, n, msgId, at, attempt);
      try {
        const v = await api();
        const recent = (await v.calls.list({
          assistantId: s.assistantId,
          createdAtGe: new Date(at.getTime() - 86_400_000).toISOString(),
          limit: 1000,
        })) as unknown as Array<{ id: string; name?: string }>;
        const earlier = recent.find((c) => c.name === name);
        if (earlier) return { placed: earlier.id };
        const call = (await v.calls.create(body)) as unknown as { id: string };
        return { placed: call.id };
      } catch (err) {
        // Status and Vapi's message, no key; retried by the outbox.
        throw vapiError('place the reminder call', s.vapi, err);
      }
    },
    async check(callId) {
      try {
        const call = (await (await api()).calls.get({ id: callId })) as unknown as {
          status?: string;
          endedReason?: string;
        };
        return call.status === 'ended' ? (call.endedReason ?? 'unknown') : undefined;
      } catch (err) {
        throw vapiError('read the reminder call', s.vapi, err);
      }
    },
  };
}
