import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { adminOptions } from '../shared/flags.js';

const acting = () =>
  adminOptions({
    stdin: "read passwords from stdin, one per line: the acting admin's first, then the new one",
  });

export const addSpec = spec({
  arguments: [new Argument('<user>', 'username')],
  options: [
    new Option('--role <role>', 'admin: reads everything; receptionist: names, times and doctors only')
      .choices(['admin', 'receptionist'])
      .default('admin'),
    acting(),
  ],
});
export type AddFlags = FlagsOf<typeof addSpec>;

export const passwdSpec = spec({
  arguments: [new Argument('[user]', 'whose password (default: yours)')],
  options: [acting()],
});
export type PasswdFlags = FlagsOf<typeof passwdSpec>;

export const removeSpec = spec({
  arguments: [new Argument('<user>', 'username')],
  options: [acting()],
});
export type RemoveFlags = FlagsOf<typeof removeSpec>;

export const usersCommand = defineCommand({
  name: 'users',
  summary: 'Manage who can decrypt sealed data: admins (everything) and receptionists (names only)',
  subcommands: [
    {
      name: 'add',
      summary: 'Add an admin or a receptionist (the first user is an admin and creates the encryption keys)',
      ...addSpec,
      details:
        'A receptionist’s password opens patients’ names (with the times and doctors, which are not sealed) and\nnothing else: never a phone, email, reason, summary or transcript.\nWith --json: one object {action, username, role, by, keyId, blindIndexKeyFile, sealed}.',
      examples: [
        'receptionist users add asha --role admin',
        'receptionist users add meena --role receptionist --username asha',
        'printf "%s\\n" "$NEW_PASSWORD" | receptionist users add asha --password-stdin',
        'printf "%s\\n%s\\n" "$MY_PASSWORD" "$NEW_PASSWORD" | receptionist users add ravi --username asha --password-stdin',
      ],
      load: () => import('./users.js').then((m) => m.add),
    },
    {
      name: 'list',
      summary: 'List the admins',
      details: 'With --json: one array of {username, role, createdAt, passwordChangedAt}.',
      examples: ['receptionist users list', 'receptionist users list --json'],
      load: () => import('./users.js').then((m) => m.list),
    },
    {
      name: 'passwd',
      summary: "Change an admin's password: your own, or another admin's as the acting admin (nothing is re-encrypted)",
      ...passwdSpec,
      details: 'With --json: one object {action, username, by, keyId, blindIndexKeyFile, sealed}.',
      examples: ['receptionist users passwd asha', 'receptionist users passwd ravi --username asha'],
      load: () => import('./users.js').then((m) => m.passwd),
    },
    {
      name: 'remove',
      summary: 'Remove an admin (the last one cannot be removed)',
      ...removeSpec,
      details: 'With --json: one object {action, username, by, keyId, blindIndexKeyFile, sealed}.',
      examples: ['receptionist users remove ravi --username asha'],
      load: () => import('./users.js').then((m) => m.remove),
    },
  ],
});
