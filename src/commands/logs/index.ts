import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface LogsFlags {
  since?: string;
  limit?: string;
  csv?: boolean;
}

export const logsCommand = (deps: Deps) =>
  new Command('logs')
    .description('List call logs, newest first (a table on a terminal, CSV when piped, or --json)')
    .option('--since <when>', 'only calls that ended after this: an ISO date/time, or a duration like 30m, 24h, 7d')
    .option('--limit <n>', 'at most this many calls')
    .option('--csv', 'CSV output (the default when stdout is not a terminal)')
    .addHelpText('after', '\nSafe to run while `serve` is running: it reads a snapshot.\n\nExamples:\n  receptionist logs --since 24h\n  receptionist logs --json --limit 5 | jq .\n  receptionist logs --csv > calls.csv')
    .action(async (flags: LogsFlags, cmd: Command) => {
      const { runLogs, parseLogsOptions, renderLogs } = await import('./logs.js');
      const g = globalsOf(cmd, deps);
      const opts = parseLogsOptions(flags, deps.now());
      renderLogs(await runLogs(opts, g, deps), { ...opts, json: g.json }, deps.io);
    });
