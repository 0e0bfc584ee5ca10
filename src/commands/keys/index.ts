import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { examples } from '../shared/help.js';
import { globalsOf } from '../shared/globals.js';

export interface KeysFlags {
  username?: string;
  passwordStdin?: boolean;
}

export const keysCommand = (deps: Deps) => {
  const keys = new Command('keys').description("Manage the encryption keys that seal patients' data");
  keys.addCommand(
    new Command('init')
      .description('Create the encryption keys and the first admin (same as the first `users add`)')
      .argument('<username>', 'the first admin')
      .option('--password-stdin', 'read the new password from stdin')
      .addHelpText(
        'after',
        examples(
          'receptionist keys init asha',
          'printf "%s\\n" "$NEW_PASSWORD" | receptionist keys init asha --password-stdin',
        ),
      )
      .action(async (username: string, flags: KeysFlags, cmd: Command) => {
        const { runKeysInit } = await import('./keys.js');
        const { renderUsersResult: render } = await import('../shared/admin.js');
        const g = globalsOf(cmd, deps);
        render(await runKeysInit(username, flags, g, deps), g, deps.io);
      }),
  );
  keys.addCommand(
    new Command('rotate')
      .description('Create a new key for new records; old records stay readable with the retired key')
      .option('--username <name>', 'the acting admin (or $RECEPTIONIST_USERNAME)')
      .option('--password-stdin', 'read the password from stdin')
      .addHelpText(
        'after',
        examples(
          'receptionist keys rotate --username asha',
          'printf "%s\\n" "$PASSWORD" | receptionist keys rotate --username asha --password-stdin',
        ),
      )
      .action(async (flags: KeysFlags, cmd: Command) => {
        const { runKeysRotate, renderRotate } = await import('./keys.js');
        const g = globalsOf(cmd, deps);
        renderRotate(await runKeysRotate(flags, g, deps), g, deps.io);
      }),
  );
  keys.addCommand(
    new Command('reindex')
      .description(
        'Rebuild the phone-number blind index, with a new RECEPTIONIST_BLIND_INDEX_KEY if the old one is lost',
      )
      .option('--username <name>', 'the acting admin (or $RECEPTIONIST_USERNAME)')
      .option('--password-stdin', 'read the password from stdin')
      .addHelpText(
        'after',
        '\nDecrypts every sealed phone number (as an admin) and indexes it under the key in the environment;\nwithout one, a new key is written to .env. Stop `serve` first; restart it with the new key.\n' +
          examples('receptionist keys reindex --username asha'),
      )
      .action(async (flags: KeysFlags, cmd: Command) => {
        const { runKeysReindex, renderReindex } = await import('./keys.js');
        const g = globalsOf(cmd, deps);
        renderReindex(await runKeysReindex(flags, g, deps), g, deps.io);
      }),
  );
  return keys;
};
