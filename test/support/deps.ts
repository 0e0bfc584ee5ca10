import { createTestIO, type TestIO } from '../../src/io.js';
import { createEnv } from '../../src/env.js';
import type { Deps } from '../../src/deps.js';
import type { Prompter } from '../../src/prompter.js';

/** A prompter that answers from a script and records what it was asked. */
export function scriptedPrompter(answers: string[] = []): Prompter & { asked: string[] } {
  const asked: string[] = [];
  const next = async (message: string) => {
    asked.push(message);
    const a = answers.shift();
    if (a === undefined) throw new Error(`unexpected prompt: ${message}`);
    return a;
  };
  return { asked, input: next, password: next, select: (message: string) => next(message) };
}

/** Deps for in-process command tests: buffers for IO, a fixed clock, no network. */
export function testDeps(
  opts: {
    env?: Record<string, string>;
    dotenv?: Record<string, string>;
    cwd?: string;
    tty?: boolean;
    answers?: string[];
    stdin?: NodeJS.ReadableStream;
    fetch?: typeof fetch;
    /** Opens tunnels (default: none in tests). */
    tunnel?: Deps['tunnel'];
  } = {},
): Deps & { io: TestIO; prompter: ReturnType<typeof scriptedPrompter>; slept: number[] } {
  const slept: number[] = [];
  return {
    slept,
    sleep: async (ms) => {
      slept.push(ms);
    },
    io: createTestIO({ isTTY: opts.tty, stdin: opts.stdin }),
    env: createEnv(opts.env ?? {}, opts.dotenv ?? {}, '.env'),
    prompter: scriptedPrompter(opts.answers),
    now: () => new Date('2026-11-21T04:30:00Z'),
    cwd: opts.cwd ?? '/tmp',
    projectDir: opts.cwd ?? '/tmp',
    fetch: opts.fetch ?? (() => Promise.reject(new Error('no network in tests'))),
    onShutdown: () => () => {},
    tunnel: opts.tunnel ?? { open: () => Promise.reject(new Error('no tunnel in tests')) },
  };
}
