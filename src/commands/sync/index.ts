import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface SyncFlags {
  serverUrl?: string;
  dryRun?: boolean;
  check?: boolean;
  force?: boolean;
  vapiKey?: string;
  phoneNumber?: string;
  config?: string;
}

export const syncCommand = (deps: Deps) =>
  new Command('sync')
    .description(
      'Create or update the webhook credential, the tools, the assistant and the phone number on Vapi from the config',
    )
    .option(
      '--server-url <url>',
      "public URL of `serve` (or $RECEPTIONIST_PUBLIC_URL; default: the last one used, else the assistant's on Vapi)",
    )
    .option(
      '--phone-number <number>',
      'point this Vapi phone number (E.164 or id) at `serve`, for assistant-request on inbound calls; remembered',
    )
    .option('--config <file>', 'take the bot config from a file written by `config export` (config as code)')
    .option('--dry-run', 'show the plan and stop')
    .option('--check', 'exit 7 when anything would change (a CI gate)')
    .option('--force', 'overwrite changes made on Vapi since the last sync')
    .option('--vapi-key <key>', 'Vapi private API key (or $VAPI_API_KEY)')
    .addHelpText(
      'after',
      `
The plan goes to stdout, progress to stderr. A second run changes nothing. From a fresh store (CI,
a second laptop) sync finds what it made before on the account (the credential by name, the
assistant by metadata.managedBy, the tools by function name) and adopts it instead of creating more.
Every server gets the webhook credential (HMAC with VAPI_SERVER_SECRET) and a backoffPlan.

Examples:
  receptionist sync --server-url https://clinic.ngrok.app --phone-number +918041234567
  receptionist sync --dry-run
  receptionist sync --check --config receptionist.config.json   # in CI: exit 7 when Vapi differs`,
    )
    .action(async (flags: SyncFlags, cmd: Command) => {
      const { runSync, renderPlan } = await import('./sync.js');
      const g = globalsOf(cmd, deps);
      const r = await runSync(flags, g, deps, (plan) => renderPlan(plan, g, deps.io));
      const tools = r.plan.filter((p) => p.kind === 'tool').length;
      if (r.applied)
        deps.io.info(
          `Synced: assistant ${r.assistantId} with ${tools} tools, credential ${r.credentialId}${r.phoneNumber ? `, phone number ${r.phoneNumber}` : ''}, webhook ${r.serverUrl}.`,
        );
      else if (!flags.dryRun && !flags.check) deps.io.info('Nothing to change.');
    });
