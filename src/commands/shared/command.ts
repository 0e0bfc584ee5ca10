import { Command } from 'commander';
import type { Argument, InferArgument, InferOptions, Option } from '@commander-js/extra-typings';
import type { Deps } from '../../deps.js';
import type { Env } from '../../env.js';
import type { IO } from '../../io.js';
import { globalsOf, type GlobalOptions } from './globals.js';
import type { Context } from './context.js';
import { examples } from './help.js';

/**
 * The one way to write a command (CONTRIBUTING.md "Add a command"). A command's `index.ts` is a
 * {@link defineCommand} definition only (commander and types, so `--help` stays cheap); its run
 * module, loaded on use, exports an {@link implement}ed {@link CommandModule}:
 *
 * - `parse(flags, env, now)`: pure; flags and positional arguments (by name) → typed options.
 *   Usage errors are thrown here, before anything is opened.
 * - `run(options, ctx)`: does the work through the {@link Context} and returns data.
 * - `render(result, options, out)`: that data as a table, CSV or JSON on stdout.
 */
export interface CommandModule<O, R, F = Flags> {
  /** @throws UsageError for a bad flag or argument */
  parse: (flags: F, env: Env, now: Date) => O;
  run(options: O, ctx: Context): Promise<R>;
  /** May return a promise (output written as it is read); the store stays open until it settles. */
  render?(result: R, options: O, out: RenderContext): void | Promise<void>;
}

/** Commander's parsed flags (camelCase), plus the positional arguments under their names. */
export type Flags = Record<string, unknown>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Option, whatever its inferred types
type AnyOption = Option<any, any, any, any, any, any>;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any Argument, whatever its inferred types
type AnyArgument = Argument<any, any, any, any, any>;

/**
 * What a leaf command takes: its positional arguments and options, built with the typed `Argument`
 * and `Option` of `@commander-js/extra-typings` (commander's own classes at run time). Declared with
 * {@link spec}, so that {@link FlagsOf} can give the run module's `parse` its flags' type.
 */
export interface Spec {
  // `unknown`, not `Option<any, …>`: a constraint of any would contextually type each `new Option(…)`
  // and erase the types inferred from it. The definition that spreads the spec checks the classes.
  arguments?: readonly unknown[];
  /** Options; the shared builders in `./flags.ts` return tuples, which are flattened. */
  options?: readonly unknown[];
}

/** A leaf's {@link Spec}, its option and argument types kept (a `const` identity). */
export const spec = <const S extends Spec>(s: S): S => s;

type Camel<S extends string> = S extends `${infer W}-${infer Rest}` ? Camel<`${W}${Capitalize<Rest>}`> : S;
type Simplify<T> = { [K in keyof T]: T[K] };
type ArgName<U extends string> = U extends `<${infer N}>` | `[${infer N}]`
  ? Camel<N extends `${infer V}...` ? V : N>
  : Camel<U>;
type FlagsOfArgument<A> =
  A extends Argument<infer U, infer D, infer C, infer Req extends boolean | undefined, infer Ch>
    ? undefined extends InferArgument<U, D, C, Req, Ch>
      ? { [K in ArgName<U>]?: InferArgument<U, D, C, Req, Ch> }
      : { [K in ArgName<U>]: InferArgument<U, D, C, Req, Ch> }
    : never;
type FlagsOfOption<O> =
  O extends Option<infer U, infer P, infer D, infer C, infer M extends boolean, infer Ch>
    ? InferOptions<object, U, D, C, M, P, Ch>
    : never;
type FlagsOfArguments<T> = T extends readonly [infer H, ...infer R]
  ? FlagsOfArgument<H> & FlagsOfArguments<R>
  : unknown;
type FlagsOfOptions<T> = T extends readonly [infer H, ...infer R]
  ? (H extends readonly unknown[] ? FlagsOfOptions<H> : FlagsOfOption<H>) & FlagsOfOptions<R>
  : unknown;

/**
 * The flags a leaf's `parse` receives, from its {@link Spec}: each option under its camelCase name
 * with the type commander gives it (`string | undefined`, `true | undefined`, a `.choices()` union,
 * an `.argParser()` result; mandatory or defaulted options are never undefined), and each positional
 * argument under its name (`<numbers...>` → `numbers: string[]`).
 */
export type FlagsOf<S extends Spec> = Simplify<FlagsOfArguments<S['arguments']> & FlagsOfOptions<S['options']>>;

/** What `render` may use: where to write, and the global options (--json, colors). */
export interface RenderContext {
  io: IO;
  globals: GlobalOptions;
  now: () => Date;
}

export interface CommandDefinition {
  name: string;
  /** One line, shown in the parent's command list. */
  summary: string;
  arguments?: readonly AnyArgument[];
  /** Options; the shared builders in `./flags.ts` return tuples, which are flattened. */
  options?: ReadonlyArray<AnyOption | readonly AnyOption[]>;
  /** Help text after the options and before the examples (a function for text built on demand). */
  details?: string | (() => string);
  /** Command lines shown under "Examples:"; every leaf command has some. */
  examples?: string[];
  /** The run module's {@link CommandModule}; leaf commands only. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module has its own flag, option and result types
  load?: () => Promise<CommandModule<any, any, any>>;
  subcommands?: CommandDefinition[];
}

/** A command definition (typed identity; see {@link CommandModule}). */
export const defineCommand = (def: CommandDefinition): CommandDefinition => def;

/** The `parse` of a leaf that takes no flags. */
export const noFlags = (): undefined => undefined;

/** A run module's parse/run/render, typed together. */
export const implement = <O, R, F = Flags>(m: CommandModule<O, R, F>): CommandModule<O, R, F> => m;

/** The contexts of one `main` invocation, closed by `main` in its `finally`. */
export interface Session {
  contexts: Context[];
}

/** The commander command for a definition; its action parses, builds the context, runs and renders. */
export function toCommander(def: CommandDefinition, deps: Deps, session: Session): Command {
  const cmd = new Command(def.name).description(def.summary);
  for (const a of def.arguments ?? []) cmd.addArgument(a);
  for (const o of (def.options ?? []).flat()) cmd.addOption(o);
  if (def.details || def.examples?.length)
    cmd.addHelpText('after', () => {
      const details = typeof def.details === 'function' ? def.details() : def.details;
      return `${details ? `\n${details.replace(/^\n+/, '')}\n` : ''}${def.examples?.length ? examples(...def.examples) : ''}`;
    });
  for (const sub of def.subcommands ?? []) cmd.addCommand(toCommander(sub, deps, session));
  const load = def.load;
  if (load)
    cmd.action(async (...args: unknown[]) => {
      const c = args[args.length - 1] as Command;
      const own = c.opts() as Flags;
      const flags = flagsOf(c, args);
      const impl = (await load()) as CommandModule<unknown, unknown>;
      const options = impl.parse(flags, deps.env, deps.now());
      // Loaded here, not at start: `--help` needs none of what a context brings (keys, Vapi, crypto).
      const { createContext } = await import('./context.js');
      const ctx = createContext(deps, {
        globals: globalsOf(c, deps),
        commandPath: commandPath(c),
        program: root(c),
        connection: {
          vapiKey: typeof own.vapiKey === 'string' ? own.vapiKey : undefined,
          username: typeof own.username === 'string' ? own.username : undefined,
          passwordStdin: own.passwordStdin === true,
        },
      });
      session.contexts.push(ctx);
      const result = await impl.run(options, ctx);
      await impl.render?.(result, options, ctx);
    });
  return cmd;
}

/**
 * The flags a leaf's `parse` gets: commander's parsed options (camelCase) with the positional
 * arguments added under their names. `args` are the action's arguments (positional values first).
 * @throws Error when an argument has the name of an option (a definition bug)
 */
export function flagsOf(c: Command, args: readonly unknown[]): Flags {
  const flags: Flags = { ...c.opts() };
  c.registeredArguments.forEach((a, i) => {
    const name = camel(a.name());
    if (c.options.some((o) => o.attributeName() === name))
      throw new Error(`${commandPath(c)}: argument <${a.name()}> has the name of an option`);
    flags[name] = args[i];
  });
  return flags;
}

const camel = (s: string) => s.replace(/-(\w)/g, (_, ch: string) => ch.toUpperCase());

function root(c: Command): Command {
  let r = c;
  while (r.parent) r = r.parent;
  return r;
}

/** "receptionist users add" */
function commandPath(c: Command): string {
  const names: string[] = [];
  for (let x: Command | null = c; x; x = x.parent) names.unshift(x.name());
  return names.join(' ');
}
