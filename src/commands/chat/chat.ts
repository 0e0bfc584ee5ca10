import type { VapiClient } from '@vapi-ai/server-sdk';
import { DateTime } from 'luxon';
import { CancelledError, NeedsInputError, StoreError } from '../../errors.js';
import { loadBotConfig } from '../../domain/clinic.js';
import { revealField, type FieldSealer } from '../../domain/sealer.js';
import { appendAudit } from '../../domain/audit.js';
import { vapiRequest, type VapiSettings } from '../../vapi/client.js';
import type { ChatRecord, Store } from '../../store/types.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { ChatFlags, LogFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { readWithClinicZone, type ZonedRows } from '../shared/store.js';
import { parseLimit } from '../shared/parse.js';
import { resolveAssistant } from '../shared/vapi.js';
import { writeOnlySealer } from '../../domain/sealing-keys.js';

export interface ChatOptions {
  message?: string;
  previousChatId?: string;
  assistant?: string;
}

export function parseChatOptions(flags: ChatFlags): ChatOptions {
  return {
    message: flags.message,
    previousChatId: flags.previousChatId,
    assistant: flags.assistant,
  };
}

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
    vapi.chats.create({ assistantId, input, ...(previousChatId ? { previousChatId } : {}) }),
  )) as unknown as { id: string; output?: Array<{ role?: string; content?: unknown }> };
  const reply = replyOf(chat);
  const sealed = sealer.sealRecord({ input, output: reply }, { collection: 'chats', recordId: chat.id });
  await store.chats.append({ chatId: chat.id, previousChatId, assistantId, at: now.toISOString(), ...sealed });
  return { chatId: chat.id, previousChatId, reply };
}

/**
 * One turn with --message, or a loop of prompts on a terminal; each reply is printed as it comes
 * (NDJSON with --json). @throws AuthError, NetworkError, NeedsInputError, UserError (no assistant, no keys)
 */
export async function runChat(flags: ChatOptions, ctx: Context): Promise<ChatTurn[]> {
  const settings = ctx.vapiSettings();
  const g = ctx.globals;
  if (flags.message === undefined && !ctx.io.canPrompt) throw new NeedsInputError('--message "…"');
  const store = await ctx.store({ readOnly: true });
  const config = await loadBotConfig(store.collection('bot_configs'));
  const assistant = resolveAssistant(flags.assistant, ctx, config, 'chat with');
  // Chats hold what patients write: sealed like call logs, so the keys must exist.
  const sealer = await writeOnlySealer(store, ctx, { needsIndex: false });
  const vapi = await ctx.vapi();
  const turns: ChatTurn[] = [];
  const show = (t: ChatTurn) => (g.json ? ctx.io.line(JSON.stringify(t)) : ctx.io.line(t.reply));
  if (flags.message !== undefined) {
    const t = await turn(
      flags.message,
      flags.previousChatId,
      assistant.value,
      vapi,
      settings,
      store,
      sealer,
      ctx.now(),
    );
    show(t);
    if (!g.json) ctx.io.info(`(chat ${t.chatId}; continue with --previous-chat-id ${t.chatId})`);
    return [t];
  }
  ctx.io.info('Chatting with the assistant. An empty line ends the conversation.');
  let previous = flags.previousChatId;
  for (;;) {
    let input: string;
    try {
      input = (await ctx.prompter.input('You')).trim();
    } catch (err) {
      if (err instanceof CancelledError) break;
      throw err;
    }
    if (!input) break;
    const t = await turn(input, previous, assistant.value, vapi, settings, store, sealer, ctx.now());
    show(t);
    turns.push(t);
    previous = t.chatId;
  }
  return turns;
}

export interface ChatLogOptions {
  decrypt: boolean;
  limit?: number;
  /** Only this conversation: the turn with this chat id and the turns it continued. */
  chat?: string;
}

/** @throws UsageError for a bad --limit */
export function parseChatLogOptions(flags: LogFlags): ChatLogOptions {
  return {
    decrypt: flags.decrypt === true,
    limit: parseLimit(flags.limit),
    chat: flags.chat,
  };
}

/** The recorded turns, oldest first, and the clinic's IANA zone their times are read in. */
export type ChatLogResult = ZonedRows<ChatRecord>;

/**
 * `chat log`: the recorded turns (the newest `limit`), input and output `[sealed]` unless
 * `--decrypt` (an admin's password; audited). @throws AuthError, NeedsInputError, StoreError (a tampered turn)
 */
export async function runChatLog(opts: ChatLogOptions, ctx: Context): Promise<ChatLogResult> {
  const { store, timeZone } = await readWithClinicZone(ctx);
  let turns = await store.chats.list();
  if (opts.chat) {
    const byId = new Map(turns.map((t) => [t.chatId, t]));
    const chain: ChatRecord[] = [];
    for (
      let t = byId.get(opts.chat);
      t && !chain.includes(t);
      t = t.previousChatId ? byId.get(t.previousChatId) : undefined
    )
      chain.unshift(t);
    turns = chain;
  }
  if (opts.limit) turns = turns.slice(-opts.limit);
  if (!opts.decrypt) {
    const hide = (t: ChatRecord, name: 'input' | 'output') =>
      revealField(t[name], { collection: 'chats', recordId: t.chatId, field: name });
    return { rows: turns.map((t) => ({ ...t, input: hide(t, 'input'), output: hide(t, 'output') })), timeZone };
  }
  const me = await ctx.keyring();
  const opened = turns.map((t) => {
    const field = (name: 'input' | 'output') => {
      try {
        return revealField(t[name], { collection: 'chats', recordId: t.chatId, field: name }, me.dataKeys);
      } catch {
        throw new StoreError(
          `Chat ${t.chatId}: the sealed ${name} failed authentication (tampered with, damaged, or sealed to a key you do not hold). Nothing was shown.`,
        );
      }
    };
    return { ...t, input: field('input'), output: field('output') };
  });
  await appendAudit(store, {
    at: ctx.now().toISOString(),
    user: me.username,
    action: 'decrypt',
    details: { command: 'chat log', chat: opts.chat, limit: opts.limit, records: opened.length },
  });
  return { rows: opened, timeZone };
}

/** Each turn: its time in the clinic's zone and chat id, then what was sent and answered; --json an array. */
export function renderChatLog(
  { rows: turns, timeZone }: ChatLogResult,
  _o: ChatLogOptions,
  { io, globals }: RenderContext,
): void {
  if (globals.json) return io.line(JSON.stringify(turns));
  if (!turns.length) return io.info('No chats recorded yet. `receptionist chat` records each turn.');
  io.error(`Times are in the clinic's zone, ${timeZone}.`);
  for (const t of turns) {
    const at = DateTime.fromISO(t.at, { zone: timeZone }).toFormat('yyyy-MM-dd HH:mm');
    io.line(`${at}  ${t.chatId}${t.previousChatId ? ` (after ${t.previousChatId})` : ''}`);
    io.line(`  You:       ${t.input}`);
    io.line(`  Assistant: ${t.output}`);
  }
}

export const chat = implement({ parse: parseChatOptions, run: runChat });
export const log = implement({ parse: parseChatLogOptions, run: runChatLog, render: renderChatLog });
