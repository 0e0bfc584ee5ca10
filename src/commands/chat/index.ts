import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { adminOptions, assistantOption, limitOption, vapiKeyOption } from '../shared/flags.js';

export const chatSpec = spec({
  options: [
    new Option('-m, --message <text>', 'send one message and print the reply (for scripts)'),
    new Option('--previous-chat-id <id>', 'continue an earlier conversation'),
    assistantOption(),
    vapiKeyOption(),
  ],
});
export type ChatFlags = FlagsOf<typeof chatSpec>;

export const logSpec = spec({
  options: [
    new Option('--decrypt', 'show what was written and answered, after username and password prompts; audited'),
    adminOptions({ who: 'admin for --decrypt' }),
    new Option('--chat <id>', 'one conversation: this turn and the turns it continued'),
    limitOption('turns (the newest)'),
  ],
});
export type LogFlags = FlagsOf<typeof logSpec>;

export const chatCommand = defineCommand({
  name: 'chat',
  summary: "A text conversation with the assistant through Vapi's chat API (recorded, sealed)",
  ...chatSpec,
  details: `On a terminal without --message, it asks for each message; an empty line or Ctrl-C ends it.
Each turn is recorded, sealed; \`receptionist chat log --decrypt\` reads them back.
With --json: one object {chatId, previousChatId, reply} per turn (NDJSON).`,
  examples: [
    'receptionist chat',
    'receptionist chat -m "I need a cardiologist next week" --json',
    'receptionist chat -m "Tuesday at 11 please" --previous-chat-id <id>',
  ],
  load: () => import('./chat.js').then((m) => m.chat),
  subcommands: [
    {
      name: 'log',
      summary: 'The recorded chat turns, oldest first (sealed unless --decrypt)',
      ...logSpec,
      details:
        "Times are in the clinic's zone. With --json: one array of {chatId, previousChatId, assistantId, at, input, output}.",
      examples: [
        'receptionist chat log',
        'receptionist chat log --decrypt --username asha --limit 20',
        'receptionist chat log --decrypt --chat <id> --json',
      ],
      load: () => import('./chat.js').then((m) => m.log),
    },
  ],
});
