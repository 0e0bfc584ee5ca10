import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';

export const optionsSpec = spec({
  arguments: [new Argument('<kind>', 'which options').choices(['voices', 'transcribers', 'models'])],
  options: [new Option('--provider <name>', 'one provider, with every value listed')],
});
export type OptionsFlags = FlagsOf<typeof optionsSpec>;

export const optionsCommand = defineCommand({
  name: 'options',
  summary: 'List the voice, transcriber and model options that Vapi accepts',
  ...optionsSpec,
  details: 'With --json: one array of providers.',
  examples: [
    'receptionist options voices',
    'receptionist options voices --provider 11labs',
    'receptionist options models --provider openai --json',
  ],
  load: () => import('./options.js').then((m) => m.options),
});
