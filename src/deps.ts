import path from 'node:path';
import { createEnv, type Env } from './env.js';
import { createProcessIO, type IO } from './io.js';
import { createPrompter, type Prompter } from './prompter.js';
import { ngrokTunnels, type TunnelFactory } from './tunnel/index.js';

// Every command starts here, `--help` too. An ES import of a builtin builds a facade that reads all
// its exports, and fs's and util's lazy ones (file streams, TextDecoder) load with it: ~4 ms of a
// 50 ms `--help` (PERF-3). The modules themselves, as CommonJS gives them, cost nothing more.
const fs = process.getBuiltinModule('node:fs');
const { parseEnv } = process.getBuiltinModule('node:util');

/**
 * Everything a command touches outside its own logic. `createDeps()` is the only place that
 * reads `process.*`; tests build their own. Nothing here connects anywhere until asked.
 */
export interface Deps {
  io: IO;
  env: Env;
  /** The clock. */
  now: () => Date;
  /** Waits `ms` milliseconds (an unlock slowed after repeated failures); tests record it instead. */
  sleep: (ms: number) => Promise<void>;
  cwd: string;
  /**
   * The project: the nearest folder, `cwd` or a parent, that holds a `.receptionist` store (found
   * the way git finds `.git`), else `cwd`. The default store and `.env` live here, so a command run
   * from a subfolder uses the same ones.
   */
  projectDir: string;
  prompter: Prompter;
  /** HTTP client (`trigger`). */
  fetch: typeof fetch;
  /**
   * Subscribes to SIGINT/SIGTERM, and to a fatal error (an uncaught exception or unhandled
   * rejection: `reason` 'fatal' with the error); returns the unsubscribe function.
   * Long-running commands use it to close cleanly and undo what they changed.
   */
  onShutdown: (handler: (reason: string, error?: unknown) => void) => () => void;
  /** Opens public tunnels (`serve --tunnel`): ngrok; a fake in tests. */
  tunnel: TunnelFactory;
}

/** The nearest of `cwd` and its parents that holds a `.receptionist` directory, else `cwd`. */
export function findProjectDir(cwd: string): string {
  for (let dir = path.resolve(cwd); ; dir = path.dirname(dir)) {
    try {
      if (fs.statSync(path.join(dir, '.receptionist')).isDirectory()) return dir;
    } catch {
      // not here: look one level up
    }
    if (path.dirname(dir) === dir) return path.resolve(cwd);
  }
}

/** Reads `.env` from `cwd` if present (Node's own parser, same syntax as dotenv). */
export function readDotenv(cwd: string): { values: Record<string, string>; path: string } {
  const file = path.join(cwd, '.env');
  try {
    return { values: parseEnv(fs.readFileSync(file, 'utf8')) as Record<string, string>, path: file };
  } catch {
    return { values: {}, path: file };
  }
}

export function createDeps(): Deps {
  const cwd = process.cwd();
  const projectDir = findProjectDir(cwd);
  const dotenv = readDotenv(projectDir);
  const io = createProcessIO();
  return {
    io,
    prompter: createPrompter(io),
    env: createEnv(process.env, dotenv.values, '.env'),
    now: () => new Date(),
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    cwd,
    projectDir,
    fetch: globalThis.fetch,
    onShutdown(handler) {
      const on = (signal: NodeJS.Signals) => handler(signal);
      const fatal = (err: unknown) => handler('fatal', err);
      process.on('SIGINT', on);
      process.on('SIGTERM', on);
      process.on('uncaughtException', fatal);
      process.on('unhandledRejection', fatal);
      return () => {
        process.off('SIGINT', on);
        process.off('SIGTERM', on);
        process.off('uncaughtException', fatal);
        process.off('unhandledRejection', fatal);
      };
    },
    tunnel: ngrokTunnels,
  };
}

/**
 * Facts about this OS process, for the few places that must name it: the lock file and the
 * tunnel record (which process holds them, and is it still alive), a temp-file suffix, and the
 * Node version `preflight` checks. The only reads of `process.*` outside `createDeps`.
 */
export const thisProcess = {
  /** This process's pid. */
  pid: process.pid,
  /** "24.11.0" */
  nodeVersion: process.versions.node,
  /** True while a process with this pid exists (EPERM: it exists but is not ours). */
  isAlive(pid: number): boolean {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  },
};
