import type { CommandDefinition } from './shared/command.js';

/**
 * What the program's own `--help` shows of each top-level command (its name, its usage term and
 * its summary), and how to load its definition: `cli.ts` loads only the definition of the command
 * being run (or asked about), so `receptionist --help` and a command's start import one command's
 * definition instead of 26 (PERF-3, issue 28). The order is `--help`'s. `test/commands/manifest.test.ts`
 * checks every entry against the definition it loads (`COMMANDS` in ./index.ts, the full table).
 */
export interface CommandEntry {
  name: string;
  /** As commander's help prints it in the command list: `sync [options]`, `options [options] <kind>`. */
  term: string;
  summary: string;
  load: () => Promise<CommandDefinition>;
  /** This command walks the whole program (completion scripts): every definition is loaded for it. */
  needsAll?: boolean;
}

export const COMMAND_MANIFEST: readonly CommandEntry[] = [
  {
    name: 'seed',
    term: 'seed [options]',
    summary: 'Write the default bot config and sample clinic/AC data from templates/ into the store',
    load: () => import('./seed/index.js').then((m) => m.seedCommand),
  },
  {
    name: 'serve',
    term: 'serve [options]',
    summary: 'Run the webhook server that answers Vapi server messages and keeps call logs',
    load: () => import('./serve/index.js').then((m) => m.serveCommand),
  },
  {
    name: 'studio',
    term: 'studio [options]',
    summary: "Open the clinic's dashboard in a browser: appointments, calls, the assistant, metrics, doctors",
    load: () => import('./studio/index.js').then((m) => m.studioCommand),
  },
  {
    name: 'doctors',
    term: 'doctors',
    summary: "Manage the clinic's doctors: hours, slot length, leave and clinic holidays",
    load: () => import('./doctors/index.js').then((m) => m.doctorsCommand),
  },
  {
    name: 'appointments',
    term: 'appointments',
    summary: 'The front desk: list, show, book, reschedule and cancel appointments, by the voice tools’ rules',
    load: () => import('./appointments/index.js').then((m) => m.appointmentsCommand),
  },
  {
    name: 'notify',
    term: 'notify',
    summary: 'Where notifications go: outgoing webhooks (make.com, Zapier, n8n), signed per Standard Webhooks',
    load: () => import('./notify/index.js').then((m) => m.notifyCommand),
  },
  {
    name: 'reminders',
    term: 'reminders',
    summary: 'Appointment reminders (a call, email or SMS before each appointment): list and cancel',
    load: () => import('./reminders/index.js').then((m) => m.remindersCommand),
  },
  {
    name: 'outbox',
    term: 'outbox',
    summary: 'Notifications waiting, delivered or dead-lettered: list, retry, purge',
    load: () => import('./outbox/index.js').then((m) => m.outboxCommand),
  },
  {
    name: 'trigger',
    term: 'trigger [options] [event]',
    summary: 'Send a realistic Vapi server message to a running `serve`, signed with the configured secret',
    load: () => import('./trigger/index.js').then((m) => m.triggerCommand),
  },
  {
    name: 'logs',
    term: 'logs [options]',
    summary: 'List call logs, newest first (a table on a terminal, CSV when piped, or --json)',
    load: () => import('./logs/index.js').then((m) => m.logsCommand),
  },
  {
    name: 'users',
    term: 'users',
    summary: 'Manage who can decrypt sealed data: admins (everything) and receptionists (names only)',
    load: () => import('./users/index.js').then((m) => m.usersCommand),
  },
  {
    name: 'keys',
    term: 'keys',
    summary: "Manage the encryption keys that seal patients' data",
    load: () => import('./keys/index.js').then((m) => m.keysCommand),
  },
  {
    name: 'audit',
    term: 'audit [options]',
    summary: 'List audit records: every decryption and every change to admins or keys, newest first',
    load: () => import('./audit/index.js').then((m) => m.auditCommand),
  },
  {
    name: 'options',
    term: 'options [options] <kind>',
    summary: 'List the voice, transcriber and model options that Vapi accepts',
    load: () => import('./options/index.js').then((m) => m.optionsCommand),
  },
  {
    name: 'config',
    term: 'config',
    summary: 'Show and change the stored bot config (nothing reaches Vapi until `sync`)',
    load: () => import('./config/index.js').then((m) => m.configCommand),
  },
  {
    name: 'test',
    term: 'test [options] [files...]',
    summary: "Test the assistant's conversations: tools, words and the store afterwards (locally, or on Vapi)",
    load: () => import('./test/index.js').then((m) => m.testCommand),
  },
  {
    name: 'sync',
    term: 'sync [options]',
    summary:
      'Create or update the webhook credential, the tools, the assistant and the phone number on Vapi from the config',
    load: () => import('./sync/index.js').then((m) => m.syncCommand),
  },
  {
    name: 'call',
    term: 'call [options] [numbers...]',
    summary: 'Place outbound calls with the assistant, with per-call variableValues',
    load: () => import('./call/index.js').then((m) => m.callCommand),
  },
  {
    name: 'chat',
    term: 'chat [options]',
    summary: "A text conversation with the assistant through Vapi's chat API (recorded, sealed)",
    load: () => import('./chat/index.js').then((m) => m.chatCommand),
  },
  {
    name: 'metrics',
    term: 'metrics [options]',
    summary: 'Calls, minutes, total and average cost, from the local call logs or (--remote) Vapi analytics',
    load: () => import('./metrics/index.js').then((m) => m.metricsCommand),
  },
  {
    name: 'backup',
    term: 'backup [options] <file>',
    summary: 'Write a consistent snapshot of the whole store as one archive (also while serve runs)',
    load: () => import('./backup/index.js').then((m) => m.backupCommand),
  },
  {
    name: 'restore',
    term: 'restore [options] <file>',
    summary: 'Restore a backup into an empty store, after checking every checksum',
    load: () => import('./backup/index.js').then((m) => m.restoreCommand),
  },
  {
    name: 'migrate',
    term: 'migrate [options]',
    summary: 'Copy every record between the embedded store and MongoDB (idempotent; sealed fields untouched)',
    load: () => import('./migrate/index.js').then((m) => m.migrateCommand),
  },
  {
    name: 'phone-numbers',
    term: 'phone-numbers',
    summary: 'The phone numbers of the Vapi account, and what each one points at',
    load: () => import('./phone-numbers/index.js').then((m) => m.phoneNumbersCommand),
  },
  {
    name: 'preflight',
    term: 'preflight [options]',
    summary: 'Check everything a live phone line needs, one line per check with the fix (exit 1 when any fails)',
    load: () => import('./preflight/index.js').then((m) => m.preflightCommand),
  },
  {
    name: 'completion',
    term: 'completion <shell>',
    summary: 'Print a shell completion script for bash, zsh or fish',
    load: () => import('./completion/index.js').then((m) => m.completionCommand),
    needsAll: true,
  },
];
