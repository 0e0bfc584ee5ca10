import { Command, CommanderError, Help, Option } from 'commander';
import { createDeps, type Deps } from './deps.js';
import { envHelp } from './env.js';
import { EXIT, reportError } from './errors.js';
import { COMMAND_MANIFEST, type CommandEntry } from './commands/manifest.js';
import { toCommander, type CommandDefinition, type Session } from './commands/shared/command.js';
import { VERSION } from './version.js';

/** The program's own options (before any command): one list for the program and for {@link invokedCommand}. */
function globalOptions(): Option[] {
  return [
    new Option(
      '--data-dir <dir>',
      'directory of the embedded store (default ./.receptionist, or $RECEPTIONIST_DATA_DIR)',
    ),
    new Option('--mongodb-uri <uri>', 'use MongoDB instead of the embedded store (or $MONGODB_URI)'),
    new Option(
      '--log-to <target>',
      'where call logs go: mongo, or csv (the store plus <data-dir>/calls.csv for spreadsheets); default the store in use, or $RECEPTIONIST_LOG_TO',
    ),
    new Option('--json', 'machine-readable output: JSON on stdout'),
    new Option('--no-color', 'disable colors'),
    new Option('--debug', 'print stack traces of failures'),
  ];
}

/**
 * The commander program. `loaded`: the definitions of the commands that may run (see
 * {@link loadDefinitions}); every other command is listed by its {@link COMMAND_MANIFEST} entry
 * alone (name, usage term, summary), which is all the program's own `--help` shows of it.
 */
export function buildProgram(
  deps: Deps,
  session: Session = { contexts: [] },
  loaded: readonly CommandDefinition[] = [],
): Command {
  const program = new Command('receptionist')
    .description('Run a Vapi voice receptionist for a clinic that also sells and services air conditioners.')
    .version(VERSION, '-v, --version');
  for (const o of globalOptions()) program.addOption(o);
  const listed = new Map<Command, string>();
  program
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({
      showGlobalOptions: true,
      // A command listed by its manifest entry shows the term its definition would.
      subcommandTerm: (c) => listed.get(c) ?? new Help().subcommandTerm(c),
    })
    .addHelpText(
      'after',
      `\n${envHelp()}\n\nExit codes: 0 ok, 1 error, 2 usage, 3 store, 4 input needed, 5 auth, 6 network, 7 sync --check found changes, 70 internal, 130 cancelled.`,
    );
  for (const entry of COMMAND_MANIFEST) {
    const def = loaded.find((d) => d.name === entry.name);
    const cmd = def ? toCommander(def, deps, session) : new Command(entry.name).description(entry.summary);
    if (!def) listed.set(cmd, entry.term);
    program.addCommand(cmd);
  }
  // Every subcommand's help lists the global flags (--data-dir, --json, …) too.
  const showGlobals = (c: Command) => {
    c.configureHelp({ showGlobalOptions: true });
    c.commands.forEach(showGlobals);
  };
  program.commands.forEach(showGlobals);
  return program;
}

/**
 * The top-level command `argv` runs or asks help for (`sync`, `help sync`, `--data-dir d sync`),
 * read as commander reads it; undefined for the program's own `--help`, no command, or an unknown one.
 */
export function invokedCommand(argv: readonly string[]): CommandEntry | undefined {
  const probe = new Command('receptionist').allowUnknownOption().helpCommand(false);
  for (const o of globalOptions()) probe.addOption(o);
  for (const entry of COMMAND_MANIFEST) probe.addCommand(new Command(entry.name));
  const { operands } = probe.parseOptions([...argv]);
  const name = operands[0] === 'help' ? operands[1] : operands[0];
  return COMMAND_MANIFEST.find((e) => e.name === name);
}

/** The definitions `argv` needs: its command's, or all of them for one that walks the program (completion). */
export async function loadDefinitions(argv: readonly string[]): Promise<CommandDefinition[]> {
  const entry = invokedCommand(argv);
  if (!entry) return [];
  return Promise.all((entry.needsAll ? COMMAND_MANIFEST : [entry]).map((e) => e.load()));
}

/**
 * Runs the CLI and returns the exit code; the only place errors become exit codes.
 * Never calls `process.exit`.
 */
export async function main(argv: string[], deps: Deps = createDeps()): Promise<number> {
  const session: Session = { contexts: [] };
  const program = buildProgram(deps, session, await loadDefinitions(argv));
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
