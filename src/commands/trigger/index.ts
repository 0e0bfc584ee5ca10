import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { adminOptions } from '../shared/flags.js';
import { collect } from '../shared/options.js';

export const triggerSpec = spec({
  arguments: [new Argument('[event]', 'event name from templates/events (see --list)')],
  options: [
    new Option('--url <url>', 'webhook URL (default http://127.0.0.1:3000/webhook, or $RECEPTIONIST_URL)'),
    new Option(
      '--set <path=value>',
      'override a field, e.g. message.call.id=abc or args.date="tomorrow at 10am" (repeatable)',
    )
      .argParser(collect)
      .default([] as string[]),
    new Option(
      '--var <name=value>',
      'a value for a {{name}} placeholder of the template, e.g. appointmentId="K 7 M H Q P" (repeatable)',
    )
      .argParser(collect)
      .default([] as string[]),
    new Option('--file <payload.json>', 'send this payload instead of a template'),
    new Option('--call-id <id>', 'call id to use (default: a new one per run)'),
    new Option('--customer-number <e164>', 'caller number to use (default +919812345678, a seeded customer)'),
    new Option('--auth <mode>', 'how to authenticate').choices(['hmac', 'secret', 'bearer', 'none']).default('hmac'),
    new Option('--list', 'list the events'),
    new Option(
      '--purge',
      'remove from the store everything trigger\'s made-up calls left (ids "trigger-…"): call logs, statuses, bookings and holds, AC visits, stored replies',
    ),
    new Option('--dry-run', 'with --purge: count what would be removed, remove nothing'),
    new Option(
      '--replay <call-id>',
      'send again, in order, the messages `serve --record` kept for this call (needs an admin password)',
    ),
    adminOptions({
      who: 'the admin opening the recording, for --replay',
      stdin: 'read the admin password from stdin, for --replay',
    }),
  ],
});
export type TriggerFlags = FlagsOf<typeof triggerSpec>;

export const triggerCommand = defineCommand({
  name: 'trigger',
  summary: 'Send a realistic Vapi server message to a running `serve`, signed with the configured secret',
  ...triggerSpec,
  details: `Placeholders in templates: {{callId}} {{toolCallId}} {{timestamp}} {{startedAt}} {{endedAt}}
{{customerNumber}} {{assistantId}} {{appointmentId}} {{date:tue}} (the first Tuesday at least 3 days ahead);
--var sets any of them.
"args.X" in --set is short for the first tool call's function.arguments.X.
With --json: one object {event, url, callId, status, body} per message sent (NDJSON for --replay);
--list --json is one array; --purge --json one object. Without --call-id the calls get ids "trigger-<hex>",
so \`trigger --purge\` can take them out of a real store again (stop \`serve\` first on the embedded store).`,
  examples: [
    'receptionist trigger --list',
    'receptionist trigger tool-calls.book_appointment --set args.date="next Friday at 3pm"',
    'receptionist trigger end-of-call-report --call-id call_123',
    'receptionist trigger --file my-payload.json --auth secret',
    'receptionist trigger --replay call_123 --url http://127.0.0.1:3001/webhook',
    'receptionist trigger --purge --dry-run',
  ],
  load: () => import('./trigger.js').then((m) => m.trigger),
});
