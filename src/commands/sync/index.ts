import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface SyncFlags {
  serverUrl?: string;
  dryRun?: boolean;
  check?: boolean;
  force?: boolean;
  vapiKey?: string;
}

export const syncCommand = (deps: Deps) =>
  new Command('sync')
    .description('Create or update the assistant and its tools on Vapi from the stored config')
    .option('--server-url <url>', 'public URL of `serve` (or $RECEPTIONIST_PUBLIC_URL; default: the last one used)')
    .option('--dry-run', 'show the plan and stop')
    .option('--check', 'exit 2 when anything would change (a CI gate)')
    .option('--force', 'overwrite changes made on Vapi since the last sync')
    .option('--vapi-key <key>', 'Vapi private API key (or $VAPI_API_KEY)')
    .addHelpText('after', '\nThe plan goes to stdout, progress to stderr. A second run changes nothing.\n\nExamples:\n  receptionist sync --server-url https://clinic.ngrok.app\n  receptionist sync --dry-run\n  receptionist sync --check   # in CI: exit 2 when the config and Vapi differ')
    .action(async (flags: SyncFlags, cmd: Command) => {
      const { runSync, renderPlan } = await import('./sync.js');
      const g = globalsOf(cmd, deps);
      const r = await runSync(flags, g, deps, (plan) => renderPlan(plan, g, deps.io));
      if (r.applied) deps.io.info(`Synced: assistant ${r.assistantId} with ${r.plan.length - 1} tools, webhook ${r.serverUrl}.`);
      else if (!flags.dryRun && !flags.check) deps.io.info('Nothing to change.');
    });
