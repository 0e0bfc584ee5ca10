import type { IO } from './io.js';
import { CancelledError } from './errors.js';

/**
 * All prompts go through this seam (tests replace it). Prompts write to stderr so stdout
 * stays data. Ctrl-C becomes `CancelledError` (exit 130, quiet).
 */
export interface Prompter {
  input(message: string): Promise<string>;
  /** Hidden input. */
  password(message: string): Promise<string>;
  /** One of `choices` (value shown as name unless given). */
  select(message: string, choices: Array<{ value: string; name?: string; description?: string }>): Promise<string>;
}

export function createPrompter(io: IO): Prompter {
  // stdin is opened when a prompt asks, not before: most commands never read it.
  type Context = Parameters<typeof import('@inquirer/prompts').input>[1];
  const context = () => ({ input: io.stdin, output: io.err }) as Context;
  const cancelled = (err: unknown): never => {
    if (err instanceof Error && err.name === 'ExitPromptError') throw new CancelledError();
    throw err;
  };
  return {
    async input(message) {
      const { input } = await import('@inquirer/prompts');
      return input({ message }, context()).catch(cancelled);
    },
    async select(message, choices) {
      const { select } = await import('@inquirer/prompts');
      return select({ message, choices, pageSize: 15 }, context()).catch(cancelled);
    },
    async password(message) {
      const { password } = await import('@inquirer/prompts');
      return password({ message, mask: false }, context()).catch(cancelled);
    },
  };
}
