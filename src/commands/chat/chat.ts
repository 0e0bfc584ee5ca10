import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Deps } from '../../deps.js';
import { CancelledError, NeedsInputError } from '../../errors.js';
import { loadBotConfig } from '../../domain/clinic.js';
import type { FieldSealer } from '../../domain/sealer.js';
import { createVapiClient, resolveVapiSettings, vapiRequest, type VapiSettings } from '../../vapi/client.js';
import type { Store } from '../../store/types.js';
import type { GlobalOptions } from '../shared/globals.js';
import { openStore } from '../shared/store.js';
import { resolveAssistant } from '../shared/vapi.js';
import { writeOnlySealer } from '../shared/sealer.js';
import type { ChatFlags } from './index.js';

export interface ChatTurn {
  chatId: string;
  previousChatId?: string;
  reply: string;
}

/** The assistant's text in a Vapi `Chat` (its `output` messages). */
function replyOf(chat: { output?: Array<{ role?: string; content?: unknown }> }): string {
  return (chat.output ?? [])
    .filter((m) => m.role === 'assistant' && typeof m.content === 'string')
    .map((m) => m.content as string)
    .join('\n');
}

async function turn(
  input: string,
  previousChatId: string | undefined,
  assistantId: string,
  vapi: VapiClient,
  s: VapiSettings,
  store: Store,
  sealer: FieldSealer,
  now: Date,
): Promise<ChatTurn> {
  const chat = (await vapiRequest('send the chat message', s, () =>
    vapi.chats.create({ assistantId, input, ...(previousChatId ? { previousChatId } : {}) } as never),
  )) as unknown as { id: string; output?: Array<{ role?: string; content?: unknown }> };
  const reply = replyOf(chat);
  const sealed = sealer.sealRecord({ input, output: reply }, { collection: 'chats', recordId: chat.id });
  await store.chats.append({ chatId: chat.id, previousChatId, assistantId, at: now.toISOString(), ...sealed });
  return { chatId: chat.id, previousChatId, reply };
}

/** One turn with --message, or a loop of prompts on a terminal. */
export async function runChat(flags: ChatFlags, g: GlobalOptions, deps: Deps): Promise<ChatTurn[]> {
  const settings = resolveVapiSettings(flags, deps.env);
  if (flags.message === undefined && !deps.io.canPrompt) throw new NeedsInputError('--message "…"');
  const store = await openStore(g, deps, { readOnly: true, purpose: 'receptionist chat' });
  try {
    const config = await loadBotConfig(store.collection('bot_configs'));
    const assistant = resolveAssistant(flags.assistant, deps, config, 'chat with');
    // Chats hold what patients write: sealed like call logs, so the keys must exist.
    const sealer = await writeOnlySealer(store, deps, { needsIndex: false });
    const vapi = await createVapiClient(settings);
    const turns: ChatTurn[] = [];
    const show = (t: ChatTurn) => (g.json ? deps.io.line(JSON.stringify(t)) : deps.io.line(t.reply));
    if (flags.message !== undefined) {
      const t = await turn(
        flags.message,
        flags.previousChatId,
        assistant.value,
        vapi,
        settings,
        store,
        sealer,
        deps.now(),
      );
      show(t);
      if (!g.json) deps.io.info(`(chat ${t.chatId}; continue with --previous-chat-id ${t.chatId})`);
      return [t];
    }
    deps.io.info('Chatting with the assistant. An empty line ends the conversation.');
    let previous = flags.previousChatId;
    for (;;) {
      let input: string;
      try {
        input = (await deps.prompter.input('You')).trim();
      } catch (err) {
        if (err instanceof CancelledError) break;
        throw err;
      }
      if (!input) break;
      const t = await turn(input, previous, assistant.value, vapi, settings, store, sealer, deps.now());
      show(t);
      turns.push(t);
      previous = t.chatId;
    }
    return turns;
  } finally {
    await store.close();
  }
}
