import { randomBytes } from 'node:crypto';
import type { Doc, Store } from '../store/types.js';
import type { Appointment } from './appointments.js';
import { DEFAULT_REMINDER_HOURS, REMINDER_CHANNELS, type ClinicSettings, type ReminderChannel } from './clinic.js';
import type { FieldSealer } from './sealer.js';

/**
 * The notification outbox (collection `outbox`). Every booking, move,
 * cancellation and AC visit puts one entry here in the same atomic step as the change itself;
 * `serve` delivers it to every channel (outgoing webhooks, email, SMS), retries with backoff for
 * {@link RETRY_WINDOW_MS}, then dead-letters it. The entry id is the idempotency key of every
 * delivery (`webhook-id`, the email's `Message-ID`, Twilio's idempotency token). While pending, the
 * patient's contact details are in `payload`, sealed for `serve` (`crypto/pending.ts`); once every
 * channel has it, the payload is removed.
 */

/** What happened (the `type` of the Standard Webhooks payload). */
export type NotificationEvent =
  | 'appointment.booked'
  | 'appointment.rescheduled'
  | 'appointment.cancelled'
  | 'appointment.reminder'
  | 'ac_visit.scheduled';

export const NOTIFICATION_EVENTS: readonly NotificationEvent[] = [
  'appointment.booked',
  'appointment.rescheduled',
  'appointment.cancelled',
  'appointment.reminder',
  'ac_visit.scheduled',
];

/** A patient or customer to notify: what the channels need to reach them. */
export interface Contact {
  /** Absent for an AC customer reached by the number they called from. */
  name?: string;
  /** E.164 */
  phone?: string;
  email?: string;
}

/**
 * The payload every channel is built from; outgoing webhooks get it as the body, per the Standard
 * Webhooks spec's `{type, timestamp, data}` (JSON Schema: `schemas/notification.schema.json`).
 */
export interface Notification {
  type: NotificationEvent;
  /** ISO 8601, UTC: when it happened. */
  timestamp: string;
  data: {
    /** Appointment ID, or the AC visit ID (`SV-…`). */
    id: string;
    /** IANA zone the clinic reads times in. */
    timeZone: string;
    clinic: string;
    /** Appointments: ISO 8601 UTC. */
    start?: string;
    /** Appointments: minutes. */
    durationMinutes?: number;
    /** A move: where it was. */
    previousStart?: string;
    doctor?: { id: string; name: string; specialty: string };
    /** AC visits: the day (ISO date) and `morning` / `afternoon`. */
    date?: string;
    window?: string;
    contact: Contact;
  };
}

export type DeliveryState =
  | { status: 'delivered'; at: string }
  | { status: 'failed'; attempts: number; error: string }
  /**
   * A reminder call Vapi took (`POST /call`), waiting for its outcome: the `end-of-call-report`
   * (or, when none came, `GET /call/{id}`) sets `endedReason`; delivered only when the patient answered.
   */
  | { status: 'placed'; at: string; callId: string; attempts: number; endedReason?: string };

/**
 * Vapi's `endedReason`s (spec `ServerMessageEndOfCallReport.endedReason`) of a call the patient
 * picked up and heard: the assistant or the patient ended it, it was forwarded, or it ran out of time.
 * Anything else (`customer-did-not-answer`, `voicemail`, `customer-busy`, `silence-timed-out`, every
 * error) is a missed reminder, tried again while its window lasts.
 */
const ANSWERED = new Set([
  'assistant-ended-call',
  'assistant-said-end-call-phrase',
  'assistant-ended-call-with-hangup-task',
  'assistant-ended-call-after-message-spoken',
  'assistant-forwarded-call',
  'customer-ended-call',
  'customer-ended-call-before-warm-transfer',
  'customer-ended-call-after-warm-transfer-attempt',
  'customer-ended-call-during-transfer',
  'exceeded-max-duration',
]);

/** Did the patient hear the reminder call that ended this way? */
export function reminderAnswered(endedReason: string): boolean {
  return ANSWERED.has(endedReason);
}

/** The reminder a call's `name` names (`reminder msg_…`, or `reminder msg_… #2` for a retry; src/notify/call.ts), if any. */
export function reminderIdOfCall(name: string | undefined): string | undefined {
  return /^reminder (msg_[A-Za-z0-9]+)(?: #\d)?$/.exec(name ?? '')?.[1];
}

/**
 * A reminder call's `end-of-call-report`: its ended reason goes on the reminder's
 * `placed` delivery and the reminder is due at once, so `serve`'s outbox worker marks it delivered
 * (answered) or tries again (missed). A report of another call, or a repeat, changes nothing.
 * Returns whether a reminder took it.
 */
export async function recordReminderCallEnd(
  store: Store,
  report: { callId: string; callName?: string; endedReason?: string },
  now: Date,
): Promise<boolean> {
  const id = reminderIdOfCall(report.callName);
  if (!id || !report.endedReason) return false;
  const r = await store
    .collection('outbox')
    .updateOne(
      { _id: id, status: 'pending', 'deliveries.call.callId': report.callId, 'deliveries.call.status': 'placed' },
      { $set: { 'deliveries.call.endedReason': report.endedReason, dueAt: now.getTime() } },
    );
  return r.matched === 1;
}

export interface OutboxEntry extends Doc {
  /** `msg_` + 24 random base32 characters: the idempotency key of every delivery. */
  _id: string;
  event: NotificationEvent;
  /** The appointment or visit it is about (no patient data). */
  subject: string;
  /** `cancelled`: a reminder whose appointment moved or was cancelled, or `reminders cancel`. */
  status: 'pending' | 'delivered' | 'dead' | 'cancelled';
  createdAt: string;
  /** Epoch ms: not before (a reminder's time; a retry's). */
  dueAt: number;
  /**
   * Epoch ms: not sent after this (a reminder: {@link REMINDER_CUTOFF_MS} before its appointment);
   * absent: retried until {@link RETRY_WINDOW_MS} after `createdAt`.
   */
  expiresAt?: number;
  /**
   * Only these of serve's own channels (a reminder: the clinic's `reminderChannels`); outgoing
   * webhooks go by their own `events`. Absent: every channel that wants it.
   */
  channels?: ReminderChannel[];
  cancelledAt?: string;
  /** Why it was cancelled, in words (`moved`, `appointment cancelled`, `reminders cancel`). */
  cancelReason?: string;
  /** Ties of `dueAt` go in the order entries were made (real clock, µs, plus a counter): a booking before its cancellation. */
  order: number;
  attempts: number;
  /** Per channel (`webhook:<id>`, `email`, `sms`): what it has had, so a retry sends only what is missing. */
  deliveries: Record<string, DeliveryState>;
  /** The {@link Notification}, sealed for serve; removed once delivered. */
  payload?: string;
  /** Epoch ms until which one serve process owns a delivery attempt (two serves share a store). */
  leaseUntil?: number;
  /** `host:pid` of the serve holding the lease. */
  leaseOwner?: string;
  lastError?: string;
  deliveredAt?: string;
  deadAt?: string;
}

/**
 * `text` with email addresses and phone numbers replaced by `[email]` and `[phone]`: a channel's
 * error as the outbox keeps it (in plaintext, shown by `outbox list` and the studio), since a mail
 * or SMS server's refusal often quotes the recipient ("550 <a@b.co>: Recipient address rejected").
 * A phone number is `+` and 8 or more digits (spaces, dashes, brackets between), or 10 or more digits.
 */
export function redactContacts(text: string): string {
  return text.replace(/[\w.+-]+@[\w-]+(?:\.[\w-]+)+/g, '[email]').replace(/\+\d[\d ()-]{6,}\d|\b\d{10,}\b/g, '[phone]');
}

/** How long a notification is retried before it is dead-lettered: 24 h. */
export const RETRY_WINDOW_MS = 24 * 3_600_000;

let made = 0;
const nextOrder = () => Date.now() * 1000 + (made++ % 1000);
const newId = () => `msg_${randomBytes(15).toString('base64url').replace(/[-_]/g, 'x')}`;
const bound = (id: string) => `outbox:${id}`;
const outbox = (store: Store) => store.collection('outbox');

/**
 * Puts one notification in the outbox. Call it inside the atomic step of the change it tells of.
 * `dueAt`: not before this (a reminder). @throws StoreUnavailableError; Error without the blind-index key
 */
export async function enqueueNotification(
  store: Store,
  sealer: FieldSealer,
  n: Notification,
  opts: { subject: string; dueAt?: number; id?: string } & Pick<OutboxEntry, 'expiresAt' | 'channels'>,
): Promise<OutboxEntry> {
  const _id = opts.id ?? newId();
  const entry: OutboxEntry = {
    _id,
    event: n.type,
    subject: opts.subject,
    status: 'pending',
    createdAt: n.timestamp,
    dueAt: opts.dueAt ?? Date.parse(n.timestamp),
    order: nextOrder(),
    attempts: 0,
    deliveries: {},
    ...(opts.expiresAt !== undefined ? { expiresAt: opts.expiresAt } : {}),
    ...(opts.channels ? { channels: opts.channels } : {}),
    payload: sealer.sealPending(JSON.stringify(n), bound(_id)),
  };
  await outbox(store).insertOne(entry);
  return entry;
}

/** The notification of an entry, opened. @throws Error (damaged, another key) */
export function openNotification(entry: OutboxEntry, sealer: FieldSealer): Notification {
  return JSON.parse(sealer.openPending(entry.payload!, bound(entry._id))) as Notification;
}

/**
 * An appointment's contact card, sealed for serve and kept on the appointment while it is coming
 * (`contact`), so that a move, a cancellation or a reminder can be told to the patient by a
 * process that cannot open the sealed store. Removed when it is cancelled or has passed.
 */
export function sealContact(sealer: FieldSealer, appointmentId: string, c: Contact): string {
  return sealer.sealPending(JSON.stringify(c), `contact:${appointmentId}`);
}

export function openContact(
  sealer: FieldSealer,
  a: Pick<Appointment, 'appointmentId' | 'contact'>,
): Contact | undefined {
  if (typeof a.contact !== 'string') return undefined;
  return JSON.parse(sealer.openPending(a.contact, `contact:${a.appointmentId}`)) as Contact;
}

/** The notification of an appointment event. */
export function appointmentNotification(
  type: NotificationEvent,
  a: Appointment,
  contact: Contact,
  clinic: { name: string; timeZone: string; slotMinutes: number },
  at: Date,
  extra: { previousStart?: string; durationMinutes?: number } = {},
): Notification {
  return {
    type,
    timestamp: at.toISOString(),
    data: {
      id: a.appointmentId,
      timeZone: clinic.timeZone,
      clinic: clinic.name,
      start: a.start,
      durationMinutes: extra.durationMinutes ?? clinic.slotMinutes,
      ...(extra.previousStart ? { previousStart: extra.previousStart } : {}),
      doctor: { id: a.doctorId, name: a.doctorName, specialty: a.specialty },
      contact,
    },
  };
}

/** Entries, newest first, optionally of one status. */
export async function listOutbox(store: Store, opts: { status?: OutboxEntry['status']; limit?: number } = {}) {
  return outbox(store).find(opts.status ? { status: opts.status } : {}, {
    sort: { createdAt: -1 },
    ...(opts.limit ? { limit: opts.limit } : {}),
  });
}

/**
 * Puts dead (or all failed pending) entries back to be delivered at once; returns how many. A
 * reminder whose appointment is too near ({@link OutboxEntry.expiresAt} passed) stays dead.
 */
export async function retryOutbox(store: Store, opts: { id?: string }, now: Date): Promise<number> {
  const q = {
    ...(opts.id ? { _id: opts.id, status: { $in: ['dead', 'pending'] } } : { status: 'dead' }),
    $or: [{ expiresAt: { $exists: false } }, { expiresAt: { $gt: now.getTime() } }],
  };
  const res = await outbox(store).updateMany(q, {
    $set: { status: 'pending', dueAt: now.getTime(), attempts: 0, createdAt: now.toISOString() },
    $unset: { deadAt: true, leaseUntil: true, leaseOwner: true },
  });
  return res.matched;
}

/** Removes delivered and cancelled entries older than `before`, and dead ones (`dead: true`); returns how many. */
export async function purgeOutbox(store: Store, opts: { before: Date; dead?: boolean }): Promise<number> {
  const delivered = await outbox(store).deleteMany({
    status: { $in: ['delivered', 'cancelled'] },
    createdAt: { $lt: opts.before.toISOString() },
  });
  const dead = opts.dead ? await outbox(store).deleteMany({ status: 'dead' }) : { deleted: 0 };
  return delivered.deleted + dead.deleted;
}

/**
 * Removes the contact cards of appointments that have started (nothing is sent about them any more),
 * so `serve`'s key reads only coming appointments' contact details. Returns how many. Run hourly by serve.
 */
export async function forgetPastContacts(store: Store, now: Date): Promise<number> {
  const res = await store
    .collection('appointments')
    .updateMany({ contact: { $exists: true }, startMs: { $lt: now.getTime() } }, { $unset: { contact: true } });
  return res.matched;
}

/** A reminder is not sent in the last quarter hour before its appointment: too late to act on. */
export const REMINDER_CUTOFF_MS = 15 * 60_000;

/**
 * When an appointment's reminder is due and until when it may go, epoch ms; undefined when the
 * clinic sends none (`reminderHours` 0) or the appointment is nearer than the lead (the booking's
 * own confirmation is then the reminder).
 */
export function reminderTimes(
  clinic: Pick<ClinicSettings, 'reminderHours'>,
  startMs: number,
  nowMs: number,
): { dueAt: number; expiresAt: number } | undefined {
  const hours = clinic.reminderHours ?? DEFAULT_REMINDER_HOURS;
  if (!hours) return undefined;
  const dueAt = startMs - hours * 3_600_000;
  if (dueAt <= nowMs) return undefined;
  return { dueAt, expiresAt: startMs - REMINDER_CUTOFF_MS };
}

/**
 * Puts the reminder of a confirmed appointment in the outbox (event `appointment.reminder`, due
 * `reminderHours` before it, for the clinic's `reminderChannels`), when one is due at all
 * ({@link reminderTimes}). Call it in the atomic step of the booking or move.
 * @throws StoreUnavailableError
 */
export async function scheduleReminder(
  store: Store,
  sealer: FieldSealer,
  clinic: ClinicSettings,
  now: Date,
  a: Appointment,
  contact: Contact,
  durationMinutes: number,
): Promise<OutboxEntry | undefined> {
  const when = reminderTimes(clinic, a.startMs, now.getTime());
  if (!when) return undefined;
  return enqueueNotification(
    store,
    sealer,
    appointmentNotification('appointment.reminder', a, contact, clinic, now, { durationMinutes }),
    { subject: a.appointmentId, ...when, channels: [...(clinic.reminderChannels ?? REMINDER_CHANNELS)] },
  );
}

/**
 * Cancels the pending reminders of an appointment (it moved, was cancelled, or the desk said so);
 * their sealed payloads go at once. Returns how many. @throws StoreUnavailableError
 */
export async function cancelReminders(
  store: Store,
  query: { appointmentId: string } | { id: string },
  now: Date,
  reason: string,
): Promise<number> {
  const res = await outbox(store).updateMany(
    {
      event: 'appointment.reminder',
      status: 'pending',
      ...('id' in query ? { _id: query.id } : { subject: query.appointmentId }),
    },
    {
      $set: { status: 'cancelled', cancelledAt: now.toISOString(), cancelReason: reason },
      $unset: { payload: true, leaseUntil: true, leaseOwner: true },
    },
  );
  return res.matched;
}

/** Reminders, soonest first: of one status, due in `[from, to)` (epoch ms), of one appointment. */
export async function listReminders(
  store: Store,
  opts: { status?: OutboxEntry['status']; from?: number; to?: number; appointmentId?: string; limit?: number } = {},
): Promise<OutboxEntry[]> {
  const due =
    opts.from !== undefined || opts.to !== undefined
      ? {
          dueAt: {
            ...(opts.from !== undefined ? { $gte: opts.from } : {}),
            ...(opts.to !== undefined ? { $lt: opts.to } : {}),
          },
        }
      : {};
  return outbox(store).find(
    {
      event: 'appointment.reminder',
      ...(opts.status ? { status: opts.status } : {}),
      ...(opts.appointmentId ? { subject: opts.appointmentId } : {}),
      ...due,
    },
    { sort: { dueAt: 1, order: 1 }, ...(opts.limit ? { limit: opts.limit } : {}) },
  );
}
