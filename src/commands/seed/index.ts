import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export const seedCommand = (deps: Deps) =>
  new Command('seed')
    .description('Write the default bot config and sample clinic/AC data from templates/ into the store')
    .option('--force', 'overwrite records that already exist')
    .addHelpText('after', '\nExamples:\n  receptionist seed\n  receptionist seed --force --data-dir ./demo-store')
    .action(async (flags: { force?: boolean }, cmd: Command) => {
      const { runSeed, renderSeed } = await import('./seed.js');
      const g = globalsOf(cmd, deps);
      renderSeed(await runSeed({ force: Boolean(flags.force) }, g, deps), g, deps.io);
    });
