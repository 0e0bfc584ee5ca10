import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { adminOptions } from '../shared/flags.js';

const idArg = () => new Argument('<id>', 'the appointment ID, e.g. K7MHQPXY4 (spaces and dashes are ignored)');
const atOption = () =>
  new Option(
    '--at <when>',
    'the time in the clinic zone: 2026-12-03 10:00, an ISO time with offset, or words ("next Monday at 10am")',
  );
const decrypt = () =>
  [
    new Option('--decrypt', "show patients' names (and, for an admin, contact and reason) after a password; audited"),
    ...adminOptions({ who: 'the user for --decrypt: a receptionist sees names, an admin everything' }),
  ] as const;
/** A run module's export, loaded on use (the type import costs nothing at run time). */
const load =
  <K extends keyof typeof import('./appointments.js')>(name: K) =>
  () =>
    import('./appointments.js').then((m) => m[name]);

export const listSpec = spec({
  options: [
    new Option('--date <day>', 'one day: today, tomorrow or 2026-12-03'),
    new Option('--from <day>', 'first day (default: today)'),
    new Option('--to <day>', 'last day (default: 6 days after --from)'),
    new Option('--doctor <doctor>', 'one doctor: id or name'),
    new Option('--status <status>', 'confirmed (default), held, cancelled, or all').choices([
      'confirmed',
      'held',
      'cancelled',
      'all',
    ]),
    ...decrypt(),
  ],
});
export type ListFlags = FlagsOf<typeof listSpec>;

export const exportIcsSpec = spec({
  options: [
    new Option('--ics', 'iCalendar (RFC 5545); the only format so far').makeOptionMandatory(),
    new Option('--doctor <doctor>', 'one doctor: id or name'),
    new Option('--from <day>', 'first day (default: today)'),
    new Option('--to <day>', 'last day (default: the booking horizon)'),
    ...decrypt(),
  ],
});
export type ExportIcsFlags = FlagsOf<typeof exportIcsSpec>;

export const showSpec = spec({
  arguments: [idArg()],
  options: decrypt(),
});
export type ShowFlags = FlagsOf<typeof showSpec>;

export const bookSpec = spec({
  options: [
    new Option('--doctor <doctor>', 'the doctor: id or name'),
    new Option('--specialty <specialty>', 'any doctor of this specialty (instead of --doctor)'),
    atOption().makeOptionMandatory(),
    new Option('--name <name>', "the patient's full name").makeOptionMandatory(),
    new Option(
      '--phone <number>',
      "the patient's phone number (E.164, or national in the clinic's region)",
    ).makeOptionMandatory(),
    new Option('--email <email>', "the patient's email").makeOptionMandatory(),
    new Option('--reason <reason>', 'the reason for the visit').makeOptionMandatory(),
    new Option('--idempotency-key <key>', 'a retry with the same key books once and prints the same appointment'),
  ],
});
export type BookFlags = FlagsOf<typeof bookSpec>;

export const rescheduleSpec = spec({
  arguments: [idArg()],
  options: [atOption().makeOptionMandatory()],
});
export type RescheduleFlags = FlagsOf<typeof rescheduleSpec>;

export const cancelSpec = spec({
  arguments: [idArg()],
  options: [new Option('--reason <reason>', 'why (kept sealed)').makeOptionMandatory()],
});
export type CancelFlags = FlagsOf<typeof cancelSpec>;

export const appointmentsCommand = defineCommand({
  name: 'appointments',
  summary: 'The front desk: list, show, book, reschedule and cancel appointments, by the voice tools’ rules',
  subcommands: [
    {
      name: 'list',
      summary: 'Appointments by time (default: the next 7 days), with doctors and status',
      ...listSpec,
      details:
        "Days and times are in the clinic's zone. Without --decrypt, names show as [sealed]. With --json: one array of\n{appointmentId, status, start (UTC ISO 8601), doctorId, doctorName, specialty, patientName}.",
      examples: [
        'receptionist appointments list --date today --decrypt',
        'receptionist appointments list --doctor rao --from 2026-12-01 --to 2026-12-31 --json',
      ],
      load: load('list'),
    },
    {
      name: 'export',
      summary: 'Appointments as an iCalendar file (.ics) on stdout, to import into a calendar',
      ...exportIcsSpec,
      details:
        "Confirmed and cancelled appointments, one event each (UID <id>@receptionist, as in the patients' emails).\nWith --decrypt the events carry the patients' names; never contact details or the reason. The output is\nthe iCalendar file with --json too.",
      examples: ['receptionist appointments export --ics --doctor rao > rao.ics'],
      load: load('exportIcs'),
    },
    {
      name: 'show',
      summary: 'One appointment in full',
      ...showSpec,
      details:
        'A receptionist sees the name; an admin also the email, phone and reason; without --decrypt they show as\n[sealed]. With --json: one object.',
      examples: ['receptionist appointments show K7MHQPXY4 --decrypt'],
      load: load('show'),
    },
    {
      name: 'book',
      summary: 'Book an appointment for a patient at the desk or on another line (same rules and holds as the phone)',
      ...bookSpec,
      details:
        'Exit 1 when the time cannot be booked (taken, past, beyond the booking horizon, the doctor away or not\nworking then), with the reason and the nearest free times. With --json: one object\n{action, appointment: {appointmentId, start, doctorId, doctorName}} or, refused, the error on stderr.',
      examples: [
        'receptionist appointments book --doctor rao --at "2026-12-07 10:00" --name "Asha Verma" --phone 98123 45678 --email asha@example.com --reason "chest pain"',
        'receptionist appointments book --specialty pediatrics --at "next Monday at 10am" --name "Ravi K" --phone +919845012345 --email r@example.com --reason fever',
      ],
      load: load('book'),
    },
    {
      name: 'reschedule',
      summary: 'Move an appointment to another time with the same doctor; its ID stays',
      ...rescheduleSpec,
      details:
        'Exit 1 when the new time cannot be booked, with the reason and the nearest free times. With --json: one object.',
      examples: ['receptionist appointments reschedule K7MHQPXY4 --at "2026-12-09 11:30"'],
      load: load('reschedule'),
    },
    {
      name: 'cancel',
      summary: 'Cancel an appointment; the slot is free at once',
      ...cancelSpec,
      details: 'Exit 1 when it is not a confirmed appointment (unknown, already cancelled). With --json: one object.',
      examples: ['receptionist appointments cancel K7MHQPXY4 --reason "patient called"'],
      load: load('cancel'),
    },
  ],
});
