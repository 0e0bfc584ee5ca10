import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';

/** A run module's export, loaded on use (the type import costs nothing at run time). */
const load =
  <K extends keyof typeof import('./notify.js')>(name: K) =>
  () =>
    import('./notify.js').then((m) => m[name]);

export const addSpec = spec({
  arguments: [new Argument('<url>', 'https URL that receives the POSTs')],
  options: [
    new Option(
      '--events <list>',
      'comma-separated: appointment.booked, appointment.rescheduled, appointment.cancelled, appointment.reminder, ac_visit.scheduled (default: all)',
    ),
    new Option('--description <text>', 'what it is, for `notify webhooks list`'),
  ],
});
export type AddFlags = FlagsOf<typeof addSpec>;

export const removeSpec = spec({
  arguments: [new Argument('<id>', 'its id (we_…)')],
});
export type RemoveFlags = FlagsOf<typeof removeSpec>;

export const notifyCommand = defineCommand({
  name: 'notify',
  summary: 'Where notifications go: outgoing webhooks (make.com, Zapier, n8n), signed per Standard Webhooks',
  subcommands: [
    {
      name: 'webhooks',
      summary: 'Outgoing webhooks',
      subcommands: [
        {
          name: 'add',
          summary: 'Send notifications to a URL; prints its signing secret once',
          ...addSpec,
          details:
            'Each delivery is a POST of {type, timestamp, data} (JSON Schema: schemas/notification.schema.json) with\nwebhook-id, webhook-timestamp and webhook-signature headers (Standard Webhooks; verify with the\n`standardwebhooks` library and the whsec_ secret). webhook-id is the same on every retry: deduplicate by it.\nA non-2xx answer is retried with backoff for 24 h. With --json: one object {id, url, events, secret}.',
          examples: [
            'receptionist notify webhooks add https://hook.eu1.make.com/abc123 --events appointment.booked,appointment.cancelled',
          ],
          load: load('add'),
        },
        {
          name: 'list',
          summary: 'List the webhooks (never their secrets)',
          details: 'With --json: one array of {id, url, events, description, createdAt}.',
          examples: ['receptionist notify webhooks list'],
          load: load('list'),
        },
        {
          name: 'remove',
          summary: 'Stop sending to a webhook',
          ...removeSpec,
          details: 'With --json: one object {action, id}.',
          examples: ['receptionist notify webhooks remove we_Ab12Cd34Ef56Gh78'],
          load: load('remove'),
        },
      ],
    },
  ],
});
