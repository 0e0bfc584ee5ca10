import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface PreflightFlags {
  publicUrl?: string;
  vapiKey?: string;
}

export const preflightCommand = (deps: Deps) =>
  new Command('preflight')
    .description('Check everything a live phone line needs, one line per check with the fix (exit 1 when any fails)')
    .option(
      '--public-url <url>',
      'the public URL of `serve` (default $RECEPTIONIST_PUBLIC_URL, else the one sync used)',
    )
    .option('--vapi-key <key>', 'Vapi private API key (or $VAPI_API_KEY)')
    .addHelpText(
      'after',
      `
Checks: Node version; the store opens and is writable; an admin and the encryption keys exist and
RECEPTIONIST_BLIND_INDEX_KEY is the key the store's indexes were made with; VAPI_SERVER_SECRET is
strong (≥ 128 bits); the Vapi key is accepted; the webhook credential, tools, assistant and phone
number are synced and have not drifted; every server uses the credential and the public URL; and
GET <public URL>/health answers through the tunnel. Reads only: it changes nothing.

Examples:
  receptionist preflight
  receptionist preflight --public-url https://clinic.ngrok.app --json`,
    )
    .action(async (flags: PreflightFlags, cmd: Command) => {
      const { runPreflight, renderPreflight } = await import('./preflight.js');
      const g = globalsOf(cmd, deps);
      renderPreflight(await runPreflight(flags, g, deps), g, deps.io);
    });
