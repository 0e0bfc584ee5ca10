import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { limitOption } from '../shared/flags.js';

/** A run module's export, loaded on use (the type import costs nothing at run time). */
const load =
  <K extends keyof typeof import('./outbox.js')>(name: K) =>
  () =>
    import('./outbox.js').then((m) => m[name]);

export const listSpec = spec({
  options: [
    new Option('--status <status>', 'only pending, delivered, dead or cancelled (reminders)').choices([
      'pending',
      'delivered',
      'dead',
      'cancelled',
    ]),
    limitOption('notifications'),
  ],
});
export type ListFlags = FlagsOf<typeof listSpec>;

export const retrySpec = spec({
  arguments: [new Argument('[id]', 'one notification (msg_…); default: every dead one')],
});
export type RetryFlags = FlagsOf<typeof retrySpec>;

export const purgeSpec = spec({
  options: [
    new Option('--older-than <days>', 'delivered ones older than this many days').default('30'),
    new Option('--dead', 'remove the dead-lettered ones too (their sealed contact details go with them)'),
  ],
});
export type PurgeFlags = FlagsOf<typeof purgeSpec>;

export const outboxCommand = defineCommand({
  name: 'outbox',
  summary: 'Notifications waiting, delivered or dead-lettered: list, retry, purge',
  subcommands: [
    {
      name: 'list',
      summary: 'Notifications, newest first, with each channel’s state (no patient data)',
      ...listSpec,
      details:
        'With --json: one array of {id, event, subject, status, attempts, createdAt, dueAt, deliveries, lastError}.',
      examples: ['receptionist outbox list --status dead', 'receptionist outbox list --json --limit 20'],
      load: load('list'),
    },
    {
      name: 'retry',
      summary: 'Send dead-lettered notifications again (one by id, or all of them)',
      ...retrySpec,
      details: 'Channels that had it are not sent it again. With --json: one object {retried}.',
      examples: ['receptionist outbox retry', 'receptionist outbox retry msg_Ab12…'],
      load: load('retry'),
    },
    {
      name: 'purge',
      summary: 'Remove delivered and cancelled notifications older than a time, and with --dead the dead ones',
      ...purgeSpec,
      details: 'With --json: one object {purged}.',
      examples: ['receptionist outbox purge --older-than 7 --dead'],
      load: load('purge'),
    },
  ],
});
