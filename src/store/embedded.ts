import fs from 'node:fs';
import path from 'node:path';
import type { CallLogStore, Store } from './types.js';
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
 * `--log-to csv`: call logs stay in `store` (the record that is queried and acknowledged), and
 * every new one is also appended to `<dataDir>/calls.csv` for spreadsheets (fsynced, checksummed,
 * formula-safe cells). The CSV is derived: on open, calls the store has and the CSV lacks at its
 * end (a crash between the two writes) are appended; a failed CSV append is a warning, never a
 * lost call. One process at a time writes the CSV (the data directory's lock), taken on the first
 * call-log write (at once with `eager`, as serve does), so other commands never wait on it;
 * reading opens nothing. Closing closes the CSV, the lock and `store`.
 * @throws StoreError (the CSV is locked by another writer, or damaged)
 */
export async function withCsvCallLogs(
  store: Store,
  dataDir: string,
  opts: { readOnly?: boolean; purpose: string; onWarning?: (message: string) => void; eager?: boolean },
): Promise<Store> {
  if (opts.readOnly) return store;
  const warn = opts.onWarning ?? (() => {});
  const file = path.join(dataDir, 'calls.csv');
  // The CSV (and its lock) is opened when a call log is first written, so `config set` and the
  // like never wait on a running serve; `eager` (serve) opens it, and catches it up, at once.
  let opened: Promise<{ csv: CsvCallLog; release: () => void }> | undefined;
  const csv = () =>
    (opened ??= (async () => {
      ensurePrivateDir(dataDir, 'data directory');
      const lock = acquireDirLock(dataDir, opts.purpose);
      try {
        const log = await CsvCallLog.open(file, warn);
        await catchUp(store, log, warn);
        return { csv: log, release: () => lock.release() };
      } catch (err) {
        lock.release();
        throw err;
      }
    })());
  if (opts.eager) await csv();
  const callLogs: CallLogStore = {
    has: (id) => store.callLogs.has(id),
    list: (q) => store.callLogs.list(q),
    stream: (q) => store.callLogs.stream(q),
    totals: (q) => store.callLogs.totals(q),
    async append(record) {
      const added = await store.callLogs.append(record);
      if (added)
        await csv()
          .then(({ csv: log }) => log.append(record))
          .catch((err: unknown) =>
            warn(
              `${file}: call ${record.callId} is in the store but not yet in the CSV (${(err as Error).message}); it is added on the next start.`,
            ),
          );
      return added;
    },
    async rewrite(transform) {
      const n = await store.callLogs.rewrite(transform);
      if (n) await (await csv()).csv.replaceAll(await store.callLogs.list());
      return n;
    },
  };
  return {
    ...store,
    location: `${store.location}, call logs also in ${file}`,
    callLogs,
    async close() {
      if (opened) {
        const o = await opened.catch(() => undefined);
        if (o) {
          await o.csv.close();
          o.release();
        }
      }
      await store.close();
    },
  };
}

/** Appends, oldest first, the calls the store holds that ended after the CSV's last row and are not in it. */
async function catchUp(store: Store, csv: CsvCallLog, warn: (m: string) => void): Promise<void> {
  const [last] = await csv.list({ limit: 1 });
  // A day back from the CSV's newest row: reports arrive within minutes of their call's end.
  const since = last ? new Date(Date.parse(last.endedAt || last.receivedAt) - 86_400_000) : undefined;
  const missing = [];
  for (const r of await store.callLogs.list({ since })) if (!(await csv.has(r.callId))) missing.push(r);
  for (const r of missing.reverse()) await csv.append(r);
  if (missing.length) warn(`calls.csv lacked ${missing.length} call(s) the store holds; they were appended.`);
}

/** Rewrites `<dataDir>/calls.csv` from the store (`logs export --csv`). Returns the rows written. @throws StoreError (locked) */
export async function rebuildCsv(
  store: Store,
  dataDir: string,
  purpose: string,
): Promise<{ file: string; rows: number }> {
  const file = path.join(dataDir, 'calls.csv');
  ensurePrivateDir(dataDir, 'data directory');
  const lock = acquireDirLock(dataDir, purpose);
  try {
    const csv = await CsvCallLog.open(file, () => {});
    const rows = await store.callLogs.list();
    await csv.replaceAll(rows);
    await csv.close();
    return { file, rows: rows.length };
  } finally {
    lock.release();
  }
}
