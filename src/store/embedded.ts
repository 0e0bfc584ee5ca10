import fs from 'node:fs';
import path from 'node:path';
import type { Store } from './types.js';
import { ensurePrivateDir } from './private-dir.js';
import { openSqliteStore, STORE_FILE } from './sqlite/index.js';
import { holdsNedbStore } from './sqlite/import-nedb.js';
import { CsvCallLog } from './local/csv-call-log.js';
import { acquireDirLock } from './local/lock.js';

/**
 * The embedded store (SQLite in `<dir>/receptionist.db`; a NeDB-version folder is imported on
 * first open). `readOnly` reads only; any number of processes may open it at once.
 * @throws StoreError
 */
export function openEmbeddedStore(opts: {
  dir: string;
  readOnly?: boolean;
  busyTimeoutMs?: number;
  onWarning?: (message: string) => void;
}): Promise<Store> {
  return openSqliteStore(opts);
}

/** Does this folder hold an embedded store (the SQLite file, or a NeDB-version store to import)? */
export function holdsEmbeddedStore(dir: string): boolean {
  return fs.existsSync(path.join(dir, STORE_FILE)) || holdsNedbStore(dir);
}

/**
 * `store` with its call logs in `<dataDir>/calls.csv` (`--log-to csv`: fsynced, checksummed,
 * formula-safe cells). Writing takes the data directory's lock (one CSV writer at a time);
 * reading takes a snapshot. Closing closes the CSV, the lock and `store`.
 * @throws StoreError (locked, a damaged CSV)
 */
export async function withCsvCallLogs(
  store: Store,
  dataDir: string,
  opts: { readOnly?: boolean; purpose: string; onWarning?: (message: string) => void },
): Promise<Store> {
  const file = path.join(dataDir, 'calls.csv');
  if (opts.readOnly) return { ...store, callLogs: await CsvCallLog.snapshot(file) };
  ensurePrivateDir(dataDir, 'data directory');
  const lock = acquireDirLock(dataDir, opts.purpose);
  try {
    const callLogs = await CsvCallLog.open(file, opts.onWarning ?? (() => {}));
    return {
      ...store,
      location: `${store.location}, call logs in ${file}`,
      callLogs,
      async close() {
        await callLogs.close();
        lock.release();
        await store.close();
      },
    };
  } catch (err) {
    lock.release();
    throw err;
  }
}
