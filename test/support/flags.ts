import { Command } from 'commander';
import { flagsOf, type FlagsOf, type Spec } from '../../src/commands/shared/command.js';

/**
 * The flags a leaf's `parse` would get for `argv` (words after the command's name), parsed by
 * commander from the leaf's own {@link Spec}: defaults, choices, argParsers and mandatory options
 * as on the command line. Commander's own usage errors are thrown as its `CommanderError`.
 */
export function flagsFrom<S extends Spec>(s: S, argv: string[]): FlagsOf<S> {
  const cmd = new Command('leaf').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  for (const a of s.arguments ?? []) cmd.addArgument(a as never);
  for (const o of (s.options ?? []).flat()) cmd.addOption(o as never);
  let flags: unknown;
  cmd.action((...args: unknown[]) => {
    flags = flagsOf(args[args.length - 1] as Command, args);
  });
  cmd.parse(argv, { from: 'user' });
  return flags as FlagsOf<S>;
}
