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

/** The fix for a free Vapi number that cannot call the patients. */
export const IMPORT_NUMBER_HINT =
  'Import a Twilio, Vonage or Telnyx number (or a SIP trunk) in the Vapi dashboard (https://docs.vapi.ai/phone-calling), then call from it: `receptionist sync --phone-number <E.164>` or RECEPTIONIST_PHONE_NUMBER_ID.';
