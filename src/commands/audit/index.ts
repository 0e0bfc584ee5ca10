import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { examples } from '../shared/help.js';
import { globalsOf } from '../shared/globals.js';

export const auditCommand = (deps: Deps) =>
  new Command('audit')
    .description('List audit records: every decryption and every change to admins or keys, newest first')
    .option('--since <when>', 'only records after this: an ISO date/time, or 30m, 24h, 7d')
    .option('--limit <n>', 'at most this many records')
    .addHelpText('after', examples('receptionist audit --since 7d', 'receptionist audit --json --limit 20 | jq .'))
    .action(async (flags: { since?: string; limit?: string }, cmd: Command) => {
      const { runAudit, renderAudit } = await import('./audit.js');
      const g = globalsOf(cmd, deps);
      renderAudit(await runAudit(flags, g, deps), g, deps.io);
    });
