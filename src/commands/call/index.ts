import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { assistantOption, vapiKeyOption } from '../shared/flags.js';
import { collect } from '../shared/options.js';

export const callSpec = spec({
  arguments: [new Argument('[numbers...]', "phone numbers to call (E.164, or national in the clinic's region)")],
  options: [
    new Option('--var <key=value>', 'a variable for {{key}} in the prompt and first message (repeatable)')
      .argParser(collect)
      .default([] as string[]),
    new Option('--vars <file.json>', 'variables from a JSON object'),
    new Option('--from-csv <file>', 'one call per row: a number (or phone) column, the other columns as variables'),
    new Option('--concurrency <n>', 'calls placed at once with --from-csv').default('4'),
    assistantOption(),
    new Option(
      '--phone-number-id <id>',
      'Vapi phone number to call from (or $RECEPTIONIST_PHONE_NUMBER_ID; default: the only one)',
    ),
    new Option(
      '--schedule-at <time>',
      "place the call at this ISO time, read in the clinic's zone without an offset (Vapi schedulePlan.earliestAt)",
    ),
    new Option('--wait', 'follow each call until it ends, then print status, duration, cost and ended reason'),
    new Option('--dry-run', 'print the exact request bodies and place nothing'),
    vapiKeyOption(),
  ],
});
export type CallFlags = FlagsOf<typeof callSpec>;

export const callCommand = defineCommand({
  name: 'call',
  summary: 'Place outbound calls with the assistant, with per-call variableValues',
  ...callSpec,
  details:
    'With --json: one object {target, number, ok, callId, status, endedReason, durationSeconds, cost, error} per call (NDJSON).',
  examples: [
    'receptionist call +919812345678 --var name=Asha --var slot="Tuesday 11 AM"',
    'receptionist call "98123 45678" --dry-run',
    'receptionist call --from-csv reminders.csv --concurrency 8 --json',
    'receptionist call +919812345678 --wait',
  ],
  load: () => import('./call.js').then((m) => m.call),
});
