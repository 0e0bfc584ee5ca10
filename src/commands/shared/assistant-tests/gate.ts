import { PartialFailureError, UserError } from '../../../errors.js';
import type { BotConfig } from '../../../domain/clinic.js';
import type { Context } from '../context.js';
import { renderText, verdictError } from './report.js';
import { runTest } from './run.js';

/**
 * `sync --test` (or `clinic.testBeforeSync`): the project's scripted tests run on Vapi against the
 * config about to be published, as a transient assistant, before anything is written. Simulated
 * tests are left to `receptionist test` (they need a public URL to this run's serve); the summary
 * says so. The summary goes to stderr (sync's stdout is its plan).
 * @throws UserError (a test failed: exit 1), UsageError (a test file is wrong: exit 2),
 *   UntestedError (a run could not be made: exit 9), and what `runTest` throws
 */
export async function testBeforePublishing(config: BotConfig, ctx: Context): Promise<void> {
  ctx.io.info('Testing the config before publishing it (sync --test):');
  const summary = await runTest(
    {
      files: [],
      mode: 'vapi',
      candidate: true,
      realStore: false,
      repeat: 1,
      minPassRate: 1,
      transport: 'chat',
      port: 0,
      timeoutMs: 600_000,
    },
    ctx,
    { config, scriptedOnly: true },
  );
  renderText(summary, { ...ctx.io, line: (text: string) => ctx.io.info(text) });
  const error = verdictError(summary);
  if (!error) return;
  if (error instanceof PartialFailureError)
    throw new UserError(
      `Nothing was published: ${error.message.replace(/\.$/, '')} on the config about to be synced.`,
      'Fix the config (or the tests), then sync again; `receptionist test --candidate` runs them on their own.',
    );
  throw error;
}
