import { Command, Option } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface MetricsFlags {
  by: 'day' | 'assistant' | 'endedReason';
  since: string;
  remote?: boolean;
  vapiKey?: string;
}

export const metricsCommand = (deps: Deps) =>
  new Command('metrics')
    .description('Calls, minutes, total and average cost, from the local call logs or (--remote) Vapi analytics')
    .addOption(new Option('--by <group>', 'group by').choices(['day', 'assistant', 'endedReason']).default('day'))
    .option('--since <when>', 'from this time: an ISO date, or 24h, 7d, 30d', '30d')
    .option('--remote', "ask Vapi's /analytics instead of the local logs")
    .option('--vapi-key <key>', 'Vapi private API key (or $VAPI_API_KEY), for --remote')
    .addHelpText(
      'after',
      '\nExamples:\n  receptionist metrics\n  receptionist metrics --by endedReason --since 7d\n  receptionist metrics --remote --by assistant --json',
    )
    .action(async (flags: MetricsFlags, cmd: Command) => {
      const { runMetrics, renderMetrics } = await import('./metrics.js');
      const g = globalsOf(cmd, deps);
      renderMetrics(await runMetrics(flags, g, deps), flags, g, deps.io);
    });
