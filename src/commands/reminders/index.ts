import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { limitOption } from '../shared/flags.js';

/** A run module's export, loaded on use (the type import costs nothing at run time). */
const load =
  <K extends keyof typeof import('./reminders.js')>(name: K) =>
  () =>
    import('./reminders.js').then((m) => m[name]);

export const listSpec = spec({
  options: [
    new Option('--status <status>', 'pending (default), delivered, cancelled, dead, or all').choices([
      'pending',
      'delivered',
      'cancelled',
      'dead',
      'all',
    ]),
    new Option('--from <day>', 'due on or after this day: today, tomorrow or 2026-12-03'),
    new Option('--to <day>', 'due on or before this day'),
    new Option('--appointment <id>', "one appointment's reminders"),
    limitOption('reminders'),
  ],
});
export type ListFlags = FlagsOf<typeof listSpec>;

export const cancelSpec = spec({
  arguments: [new Argument('<id...>', 'reminder ids (msg_…) or appointment IDs')],
});
export type CancelFlags = FlagsOf<typeof cancelSpec>;

export const remindersCommand = defineCommand({
  name: 'reminders',
  summary: 'Appointment reminders (a call, email or SMS before each appointment): list and cancel',
  subcommands: [
    {
      name: 'list',
      summary: 'Reminders by the time they go out (default: the pending ones), with doctor and appointment time',
      ...listSpec,
      details: `A reminder is made with each booking, clinic.reminderHours (default 24) before the appointment, for
clinic.reminderChannels (call, email, sms; those serve has configured). A move makes a new one and
cancels the old; a cancellation cancels it. One that cannot go out by 15 minutes before the
appointment is dead ("too late"). Days are in the clinic's zone; no patient data is shown.
With --json: one array of {id, appointmentId, status, dueAt, appointmentStart, doctorName, channels,
deliveries, lastError, cancelReason} (times UTC ISO 8601).`,
      examples: [
        'receptionist reminders list',
        'receptionist reminders list --status all --appointment K7MHQPXY4',
        'receptionist reminders list --from tomorrow --to tomorrow --json',
      ],
      load: load('list'),
    },
    {
      name: 'cancel',
      summary: 'Cancel pending reminders: by reminder id (msg_…) or appointment ID; the appointment stays',
      ...cancelSpec,
      details:
        'Exit 1 when one of them had no pending reminder (the others are cancelled). Audited.\nWith --json: one array of {id, cancelled}.',
      examples: ['receptionist reminders cancel K7MHQPXY4', 'receptionist reminders cancel msg_Ab12… msg_Cd34…'],
      load: load('cancel'),
    },
  ],
});
