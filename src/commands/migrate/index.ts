import { Option } from 'commander';
import { defineCommand } from '../shared/command.js';

export const migrateCommand = defineCommand({
  name: 'migrate',
  summary: 'Copy every record between the embedded store and MongoDB (idempotent; sealed fields untouched)',
  options: [
    new Option('--from <backend>', 'where to copy from: local or mongo').makeOptionMandatory(),
    new Option('--to <backend>', 'where to copy to: mongo or local').makeOptionMandatory(),
    new Option('--dry-run', 'count what would be copied, write nothing'),
  ],
  details: `"local" is the embedded store in --data-dir; "mongo" is the database of --mongodb-uri / MONGODB_URI.
Documents keep their ids and stay sealed to the same keys (the keyring is copied with them);
RECEPTIONIST_BLIND_INDEX_KEY must go with them too. Running it again changes nothing. A document
from a newer receptionist, or one that fails validation, is skipped with a warning naming its id.
Afterwards every collection is counted in the target; a shortfall exits 3.
With --json: one object {from, to, dryRun, collections: [...], warnings: [...]}.`,
  examples: [
    'MONGODB_URI=mongodb+srv://user:pass@cluster/clinic receptionist migrate --from local --to mongo',
    'receptionist migrate --from mongo --to local --data-dir ./backup --json',
  ],
  load: () => import('./migrate.js').then((m) => m.migrate),
});
