import { Command, Option } from 'commander';
import type { Deps } from '../../deps.js';
import { examples } from '../shared/help.js';
import { globalsOf } from '../shared/globals.js';

export interface UsersFlags {
  role?: string;
  username?: string;
  passwordStdin?: boolean;
}

const auth = (c: Command) =>
  c
    .option('--username <name>', 'the acting admin (or $RECEPTIONIST_USERNAME; prompted on a terminal)')
    .option('--password-stdin', "read passwords from stdin, one per line: the acting admin's first, then the new one");

export const usersCommand = (deps: Deps) => {
  const users = new Command('users').description('Manage the admins who can decrypt sealed data');
  users.addCommand(
    auth(new Command('add'))
      .description('Add an admin (the first one also creates the encryption keys)')
      .argument('<username>')
      .addOption(new Option('--role <role>', 'role of the new user').choices(['admin']).default('admin'))
      .addHelpText(
        'after',
        '\nExamples:\n  receptionist users add asha --role admin\n  printf "%s\\n" "$NEW_PASSWORD" | receptionist users add asha --password-stdin\n  printf "%s\\n%s\\n" "$MY_PASSWORD" "$NEW_PASSWORD" | receptionist users add ravi --username asha --password-stdin',
      )
      .action(async (username: string, flags: UsersFlags, cmd: Command) => {
        const { runUsersAdd, render } = await import('./users.js');
        render(await runUsersAdd(username, flags, globalsOf(cmd, deps), deps), globalsOf(cmd, deps), deps.io);
      }),
  );
  users.addCommand(
    new Command('list')
      .description('List the admins')
      .addHelpText('after', examples('receptionist users list', 'receptionist users list --json'))
      .action(async (_f: unknown, cmd: Command) => {
        const { runUsersList, renderList } = await import('./users.js');
        renderList(await runUsersList(globalsOf(cmd, deps), deps), globalsOf(cmd, deps), deps.io);
      }),
  );
  users.addCommand(
    auth(new Command('passwd'))
      .description("Change an admin's password (re-wraps their key; nothing is re-encrypted)")
      .argument('[username]', 'whose password (default: --username)')
      .addHelpText(
        'after',
        examples('receptionist users passwd asha', 'receptionist users passwd ravi --username asha'),
      )
      .action(async (username: string | undefined, flags: UsersFlags, cmd: Command) => {
        const { runUsersPasswd, render } = await import('./users.js');
        render(await runUsersPasswd(username, flags, globalsOf(cmd, deps), deps), globalsOf(cmd, deps), deps.io);
      }),
  );
  users.addCommand(
    auth(new Command('remove'))
      .description('Remove an admin (the last one cannot be removed)')
      .argument('<username>')
      .addHelpText('after', examples('receptionist users remove ravi --username asha'))
      .action(async (username: string, flags: UsersFlags, cmd: Command) => {
        const { runUsersRemove, render } = await import('./users.js');
        render(await runUsersRemove(username, flags, globalsOf(cmd, deps), deps), globalsOf(cmd, deps), deps.io);
      }),
  );
  return users;
};
