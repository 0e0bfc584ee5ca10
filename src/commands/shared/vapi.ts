import ora from 'ora';
import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { UserError } from '../../errors.js';
import { resolveSetting, type Resolved } from '../../settings.js';
import type { BotConfig } from '../../domain/clinic.js';
import type { GlobalOptions } from './globals.js';

/** The assistant to use: --assistant, $RECEPTIONIST_ASSISTANT_ID, or the one `sync` created. @throws UserError */
export function resolveAssistant(
  flag: string | undefined,
  deps: Pick<Deps, 'env'>,
  config: BotConfig | null,
  purpose: string,
): Resolved<string> {
  const assistant =
    resolveSetting('assistant', flag, 'RECEPTIONIST_ASSISTANT_ID', deps.env) ??
    (config?.vapi?.assistantId ? { value: config.vapi.assistantId, source: 'the last sync' } : undefined);
  if (!assistant)
    throw new UserError(`No assistant to ${purpose}.`, 'Run `receptionist sync` first, or pass --assistant.');
  return assistant;
}

/** A progress spinner on stderr, shown only on a terminal and never with --json. */
export function progress(g: GlobalOptions, io: IO, text?: string): ReturnType<typeof ora> {
  return ora({ text, stream: io.err, isEnabled: io.isErrTTY && !g.json, isSilent: !io.isErrTTY || g.json });
}
