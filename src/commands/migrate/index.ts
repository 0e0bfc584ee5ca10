import { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { globalsOf } from '../shared/globals.js';

export interface MigrateFlags {
  from?: string;
  to?: string;
  dryRun?: boolean;
}

export const migrateCommand = (deps: Deps) =>
  new Command('migrate')
    .description('Copy every record between the embedded store and MongoDB (idempotent; sealed fields untouched)')
    .requiredOption('--from <backend>', 'where to copy from: local or mongo')
    .requiredOption('--to <backend>', 'where to copy to: mongo or local')
    .option('--dry-run', 'count what would be copied, write nothing')
    .addHelpText(
      'after',
      `
"local" is the embedded store in --data-dir; "mongo" is the database of --mongodb-uri / MONGODB_URI.
Documents keep their ids and stay sealed to the same keys (the keyring is copied with them);
RECEPTIONIST_BLIND_INDEX_KEY must go with them too. Running it again changes nothing. A document
from a newer receptionist, or one that fails validation, is skipped with a warning naming its id.
Afterwards every collection is counted in the target; a shortfall exits 3.

Examples:
  MONGODB_URI=mongodb+srv://user:pass@cluster/clinic receptionist migrate --from local --to mongo
  receptionist migrate --from mongo --to local --data-dir ./backup --json`,
    )
    .action(async (flags: MigrateFlags, cmd: Command) => {
      const { runMigrate } = await import('./migrate.js');
      const { progressBar, renderMigrate } = await import('./render.js');
      const g = globalsOf(cmd, deps);
      const result = await runMigrate(flags, g, deps, progressBar(g, deps.io));
      renderMigrate(result, g, deps.io);
    });
