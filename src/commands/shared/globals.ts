import path from 'node:path';
import type { Command } from 'commander';
import type { Deps } from '../../deps.js';
import { resolveSetting, type Resolved } from '../../settings.js';

/** Flags every command accepts (defined on the root program). */
export interface GlobalOptions {
  dataDir: Resolved<string>;
  /** Set when the MongoDB store is selected. */
  mongodbUri?: Resolved<string>;
  /** Where call logs go: `mongo` (`call_logs`), or `csv` (the store, plus `<data-dir>/calls.csv`); default: the store's own. */
  logTo?: Resolved<string>;
  json: boolean;
  color: boolean;
  debug: boolean;
}

export function globalsOf(command: Command, deps: Deps): GlobalOptions {
  const o = command.optsWithGlobals() as {
    dataDir?: string;
    mongodbUri?: string;
    logTo?: string;
    json?: boolean;
    color?: boolean;
    debug?: boolean;
  };
  const dir = resolveSetting('data-dir', o.dataDir, 'RECEPTIONIST_DATA_DIR', deps.env, '.receptionist');
  return {
    // A flag or environment value is relative to where the command runs; the default, and a value
    // from the project's .env, to the project (so a subfolder finds the same store).
    dataDir: {
      value: path.resolve(
        dir.source === 'default' || dir.source.endsWith('.env') ? deps.projectDir : deps.cwd,
        dir.value,
      ),
      source: dir.source,
    },
    mongodbUri: resolveSetting('mongodb-uri', o.mongodbUri, 'MONGODB_URI', deps.env),
    logTo: resolveSetting('log-to', o.logTo, 'RECEPTIONIST_LOG_TO', deps.env),
    json: Boolean(o.json),
    color: o.color !== false && deps.io.color,
    debug: Boolean(o.debug) || deps.env.get('DEBUG')?.value === '1',
  };
}
