import { Argument, Option } from 'commander';
import { defineCommand } from '../shared/command.js';

const load = (name: string) => () => import('./notify.js').then((m) => m[name as keyof typeof m] as never);

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
          arguments: [new Argument('<url>', 'https URL that receives the POSTs')],
          options: [
            new Option(
              '--events <list>',
              'comma-separated: appointment.booked, appointment.rescheduled, appointment.cancelled, appointment.reminder, ac_visit.scheduled (default: all)',
            ),
            new Option('--description <text>', 'what it is, for `notify webhooks list`'),
          ],
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
          arguments: [new Argument('<id>', 'its id (we_…)')],
          details: 'With --json: one object {action, id}.',
          examples: ['receptionist notify webhooks remove we_Ab12Cd34Ef56Gh78'],
          load: load('remove'),
        },
      ],
    },
  ],
});
