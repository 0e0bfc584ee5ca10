import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export const phoneNumbersCommand = (deps: Deps) => {
  const cmd = new Command('phone-numbers').description(
    'The phone numbers of the Vapi account, and what each one points at',
  );
  cmd.addCommand(
    new Command('list')
      .description('List id, number, provider and what an inbound call reaches (table, or --json)')
      .option('--vapi-key <key>', 'Vapi private API key (or $VAPI_API_KEY)')
      .addHelpText(
        'after',
        "\nPoint one at `serve` with `receptionist sync --phone-number <E.164 or id>`.\n\nExamples:\n  receptionist phone-numbers list\n  receptionist phone-numbers list --json | jq -r '.[].number'",
      )
      .action(async (flags: { vapiKey?: string }, c: Command) => {
        const { runPhoneNumbersList, renderPhoneNumbers } = await import('./phone-numbers.js');
        const g = globalsOf(c, deps);
        renderPhoneNumbers(await runPhoneNumbersList(flags, deps), g, deps.io);
      }),
  );
  return cmd;
};
