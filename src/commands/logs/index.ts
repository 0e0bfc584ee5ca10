import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface LogsFlags {
  since?: string;
  limit?: string;
  csv?: boolean;
  decrypt?: boolean;
  username?: string;
  passwordStdin?: boolean;
  caller?: string;
  call?: string;
}

export const logsCommand = (deps: Deps) =>
  new Command('logs')
    .description('List call logs, newest first (a table on a terminal, CSV when piped, or --json)')
    .option('--since <when>', 'only calls that ended after this: an ISO date/time, or a duration like 30m, 24h, 7d')
    .option('--limit <n>', 'at most this many calls')
    .option('--csv', 'CSV output (the default when stdout is not a terminal)')
    .option(
      '--decrypt',
      'show sealed fields (caller number, summary, transcript, recording URL) after username and password prompts; audited',
    )
    .option('--username <name>', 'admin for --decrypt (or $RECEPTIONIST_USERNAME; prompted on a terminal)')
    .option('--password-stdin', 'read the --decrypt password from stdin (or set $RECEPTIONIST_PASSWORD)')
    .option('--caller <number>', 'only calls from this number, found through the blind index')
    .option('--call <id>', 'one call in full, transcript included (with --decrypt)')
    .addHelpText(
      'after',
      '\nSafe to run while `serve` is running: it reads a snapshot. Without --decrypt, sealed fields show as [sealed].\n\nExamples:\n  receptionist logs --since 24h\n  receptionist logs --json --limit 5 | jq .\n  receptionist logs --decrypt --caller +919812345678\n  receptionist logs --decrypt --call call_123\n  printf "%s\\n" "$PASSWORD" | receptionist logs --decrypt --username asha --password-stdin --csv > calls.csv',
    )
    .action(async (flags: LogsFlags, cmd: Command) => {
      const { runLogs, parseLogsOptions, renderLogs } = await import('./logs.js');
      const g = globalsOf(cmd, deps);
      const opts = parseLogsOptions(flags, deps.now(), deps.env);
      renderLogs(await runLogs(opts, g, deps), { ...opts, json: g.json, color: g.color }, deps.io);
    });
