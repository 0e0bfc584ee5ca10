import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { adminOptions } from '../shared/flags.js';

export const initSpec = spec({
  arguments: [new Argument('<user>', 'the first admin')],
  options: [new Option('--password-stdin', 'read the new password from stdin (or set $RECEPTIONIST_NEW_PASSWORD)')],
});
export type InitFlags = FlagsOf<typeof initSpec>;

export const rotateSpec = spec({
  options: [adminOptions()],
});
export type RotateFlags = FlagsOf<typeof rotateSpec>;

export const pinSpec = spec({
  options: [adminOptions()],
});
export type PinFlags = FlagsOf<typeof pinSpec>;

export const reindexSpec = spec({
  options: [adminOptions()],
});
export type ReindexFlags = FlagsOf<typeof reindexSpec>;

export const keysCommand = defineCommand({
  name: 'keys',
  summary: "Manage the encryption keys that seal patients' data",
  subcommands: [
    {
      name: 'init',
      summary: 'Create the encryption keys and the first admin (same as the first `users add`)',
      ...initSpec,
      details: 'With --json: one object {action, username, keyId, blindIndexKeyFile, sealed}.',
      examples: [
        'receptionist keys init asha',
        'printf "%s\\n" "$NEW_PASSWORD" | receptionist keys init asha --password-stdin',
      ],
      load: () => import('./keys.js').then((m) => m.init),
    },
    {
      name: 'rotate',
      summary: 'Create a new key for new records; old records stay readable with the retired key',
      ...rotateSpec,
      details: 'With --json: one object {keyId, retired, by}.',
      examples: [
        'receptionist keys rotate --username asha',
        'printf "%s\\n" "$PASSWORD" | receptionist keys rotate --username asha --password-stdin',
      ],
      load: () => import('./keys.js').then((m) => m.rotate),
    },
    {
      name: 'pin',
      summary: "Pin the store's active key in .env, after checking it against your keyring; serve seals only to it",
      ...pinSpec,
      details:
        "Writes RECEPTIONIST_SEALING_KEY_PIN (key id and SHA-256 of its public key) to .env. serve refuses to start\nwithout it, or when the store's active key differs (a key put there by someone else). The first\n`users add` and `keys rotate` write it too. With --json: one object {by, keyId, pin, file}.",
      examples: ['receptionist keys pin --username asha'],
      load: () => import('./keys.js').then((m) => m.pin),
    },
    {
      name: 'reindex',
      summary:
        'Rebuild the blind indexes (numbers, names), with a new RECEPTIONIST_BLIND_INDEX_KEY if the old one is lost',
      ...reindexSpec,
      details:
        'Decrypts every sealed phone number (as an admin) and indexes it under the key in the environment;\nwithout one, a new key is written to .env. Stop `serve` first; restart it with the new key.\nPlaintext left by an older version (names, say) is sealed in place on the way.\nWith --json: one object {by, blindIndexKeyFile, callLogs, appointments, customers, sealed}.',
      examples: ['receptionist keys reindex --username asha'],
      load: () => import('./keys.js').then((m) => m.reindex),
    },
  ],
});
