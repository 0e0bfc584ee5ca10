import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { vapiKeyOption } from '../shared/flags.js';

export const preflightSpec = spec({
  options: [
    new Option(
      '--public-url <url>',
      'the public URL of `serve` (default $RECEPTIONIST_PUBLIC_URL, else the one sync used)',
    ),
    vapiKeyOption(),
  ],
});
export type PreflightFlags = FlagsOf<typeof preflightSpec>;

export const preflightCommand = defineCommand({
  name: 'preflight',
  summary: 'Check everything a live phone line needs, one line per check with the fix (exit 1 when any fails)',
  ...preflightSpec,
  details: `Checks: Node version; the store opens and is writable; an admin and the encryption keys exist and
RECEPTIONIST_BLIND_INDEX_KEY is the key the store's indexes were made with; VAPI_SERVER_SECRET is
strong (≥ 128 bits); the Vapi key is accepted; the webhook credential, tools, assistant and phone
number are synced and have not drifted; every server uses the credential and the public URL; and
GET <public URL>/health answers through the tunnel. Reads only: it changes nothing.
With --json: one object {ok, checks: [{name, ok, detail, fix}]}.`,
  examples: ['receptionist preflight', 'receptionist preflight --public-url https://clinic.ngrok.app --json'],
  load: () => import('./preflight.js').then((m) => m.preflight),
});
