import { Option } from '@commander-js/extra-typings';
import { defineCommand, spec, type FlagsOf } from '../shared/command.js';

export const migrateSpec = spec({
  options: [
    new Option('--from <backend>', 'where to copy from: local, mongo, or nedb (the files of the NeDB version)'),
    new Option('--to <backend>', 'where to copy to: mongo or local'),
    new Option('--nedb-dir <dir>', "with --from nedb: the NeDB version's folder (default: --data-dir)"),
    new Option(
      '--cleanup',
      'remove the nedb-backup-* folders of --data-dir, once every record in them is in the store',
    ),
    new Option('--dry-run', 'count what would be copied (or removed), write nothing'),
  ],
});
export type MigrateFlags = FlagsOf<typeof migrateSpec>;

export const migrateCommand = defineCommand({
  name: 'migrate',
  summary: 'Copy every record between the embedded store and MongoDB (idempotent; sealed fields untouched)',
  ...migrateSpec,
  details: `"local" is the embedded store in --data-dir; "mongo" is the database of --mongodb-uri / MONGODB_URI.
Documents keep their ids and stay sealed to the same keys (the keyring is copied with them);
RECEPTIONIST_BLIND_INDEX_KEY must go with them too. Running it again changes nothing. A document
from a newer receptionist, or one that fails validation, is skipped with a warning naming its id.
Afterwards every collection is counted in the target; a shortfall exits 3.
The embedded store imports a data directory of the NeDB version by itself on first open;
--from nedb does it on demand (into local or mongo, from any folder with --nedb-dir). The NeDB files of
--data-dir are then kept in nedb-backup-<time>/ until --cleanup, which checks every record is in the
store before it removes them (exit 3, nothing removed, when one is missing).
With --json: one object {from, to, dryRun, collections: [...], warnings: [...], backup?};
with --cleanup {dryRun, store, backups: [{path, records, inStore, removed}]}.`,
  examples: [
    'receptionist migrate --from nedb --to local --nedb-dir ./old-receptionist-data',
    'receptionist migrate --cleanup --dry-run',
    'MONGODB_URI=mongodb+srv://user:pass@cluster/clinic receptionist migrate --from local --to mongo',
    'receptionist migrate --from mongo --to local --data-dir ./backup --json',
  ],
  load: () => import('./migrate.js').then((m) => m.migrate),
});
