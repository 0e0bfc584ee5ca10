import { Argument, Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export const optionsCommand = (deps: Deps) =>
  new Command('options')
    .description('List the voice, transcriber and model options that Vapi accepts')
    .addArgument(new Argument('<kind>', 'which options').choices(['voices', 'transcribers', 'models']))
    .option('--provider <name>', 'one provider, with every value listed')
    .addHelpText(
      'after',
      '\nExamples:\n  receptionist options voices\n  receptionist options voices --provider 11labs\n  receptionist options models --provider openai --json',
    )
    .action(async (kind: 'voices' | 'transcribers' | 'models', flags: { provider?: string }, cmd: Command) => {
      const { runOptions, renderOptions } = await import('./options.js');
      const g = globalsOf(cmd, deps);
      renderOptions(runOptions(kind, flags.provider), kind, g, deps.io);
    });
