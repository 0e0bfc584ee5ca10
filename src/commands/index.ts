// The command table: cli.ts builds the program from it, and the tests walk it. Definitions only
// (commander and types), so `--help` loads no run module.
import type { CommandDefinition } from './shared/command.js';
import { seedCommand } from './seed/index.js';
import { doctorsCommand } from './doctors/index.js';
import { appointmentsCommand } from './appointments/index.js';
import { notifyCommand } from './notify/index.js';
import { outboxCommand } from './outbox/index.js';
import { remindersCommand } from './reminders/index.js';
import { serveCommand } from './serve/index.js';
import { triggerCommand } from './trigger/index.js';
import { logsCommand } from './logs/index.js';
import { usersCommand } from './users/index.js';
import { keysCommand } from './keys/index.js';
import { auditCommand } from './audit/index.js';
import { optionsCommand } from './options/index.js';
import { configCommand } from './config/index.js';
import { syncCommand } from './sync/index.js';
import { callCommand } from './call/index.js';
import { chatCommand } from './chat/index.js';
import { metricsCommand } from './metrics/index.js';
import { migrateCommand } from './migrate/index.js';
import { backupCommand, restoreCommand } from './backup/index.js';
import { phoneNumbersCommand } from './phone-numbers/index.js';
import { preflightCommand } from './preflight/index.js';
import { completionCommand } from './completion/index.js';
import { studioCommand } from './studio/index.js';
import { testCommand } from './test/index.js';

/** Every top-level command, in the order `--help` lists them. */
export const COMMANDS: readonly CommandDefinition[] = [
  seedCommand,
  serveCommand,
  studioCommand,
  doctorsCommand,
  appointmentsCommand,
  notifyCommand,
  remindersCommand,
  outboxCommand,
  triggerCommand,
  logsCommand,
  usersCommand,
  keysCommand,
  auditCommand,
  optionsCommand,
  configCommand,
  testCommand,
  syncCommand,
  callCommand,
  chatCommand,
  metricsCommand,
  backupCommand,
  restoreCommand,
  migrateCommand,
  phoneNumbersCommand,
  preflightCommand,
  completionCommand,
];
