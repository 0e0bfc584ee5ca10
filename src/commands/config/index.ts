import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { examples } from '../shared/help.js';
import { globalsOf } from '../shared/globals.js';
import { CONFIG_KEYS } from '../../domain/config-keys.js';

export const configCommand = (deps: Deps) => {
  const config = new Command('config').description(
    'Show and change the stored bot config (nothing reaches Vapi until `sync`)',
  );
  const run =
    (name: string) =>
    async (...args: unknown[]) => {
      const cmd = args[args.length - 1] as Command;
      const mod = await import('./config.js');
      const g = globalsOf(cmd, deps);
      await (
        mod as unknown as Record<string, (a: unknown[], g: ReturnType<typeof globalsOf>, d: Deps) => Promise<void>>
      )[name]!(args.slice(0, -1), g, deps);
    };
  config.addCommand(
    new Command('show')
      .description('Print the bot config')
      .addHelpText(
        'after',
        examples('receptionist config show', 'receptionist config show --json | jq .assistant.voice'),
      )
      .action(run('show')),
  );
  config.addCommand(
    new Command('set')
      .description('Set one or more keys: config set <key> <value> [<key> <value> …]')
      .argument('<pairs...>', 'key value pairs, e.g. voice.provider 11labs voice.voiceId burt')
      .option(
        '--force',
        'apply a change that would stop call logging or tool answers, or replace most of the system prompt',
      )
      .addHelpText(
        'after',
        () =>
          `\nKeys:\n${Object.entries(CONFIG_KEYS)
            .map(([k, d]) => `  ${k.padEnd(26)}${d}`)
            .join(
              '\n',
            )}\n\nA value @file.txt is the text of that file (@@x for a literal @x).\n\nExamples:\n  receptionist config set systemPrompt @prompt.txt\n  receptionist config set voice.voiceId Kylie\n  receptionist config set voice.provider 11labs voice.voiceId burt\n  receptionist config set firstMessage "Hello! Clinic or AC support?"`,
      )
      .action(run('set')),
  );
  config.addCommand(
    new Command('edit')
      .description('Pick a voice, transcriber or model interactively')
      .addHelpText('after', examples('receptionist config edit'))
      .action(run('edit')),
  );
  config.addCommand(
    new Command('export')
      .description('Write the config as JSON (to a file, or stdout)')
      .argument('[file]')
      .addHelpText(
        'after',
        examples('receptionist config export receptionist.config.json', 'receptionist config export | jq .clinic'),
      )
      .action(run('exportConfig')),
  );
  config.addCommand(
    new Command('import')
      .description('Replace the config with a JSON file written by `config export`')
      .argument('<file>')
      .addHelpText('after', examples('receptionist config import receptionist.config.json'))
      .action(run('importConfig')),
  );
  return config;
};
