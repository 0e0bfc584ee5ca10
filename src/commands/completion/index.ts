import { Argument } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';

export const completionSpec = spec({
  arguments: [new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish'])],
});
export type CompletionFlags = FlagsOf<typeof completionSpec>;

export const completionCommand = defineCommand({
  name: 'completion',
  summary: 'Print a shell completion script for bash, zsh or fish',
  ...completionSpec,
  details: 'Prints a shell script; with --json the script is the same (it is not data).',
  examples: [
    'receptionist completion bash > /etc/bash_completion.d/receptionist',
    "echo 'source <(receptionist completion zsh)' >> ~/.zshrc",
    'receptionist completion fish > ~/.config/fish/completions/receptionist.fish',
  ],
  load: () => import('./completion.js').then((m) => m.completion),
});
