import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { sinceOptionWithDefault, vapiKeyOption } from '../shared/flags.js';

export const metricsSpec = spec({
  options: [
    new Option('--by <group>', 'group by').choices(['day', 'assistant', 'endedReason']).default('day'),
    sinceOptionWithDefault('calls', '30d'),
    new Option('--remote', "ask Vapi's /analytics instead of the local logs"),
    vapiKeyOption(', for --remote'),
  ],
});
export type MetricsFlags = FlagsOf<typeof metricsSpec>;

export const metricsCommand = defineCommand({
  name: 'metrics',
  summary: 'Calls, minutes, total and average cost, from the local call logs or (--remote) Vapi analytics',
  ...metricsSpec,
  details:
    "Days are the clinic's days (its IANA zone). With --json: one object {source, since, timeZone, rows: [{group, calls, minutes, totalCost, averageCost, callsWithCost}]}.",
  examples: [
    'receptionist metrics',
    'receptionist metrics --by endedReason --since 7d',
    'receptionist metrics --remote --by assistant --json',
  ],
  load: () => import('./metrics.js').then((m) => m.metrics),
});
