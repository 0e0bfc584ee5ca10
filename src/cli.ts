import { Command, CommanderError, Option } from 'commander';
import { createDeps, type Deps } from './deps.js';
import { envHelp } from './env.js';
import { EXIT, reportError } from './errors.js';
import { COMMANDS } from './commands/index.js';
import { toCommander, type Session } from './commands/shared/command.js';
import { VERSION } from './version.js';

/** The commander program. Subcommand definitions are cheap; their run modules load on use. */
export function buildProgram(deps: Deps, session: Session = { contexts: [] }): Command {
  const program = new Command('receptionist')
    .description('Run a Vapi voice receptionist for a clinic that also sells and services air conditioners.')
    .version(VERSION, '-v, --version')
    .option('--data-dir <dir>', 'directory of the embedded store (default ./.receptionist, or $RECEPTIONIST_DATA_DIR)')
    .option('--mongodb-uri <uri>', 'use MongoDB instead of the embedded store (or $MONGODB_URI)')
    .option(
      '--log-to <target>',
      'where call logs go: mongo, or csv (the store plus <data-dir>/calls.csv for spreadsheets); default the store in use, or $RECEPTIONIST_LOG_TO',
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
  for (const def of COMMANDS) program.addCommand(toCommander(def, deps, session));
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
  const session: Session = { contexts: [] };
  const program = buildProgram(deps, session);
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
  let failure: unknown;
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (err) {
    failure = err;
  } finally {
    // What the command opened (store, keys) is closed whether it succeeded or not.
    for (const ctx of session.contexts.splice(0))
      await ctx.close().catch((err: unknown) => {
        failure ??= err;
      });
  }
  if (failure === undefined) return EXIT.ok;
  if (failure instanceof CommanderError) return failure.exitCode === 0 ? EXIT.ok : EXIT.usage; // commander printed it
  const { toUserError } = await import('./commands/shared/user-errors.js');
  return reportError(toUserError(failure), deps.io, debug, argv.includes('--json'));
}
