import { Argument, Command } from 'commander';
import type { Deps } from '../../deps.js';

export const completionCommand = (deps: Deps) =>
  new Command('completion')
    .description('Print a shell completion script for bash, zsh or fish')
    .addArgument(new Argument('<shell>', 'the shell').choices(['bash', 'zsh', 'fish']))
    .addHelpText(
      'after',
      `
Examples:
  receptionist completion bash > /etc/bash_completion.d/receptionist
  echo 'source <(receptionist completion zsh)' >> ~/.zshrc
  receptionist completion fish > ~/.config/fish/completions/receptionist.fish`,
    )
    .action(async (shell: 'bash' | 'zsh' | 'fish', _flags: unknown, cmd: Command) => {
      const { completionScript, commandTree } = await import('./completion.js');
      deps.io.write(completionScript(shell, commandTree(cmd.parent!)));
    });
