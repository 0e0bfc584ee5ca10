import { defineCommand } from '../shared/command.js';
import { vapiKeyOption } from '../shared/flags.js';

export const phoneNumbersCommand = defineCommand({
  name: 'phone-numbers',
  summary: 'The phone numbers of the Vapi account, and what each one points at',
  subcommands: [
    {
      name: 'list',
      summary: 'List id, number, provider and what an inbound call reaches (table, or --json)',
      options: [vapiKeyOption()],
      details:
        'Point one at `serve` with `receptionist sync --phone-number <E.164 or id>`.\nWith --json: one array of {id, number, provider, name, pointsAt, serverUrl, credentialId}.',
      examples: ['receptionist phone-numbers list', "receptionist phone-numbers list --json | jq -r '.[].number'"],
      load: () => import('./phone-numbers.js').then((m) => m.list),
    },
  ],
});
