import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';
import { adminOptions, limitOption, sinceOption } from '../shared/flags.js';

export const logsSpec = spec({
  options: [
    sinceOption('calls that ended'),
    new Option(
      '--until <day>',
      'only calls that ended on or before this day (today, or YYYY-MM-DD in the clinic zone)',
    ),
    new Option(
      '--ended-reason <reason>',
      "only calls with this ended reason (Vapi's endedReason, e.g. customer-ended-call)",
    ),
    limitOption('calls'),
    new Option('--csv', 'CSV output (the default when stdout is not a terminal)'),
    new Option(
      '--raw',
      "CSV cells as stored, without the spreadsheet formula guard (phone numbers keep their leading '+' unquoted)",
    ),
    new Option(
      '--decrypt',
      'show sealed fields (caller number, summary, transcript, recording URL) after username and password prompts; audited',
    ),
    adminOptions({
      who: 'admin for --decrypt',
      stdin: 'read the --decrypt password from stdin (or set $RECEPTIONIST_PASSWORD)',
    }),
    new Option('--caller <number>', 'only calls from this number, found through the blind index'),
    new Option('--call <id>', 'one call in full, transcript included (with --decrypt)'),
  ],
});
export type LogsFlags = FlagsOf<typeof logsSpec>;

export const logsCommand = defineCommand({
  name: 'logs',
  summary: 'List call logs, newest first (a table on a terminal, CSV when piped, or --json)',
  ...logsSpec,
  details: `Safe to run while \`serve\` is running: it reads a snapshot. Without --decrypt, sealed fields show as [sealed].
A table on a terminal shows the newest 50 calls unless --limit says otherwise; --json and CSV write every
call asked for, as they are read (memory stays bounded at any store size). Times are in the clinic's zone.
With --json: one array of calls (one object with --call), times ISO 8601 in UTC, bookings with the
clinic's offset. CSV cells that a spreadsheet would run as a formula (=, +, -, @)
get a leading ' unless --raw.`,
  examples: [
    'receptionist logs --since 24h',
    'receptionist logs --since 2026-11-20 --until 2026-11-20 --ended-reason customer-ended-call',
    'receptionist logs --json --limit 5 | jq .',
    'receptionist logs --decrypt --caller +919812345678',
    'receptionist logs --decrypt --call call_123',
    'printf "%s\\n" "$PASSWORD" | receptionist logs --decrypt --username asha --password-stdin --csv > calls.csv',
  ],
  load: () => import('./logs.js').then((m) => m.logs),
  subcommands: [
    {
      name: 'export',
      summary: 'Rebuild <data-dir>/calls.csv from the store (the CSV that --log-to csv keeps for spreadsheets)',
      details:
        'Every call log, oldest first, cells guarded against spreadsheet formulas, sealed fields as stored\n(`logs export --csv` says the same: CSV is the one format). With --json: one object {file, rows}.',
      examples: ['receptionist logs export --csv', 'receptionist logs export --csv --mongodb-uri "$MONGODB_URI"'],
      load: () => import('./logs.js').then((m) => m.exportCsv),
    },
  ],
});
