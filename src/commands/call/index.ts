import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';
import { collect } from '../shared/options.js';

export interface CallFlags {
  var: string[];
  vars?: string;
  fromCsv?: string;
  concurrency: string;
  assistant?: string;
  phoneNumberId?: string;
  scheduleAt?: string;
  wait?: boolean;
  dryRun?: boolean;
  vapiKey?: string;
}

export const callCommand = (deps: Deps) =>
  new Command('call')
    .description('Place outbound calls with the assistant, with per-call variableValues')
    .argument('[numbers...]', "phone numbers to call (E.164, or national in the clinic's region)")
    .option('--var <key=value>', 'a variable for {{key}} in the prompt and first message (repeatable)', collect, [])
    .option('--vars <file.json>', 'variables from a JSON object')
    .option('--from-csv <file>', 'one call per row: a number (or phone) column, the other columns as variables')
    .option('--concurrency <n>', 'calls placed at once with --from-csv', '4')
    .option('--assistant <id>', 'assistant id (or $RECEPTIONIST_ASSISTANT_ID; default: the synced one)')
    .option(
      '--phone-number-id <id>',
      'Vapi phone number to call from (or $RECEPTIONIST_PHONE_NUMBER_ID; default: the only one)',
    )
    .option('--schedule-at <time>', 'place the call at this ISO time (Vapi schedulePlan.earliestAt)')
    .option('--wait', 'follow each call until it ends, then print status, duration, cost and ended reason')
    .option('--dry-run', 'print the exact request bodies and place nothing')
    .option('--vapi-key <key>', 'Vapi private API key (or $VAPI_API_KEY)')
    .addHelpText(
      'after',
      '\nExamples:\n  receptionist call +919812345678 --var name=Asha --var slot="Tuesday 11 AM"\n  receptionist call "98123 45678" --dry-run\n  receptionist call --from-csv reminders.csv --concurrency 8 --json\n  receptionist call +919812345678 --wait',
    )
    .action(async (numbers: string[], flags: CallFlags, cmd: Command) => {
      const { runCall, renderCallResults } = await import('./call.js');
      const g = globalsOf(cmd, deps);
      renderCallResults(await runCall(numbers, flags, g, deps), flags, g, deps.io);
    });
