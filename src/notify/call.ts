import type { Vapi, VapiClient } from '@vapi-ai/server-sdk';
import { DateTime } from 'luxon';
import { REMINDER_CUTOFF_MS, type Notification } from '../domain/outbox.js';
import { spokenDateTime, spokenTime } from '../domain/spoken-time.js';
import type { Channel } from '../server/outbox-worker.js';
import { createVapiClient, vapiError, type VapiSettings } from '../vapi/client.js';
import { withClinicClock } from '../vapi/assistant-body.js';

/** What the reminder-call channel needs: a Vapi key (`VAPI_API_KEY`), the synced assistant, a number to call from. */
export interface ReminderCallSettings {
  vapi: VapiSettings;
  assistantId: string;
  phoneNumberId: string;
  /** The clinic's `reminderFirstMessage` (LiquidJS, filled by Vapi from `variableValues`). */
  firstMessage: string;
}

/** The call's `name` (Vapi: at most 40 characters): how a retry finds a call Vapi already took. */
export const reminderCallName = (msgId: string) => `reminder ${msgId}`;

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
export function reminderVariables(n: Notification, at: Date): Record<string, string> {
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
 * number to the patient, the reminder's first message and variables, and a `schedulePlan` from
 * now to {@link REMINDER_CUTOFF_MS} before the appointment, so Vapi never dials later than that.
 */
export function reminderCallBody(
  s: ReminderCallSettings,
  n: Notification,
  msgId: string,
  at: Date,
): Vapi.CreateCallDto {
  const variableValues = reminderVariables(n, at);
  return {
    name: reminderCallName(msgId),
    assistantId: s.assistantId,
    phoneNumberId: s.phoneNumberId,
    customer: { number: n.data.contact.phone!, ...(n.data.contact.name ? { name: n.data.contact.name } : {}) },
    assistantOverrides: { firstMessage: withClinicClock(s.firstMessage, n.data.timeZone), variableValues },
    schedulePlan: {
      earliestAt: at.toISOString(),
      latestAt: new Date(Date.parse(n.data.start!) - REMINDER_CUTOFF_MS).toISOString(),
    },
  } as Vapi.CreateCallDto;
}

/**
 * Reminders by phone (issue 14 item 4): an outbound Vapi call to the patient, placed when the
 * reminder is due, with the assistant that answers the clinic's line (so the patient can move or
 * cancel on the spot). Vapi has no idempotency key for calls: each call is named after the outbox
 * entry, and before placing one the channel looks for a call of that name from the last day (Vapi
 * took it, then serve died before recording it), so a retry does not ring the patient twice.
 * @param now the clock (tests pin it)
 */
export function reminderCallChannel(s: ReminderCallSettings, now: () => Date, client?: VapiClient): Channel {
  let vapi: Promise<VapiClient> | undefined = client ? Promise.resolve(client) : undefined;
  return {
    name: 'call',
    wants: (n) => n.type === 'appointment.reminder' && Boolean(n.data.contact.phone && n.data.start),
    async send(n, msgId) {
      vapi ??= createVapiClient(s.vapi);
      const api = await vapi;
      const at = now();
      try {
        const recent = (await api.calls.list({
          assistantId: s.assistantId,
          createdAtGe: new Date(at.getTime() - 86_400_000).toISOString(),
          limit: 1000,
        })) as unknown as Array<{ name?: string }>;
        if (recent.some((c) => c.name === reminderCallName(msgId))) return;
        await api.calls.create(reminderCallBody(s, n, msgId, at));
      } catch (err) {
        // Status and Vapi's message, no key; retried by the outbox.
        throw vapiError('place the reminder call', s.vapi, err);
      }
    },
  };
}
