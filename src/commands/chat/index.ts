import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface ChatFlags {
  message?: string;
  previousChatId?: string;
  assistant?: string;
  vapiKey?: string;
}

export const chatCommand = (deps: Deps) =>
  new Command('chat')
    .description("A text conversation with the assistant through Vapi's chat API (recorded, sealed)")
    .option('-m, --message <text>', 'send one message and print the reply (for scripts)')
    .option('--previous-chat-id <id>', 'continue an earlier conversation')
    .option('--assistant <id>', 'assistant id (or $RECEPTIONIST_ASSISTANT_ID; default: the synced one)')
    .option('--vapi-key <key>', 'Vapi private API key (or $VAPI_API_KEY)')
    .addHelpText(
      'after',
      '\nOn a terminal without --message, it asks for each message; an empty line or Ctrl-C ends it.\n\nExamples:\n  receptionist chat\n  receptionist chat -m "I need a cardiologist next week" --json\n  receptionist chat -m "Tuesday at 11 please" --previous-chat-id <id>',
    )
    .action(async (flags: ChatFlags, cmd: Command) => {
      const { runChat } = await import('./chat.js');
      await runChat(flags, globalsOf(cmd, deps), deps);
    });
