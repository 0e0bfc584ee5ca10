import { Command, type Argument, type Option } from 'commander';
import type { Deps } from '../../deps.js';
import type { Env } from '../../env.js';
import type { IO } from '../../io.js';
import { globalsOf, type GlobalOptions } from './globals.js';
import { createContext, type Context } from './context.js';
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
export interface CommandModule<O, R> {
  /** @throws UsageError for a bad flag or argument */
  parse(flags: Flags, env: Env, now: Date): O;
  run(options: O, ctx: Context): Promise<R>;
  /** May return a promise (output written as it is read); the store stays open until it settles. */
  render?(result: R, options: O, out: RenderContext): void | Promise<void>;
}

/** Commander's parsed flags (camelCase), plus the positional arguments under their names. */
export type Flags = Record<string, unknown>;

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
  arguments?: Argument[];
  /** Options; the shared builders in `./flags.ts` return arrays, which are flattened. */
  options?: Array<Option | Option[]>;
  /** Help text after the options and before the examples (a function for text built on demand). */
  details?: string | (() => string);
  /** Command lines shown under "Examples:"; every leaf command has some. */
  examples?: string[];
  /** The run module's {@link CommandModule}; leaf commands only. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each module has its own option and result types
  load?: () => Promise<CommandModule<any, any>>;
  subcommands?: CommandDefinition[];
}

/** A command definition (typed identity; see {@link CommandModule}). */
export const defineCommand = (def: CommandDefinition): CommandDefinition => def;

/** A run module's parse/run/render, typed together. */
export const implement = <O, R>(m: CommandModule<O, R>): CommandModule<O, R> => m;

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
      const flags: Flags = { ...own };
      c.registeredArguments.forEach((a, i) => {
        const name = camel(a.name());
        if (c.options.some((o) => o.attributeName() === name))
          throw new Error(`${commandPath(c)}: argument <${a.name()}> has the name of an option`);
        flags[name] = args[i];
      });
      const impl = (await load()) as CommandModule<unknown, unknown>;
      const options = impl.parse(flags, deps.env, deps.now());
      const ctx = createContext(deps, {
        globals: globalsOf(c, deps),
        commandPath: commandPath(c),
        program: root(c),
        connection: {
          vapiKey: own.vapiKey as string | undefined,
          username: own.username as string | undefined,
          passwordStdin: own.passwordStdin as boolean | undefined,
        },
      });
      session.contexts.push(ctx);
      const result = await impl.run(options, ctx);
      await impl.render?.(result, options, ctx);
    });
  return cmd;
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
