import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { vapiKeyOption } from '../shared/flags.js';

export const listSpec = spec({
  options: [vapiKeyOption()],
});
export type ListFlags = FlagsOf<typeof listSpec>;

export const phoneNumbersCommand = defineCommand({
  name: 'phone-numbers',
  summary: 'The phone numbers of the Vapi account, and what each one points at',
  subcommands: [
    {
      name: 'list',
      summary: 'List id, number, provider, what an inbound call reaches and where it can call (table, or --json)',
      ...listSpec,
      details:
        'Point one at `serve` with `receptionist sync --phone-number <E.164 or id>`. A free Vapi number\n(provider vapi) calls US numbers only; reminder calls and `receptionist call` elsewhere need an\nimported Twilio, Vonage or Telnyx number or a SIP trunk.\nWith --json: one array of {id, number, provider, name, pointsAt, serverUrl, credentialId, callsOut: "US"|"any"}.',
      examples: ['receptionist phone-numbers list', "receptionist phone-numbers list --json | jq -r '.[].number'"],
      load: () => import('./phone-numbers.js').then((m) => m.list),
    },
  ],
});
