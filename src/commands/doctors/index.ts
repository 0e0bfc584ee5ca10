import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';

const doctorArg = () => new Argument('<doctor>', 'the doctor: id (dr-rao) or name (Rao, "Dr. Priya Rao")');
const daysArg = () =>
  new Argument('<days>', 'a day or an inclusive range in the clinic zone: 2026-12-24 or 2026-12-24..2026-12-26');
const hoursOption = () =>
  new Option(
    '--hours <hours>',
    'weekly hours, e.g. "mon-fri 09:00-13:00,14:00-17:00; sat 10:00-12:00" (24-hour, clinic zone)',
  );
const slotOption = () =>
  new Option(
    '--slot-minutes <n>',
    "length of this doctor's appointments in minutes (default: the clinic's slotMinutes)",
  );
/** A run module's export, loaded on use (the type imports cost nothing at run time). */
const load =
  <K extends keyof typeof import('./doctors.js')>(name: K) =>
  () =>
    import('./doctors.js').then((m) => m[name]);
const loadLeave =
  <K extends keyof typeof import('./leave.js')>(name: K) =>
  () =>
    import('./leave.js').then((m) => m[name]);
const loadHolidays =
  <K extends keyof typeof import('./holidays.js')>(name: K) =>
  () =>
    import('./holidays.js').then((m) => m[name]);

export const showSpec = spec({
  arguments: [doctorArg()],
});
export type ShowFlags = FlagsOf<typeof showSpec>;

export const addSpec = spec({
  options: [
    new Option('--name <name>', 'full name as callers hear it, e.g. "Dr. Meera Iyer"').makeOptionMandatory(),
    new Option('--specialty <specialty>', 'e.g. dermatology').makeOptionMandatory(),
    hoursOption().makeOptionMandatory(),
    slotOption(),
    new Option('--id <id>', 'the id to give (default: from the name, e.g. dr-iyer)'),
  ],
});
export type AddFlags = FlagsOf<typeof addSpec>;

export const updateSpec = spec({
  arguments: [doctorArg()],
  options: [
    new Option('--name <name>', 'new name'),
    new Option('--specialty <specialty>', 'new specialty'),
    hoursOption(),
    slotOption(),
  ],
});
export type UpdateFlags = FlagsOf<typeof updateSpec>;

export const removeSpec = spec({
  arguments: [doctorArg()],
  options: [
    new Option('--reassign <doctor>', 'move every coming appointment to this doctor, same times (all or none)'),
    new Option('--cancel', 'cancel every coming appointment (the patients are notified)'),
    new Option('--reason <text>', 'the cancellation reason the patients are given').default(
      'the doctor no longer sees patients at the clinic',
    ),
  ],
});
export type RemoveFlags = FlagsOf<typeof removeSpec>;

export const feedUrlSpec = spec({
  arguments: [doctorArg()],
  options: [
    new Option('--rotate', 'make a new URL; the old one stops working at once'),
    new Option(
      '--public-url <url>',
      "serve's public base URL (default: $RECEPTIONIST_PUBLIC_URL, else the one sync used)",
    ),
  ],
});
export type FeedUrlFlags = FlagsOf<typeof feedUrlSpec>;

export const leaveAddSpec = spec({
  arguments: [doctorArg(), daysArg()],
  options: [new Option('--note <text>', 'a note for the front desk (not told to callers)')],
});
export type LeaveAddFlags = FlagsOf<typeof leaveAddSpec>;

export const leaveRemoveSpec = spec({
  arguments: [doctorArg(), new Argument('<from>', 'the first day of the leave, e.g. 2026-12-24')],
});
export type LeaveRemoveFlags = FlagsOf<typeof leaveRemoveSpec>;

export const holidaysAddSpec = spec({
  arguments: [daysArg()],
  options: [new Option('--name <name>', 'what callers hear, e.g. Christmas').makeOptionMandatory()],
});
export type HolidaysAddFlags = FlagsOf<typeof holidaysAddSpec>;

export const holidaysRemoveSpec = spec({
  arguments: [new Argument('<from>', 'its first day')],
});
export type HolidaysRemoveFlags = FlagsOf<typeof holidaysRemoveSpec>;

export const doctorsCommand = defineCommand({
  name: 'doctors',
  summary: "Manage the clinic's doctors: hours, slot length, leave and clinic holidays",
  subcommands: [
    {
      name: 'list',
      summary: 'List the doctors with their hours and coming leave',
      details: 'With --json: one array of doctors {_id, name, specialty, weeklyHours, slotMinutes, leave}.',
      examples: ['receptionist doctors list', 'receptionist doctors list --json | jq ".[].name"'],
      load: load('list'),
    },
    {
      name: 'show',
      summary: 'One doctor: hours, slot length, leave, and how many appointments they have coming',
      ...showSpec,
      details: 'With --json: one object {doctor, upcoming}.',
      examples: ['receptionist doctors show rao'],
      load: load('show'),
    },
    {
      name: 'add',
      summary: 'Add a doctor (the voice tools offer them at once, also while serve runs)',
      ...addSpec,
      details: 'With --json: one object {action, doctor}.',
      examples: [
        'receptionist doctors add --name "Dr. Meera Iyer" --specialty dermatology --hours "mon,wed,fri 10:00-13:00"',
        'receptionist doctors add --name "Dr. Sen" --specialty pediatrics --hours "mon-sat 09:00-12:00" --slot-minutes 15',
      ],
      load: load('add'),
    },
    {
      name: 'update',
      summary: "Change a doctor's name, specialty, hours or slot length",
      ...updateSpec,
      details:
        "--hours replaces the whole week. Appointments already booked outside the new hours are kept and listed\nin a warning (move or cancel them with `receptionist appointments`). `--slot-minutes clinic` goes back to\nthe clinic's slot length. With --json: one object {action, doctor, outsideHours}.",
      examples: [
        'receptionist doctors update rao --hours "mon,wed 10:00-13:00; fri 15:00-18:00"',
        'receptionist doctors update dr-mehta --slot-minutes 20',
      ],
      load: load('update'),
    },
    {
      name: 'remove',
      summary: 'Remove a doctor; one with appointments coming needs --reassign or --cancel',
      ...removeSpec,
      details:
        'Refused (exit 1) while the doctor has appointments coming, unless --reassign or --cancel. --reassign\nrefuses, changing nothing, when the other doctor cannot take every one of them (not working then, or\nbooked); the refusal lists them. Past appointments keep the name. With --json: one object\n{action, doctor, reassigned, cancelled}.',
      examples: ['receptionist doctors remove mehta --reassign rao', 'receptionist doctors remove dr-sen --cancel'],
      load: load('remove'),
    },
    {
      name: 'feed-url',
      summary: "The URL of a doctor's calendar feed, to subscribe to in Google Calendar, Outlook or Apple Calendar",
      ...feedUrlSpec,
      details:
        "serve answers it at /calendars/<doctor>/<token>.ics (no other credential: keep the URL private). It shows\nthe doctor's appointments from 30 days ago to the booking horizon with the patient's name, never contact\ndetails or the reason. Needs RECEPTIONIST_BLIND_INDEX_KEY (the token is derived from it). With --json: one\nobject {doctor, url, rotated}.",
      examples: ['receptionist doctors feed-url rao', 'receptionist doctors feed-url rao --rotate'],
      load: load('feedUrl'),
    },
    {
      name: 'leave',
      summary: "A doctor's leave: days they see no patients",
      subcommands: [
        {
          name: 'add',
          summary: 'Add leave (the tools stop offering those days at once)',
          ...leaveAddSpec,
          details:
            'Appointments already booked on those days are kept and listed in a warning. With --json: one object\n{action, doctor, leave, booked}.',
          examples: [
            'receptionist doctors leave add rao 2026-12-24..2026-12-26',
            'receptionist doctors leave add mehta 2027-01-04 --note "conference"',
          ],
          load: loadLeave('leaveAdd'),
        },
        {
          name: 'remove',
          summary: 'Remove the leave that starts on a day',
          ...leaveRemoveSpec,
          details: 'With --json: one object {action, doctor, leave}.',
          examples: ['receptionist doctors leave remove rao 2026-12-24'],
          load: loadLeave('leaveRemove'),
        },
      ],
    },
    {
      name: 'holidays',
      summary: 'Clinic holidays: days no doctor sees patients',
      subcommands: [
        {
          name: 'list',
          summary: 'List the clinic holidays',
          details: 'With --json: one array of {from, to, name}.',
          examples: ['receptionist doctors holidays list'],
          load: loadHolidays('holidaysList'),
        },
        {
          name: 'add',
          summary: 'Add a holiday (callers hear the clinic is closed then)',
          ...holidaysAddSpec,
          details:
            'Appointments already booked then are kept and listed in a warning. With --json: one object {action, holiday, booked}.',
          examples: ['receptionist doctors holidays add 2026-12-25 --name Christmas'],
          load: loadHolidays('holidaysAdd'),
        },
        {
          name: 'remove',
          summary: 'Remove the holiday that starts on a day',
          ...holidaysRemoveSpec,
          details: 'With --json: one object {action, holiday}.',
          examples: ['receptionist doctors holidays remove 2026-12-25'],
          load: loadHolidays('holidaysRemove'),
        },
      ],
    },
  ],
});
