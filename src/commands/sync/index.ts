import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { vapiKeyOption } from '../shared/flags.js';

export const syncSpec = spec({
  options: [
    new Option(
      '--server-url <url>',
      "public URL of `serve` (or $RECEPTIONIST_PUBLIC_URL; default: the last one used, else the assistant's on Vapi)",
    ),
    new Option(
      '--phone-number <number>',
      'point this Vapi phone number (E.164 or id) at `serve`, for assistant-request on inbound calls; remembered',
    ),
    new Option('--config <file>', 'take the bot config from a file written by `config export` (config as code)'),
    new Option('--dry-run', 'show the plan and stop'),
    new Option('--check', 'exit 7 when anything would change (a CI gate)'),
    new Option('--force', 'overwrite changes made on Vapi since the last sync'),
    new Option(
      '--rotate-secret',
      'switch the webhook credential to VAPI_SERVER_SECRET from VAPI_SERVER_SECRET_PREVIOUS (which serve must also accept)',
    ),
    new Option(
      '--test',
      "run the project's tests (receptionist/tests) on the config first, as a transient assistant; publish nothing if one fails",
    ),
    new Option('--no-test', 'skip the tests even when clinic.testBeforeSync is set'),
    vapiKeyOption(),
  ],
});
export type SyncFlags = FlagsOf<typeof syncSpec>;

export const syncCommand = defineCommand({
  name: 'sync',
  summary:
    'Create or update the webhook credential, the tools, the assistant and the phone number on Vapi from the config',
  ...syncSpec,
  details: `The plan goes to stdout, progress to stderr. A second run changes nothing. From a fresh store (CI,
a second laptop) sync finds what it made before on the account (the credential by name, the
assistant by metadata.managedBy, the tools by function name) and adopts it instead of creating more.
Every server gets the webhook credential (HMAC with VAPI_SERVER_SECRET) and a backoffPlan.
A credential that holds another secret than VAPI_SERVER_SECRET (another machine's) is never
switched without --rotate-secret (exit 8): the serve holding it would answer 401 to everything.
With --json: one object {baseUrl, serverUrl, plan: [{kind, name, action, changes, …}], …}.`,
  examples: [
    'receptionist sync --server-url https://clinic.ngrok.app --phone-number +918041234567',
    'receptionist sync --dry-run',
    'receptionist sync --test   # the tests first; nothing is published if one fails',
    'receptionist sync --check --config receptionist.config.json   # in CI: exit 7 when Vapi differs',
    'VAPI_SERVER_SECRET=$NEW VAPI_SERVER_SECRET_PREVIOUS=$OLD receptionist sync --rotate-secret',
  ],
  load: () => import('./sync.js').then((m) => m.sync),
});
