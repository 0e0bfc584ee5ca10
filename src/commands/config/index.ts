import { Argument, Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { CONFIG_KEYS } from '../../domain/config-keys.js';

export const setSpec = spec({
  arguments: [new Argument('<pairs...>', 'key value pairs, e.g. voice.provider 11labs voice.voiceId burt')],
  options: [
    new Option(
      '--force',
      'apply a change that would stop call logging or tool answers, or replace most of the system prompt',
    ),
  ],
});
export type SetFlags = FlagsOf<typeof setSpec>;

export const editSpec = spec({
  options: [
    new Option('--editor', 'open the config (as `config export` writes it) in $VISUAL or $EDITOR; saved when valid'),
  ],
});
export type EditFlags = FlagsOf<typeof editSpec>;

export const exportConfigSpec = spec({
  arguments: [new Argument('[file]')],
});
export type ExportConfigFlags = FlagsOf<typeof exportConfigSpec>;

export const importConfigSpec = spec({
  arguments: [new Argument('<file>')],
});
export type ImportConfigFlags = FlagsOf<typeof importConfigSpec>;

export const configCommand = defineCommand({
  name: 'config',
  summary: 'Show and change the stored bot config (nothing reaches Vapi until `sync`)',
  subcommands: [
    {
      name: 'show',
      summary: 'Print the bot config',
      details: 'With --json: one object {clinic, assistant, tools}, as `config export` writes it.',
      examples: ['receptionist config show', 'receptionist config show --json | jq .assistant.voice'],
      load: () => import('./config.js').then((m) => m.show),
    },
    {
      name: 'set',
      summary: 'Set one or more keys: config set <key> <value> [<key> <value> …]',
      ...setSpec,
      details: () =>
        `Keys:\n${Object.entries(CONFIG_KEYS)
          .map(([k, d]) => `  ${k.padEnd(26)}${d}`)
          .join(
            '\n',
          )}\n\nA value @file.txt is the text of that file (@@x for a literal @x).\nWith --json: one object {changes: [{key, from, to}]}.`,
      examples: [
        'receptionist config set systemPrompt @prompt.txt',
        'receptionist config set voice.voiceId Kylie',
        'receptionist config set voice.provider 11labs voice.voiceId burt',
        'receptionist config set firstMessage "Hello! Clinic or AC support?"',
      ],
      load: () => import('./config.js').then((m) => m.set),
    },
    {
      name: 'edit',
      summary: 'Pick a voice, transcriber or model interactively, or edit the whole config in $EDITOR',
      ...editSpec,
      details: 'With --json: one object {changes: [{key, from, to}]}.',
      examples: ['receptionist config edit', 'EDITOR="code --wait" receptionist config edit --editor'],
      load: () => import('./config.js').then((m) => m.edit),
    },
    {
      name: 'export',
      summary: 'Write the config as JSON (to a file, or stdout)',
      ...exportConfigSpec,
      details: 'The file (or stdout) is JSON already: {clinic, assistant, tools}; with --json it is the same.',
      examples: ['receptionist config export receptionist.config.json', 'receptionist config export | jq .clinic'],
      load: () => import('./config.js').then((m) => m.exportConfig),
    },
    {
      name: 'import',
      summary: 'Replace the config with a JSON file written by `config export`',
      ...importConfigSpec,
      details: 'With --json: one object {imported: <file>}.',
      examples: ['receptionist config import receptionist.config.json'],
      load: () => import('./config.js').then((m) => m.importConfig),
    },
  ],
});
