import { Command, CommanderError, Option } from 'commander';
import { createDeps, type Deps } from './deps.js';
import { envHelp } from './env.js';
import { EXIT, reportError } from './errors.js';
import { seedCommand } from './commands/seed/index.js';
import { serveCommand } from './commands/serve/index.js';
import { triggerCommand } from './commands/trigger/index.js';
import { logsCommand } from './commands/logs/index.js';
import { usersCommand } from './commands/users/index.js';
import { keysCommand } from './commands/keys/index.js';
import { auditCommand } from './commands/audit/index.js';
import { optionsCommand } from './commands/options/index.js';
import { configCommand } from './commands/config/index.js';
import { syncCommand } from './commands/sync/index.js';
import { callCommand } from './commands/call/index.js';
import { chatCommand } from './commands/chat/index.js';
import { metricsCommand } from './commands/metrics/index.js';
import { migrateCommand } from './commands/migrate/index.js';
import { phoneNumbersCommand } from './commands/phone-numbers/index.js';
import { preflightCommand } from './commands/preflight/index.js';
import { completionCommand } from './commands/completion/index.js';

const VERSION = '0.1.0';

/** The commander program. Subcommand definitions are cheap; their run modules load on use. */
export function buildProgram(deps: Deps): Command {
  const program = new Command('receptionist')
    .description('Run a Vapi voice receptionist for a clinic that also sells and services air conditioners.')
    .version(VERSION, '-v, --version')
    .option('--data-dir <dir>', 'directory of the embedded store (default ./.receptionist, or $RECEPTIONIST_DATA_DIR)')
    .option('--mongodb-uri <uri>', 'use MongoDB instead of the embedded store (or $MONGODB_URI)')
    .option(
      '--log-to <target>',
      'where call logs go: mongo or csv (default: the store in use, or $RECEPTIONIST_LOG_TO)',
    )
    .option('--json', 'machine-readable output: JSON on stdout')
    .option('--no-color', 'disable colors')
    .addOption(new Option('--debug', 'print stack traces of failures'))
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ showGlobalOptions: true })
    .addHelpText(
      'after',
      `\n${envHelp()}\n\nExit codes: 0 ok, 1 error, 2 usage, 3 store, 4 input needed, 5 auth, 6 network, 7 sync --check found changes, 70 internal, 130 cancelled.`,
    );
  for (const make of [
    seedCommand,
    serveCommand,
    triggerCommand,
    logsCommand,
    usersCommand,
    keysCommand,
    auditCommand,
    optionsCommand,
    configCommand,
    syncCommand,
    callCommand,
    chatCommand,
    metricsCommand,
    migrateCommand,
    phoneNumbersCommand,
    preflightCommand,
    completionCommand,
  ])
    program.addCommand(make(deps));
  // Every subcommand's help lists the global flags (--data-dir, --json, …) too.
  const showGlobals = (c: Command) => {
    c.configureHelp({ showGlobalOptions: true });
    c.commands.forEach(showGlobals);
  };
  showGlobals(program);
  return program;
}

/**
 * Runs the CLI and returns the exit code; the only place errors become exit codes.
 * Never calls `process.exit`.
 */
export async function main(argv: string[], deps: Deps = createDeps()): Promise<number> {
  const program = buildProgram(deps);
  program.exitOverride();
  program.configureOutput({
    writeOut: (s) => deps.io.write(s),
    writeErr: (s) => deps.io.err.write(s),
  });
  const configure = (cmd: Command) => {
    cmd.exitOverride();
    cmd.configureOutput({ writeOut: (s) => deps.io.write(s), writeErr: (s) => deps.io.err.write(s) });
    cmd.commands.forEach(configure);
  };
  program.commands.forEach(configure);
  const debug = argv.includes('--debug') || deps.env.get('DEBUG')?.value === '1';
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (err.exitCode === 0) return EXIT.ok;
      return EXIT.usage; // commander already printed the message
    }
    return reportError(err, deps.io, debug, argv.includes('--json'));
  }
}
