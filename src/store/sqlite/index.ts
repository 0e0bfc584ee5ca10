import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import {
  COLLECTIONS,
  INDEXES,
  StoreUnavailableError,
  SUPERSEDED_INDEXES,
  type AuditEntry,
  type ChatRecord,
  type Collection,
  type CollectionName,
  type Doc,
  type IndexSpec,
  type RecordedMessage,
  type Store,
} from '../types.js';
import { StoreError } from '../../errors.js';
import { thisProcess } from '../../deps.js';
import { ensurePrivateDir, removeStaleCopies, tightenFiles, tightenMode } from '../private-dir.js';
import { collectionDdl, indexName, SqliteCollection, type BadRecordSink } from './collection.js';
import { printable } from '../../io.js';
import {
  atomically,
  configure,
  endGroupCommit,
  fileOf,
  groupCommit,
  MALFORMED_JSON,
  transaction,
  whenFree,
} from './db.js';
import { LOGS_DDL, SqliteAppendLog, SqliteCallLog } from './logs.js';
import { importNedbStore, holdsNedbStore } from './import-nedb.js';

/** The embedded store's file in the data directory. */
export const STORE_FILE = 'receptionist.db';

/**
 * Schema migrations, in order; `PRAGMA user_version` is how many have run. A store from a newer
 * receptionist (a higher version) is refused rather than misread. The collections' indexes are
 * not here: they follow `INDEXES` and are made on open (see {@link openSqliteStore}).
 */
const MIGRATIONS: string[][] = [
  [...COLLECTIONS.flatMap((name) => collectionDdl(name, [])), ...LOGS_DDL],
  // 2: clinic holidays; a no-op on a store the first one made with it.
  collectionDdl('holidays', []),
  // 3: the notification outbox and outgoing webhooks.
  [...collectionDdl('outbox', []), ...collectionDdl('webhooks', [])],
];

export interface SqliteStoreOptions {
  /** Data directory; created if missing (unless read-only). */
  dir: string;
  /** The store is read, never written (commands that only read); safe while others write. */
  readOnly?: boolean;
  /** How long a write waits for another process's transaction, ms (`serve` waits less: a caller is on the line). */
  busyTimeoutMs?: number;
  onWarning?: (message: string) => void;
}

/**
 * The embedded store: one SQLite file (`<dir>/receptionist.db`, Node's built-in `node:sqlite`),
 * WAL; a writer's commits are made durable by group commit (`groupCommit` in db.ts). Any number of processes may read and write it at once (`serve` and
 * every command). A data directory written by the NeDB version is imported on first open; its
 * files move to `<dir>/nedb-backup-<time>/`.
 * @throws StoreError (not a receptionist store, newer schema, unreadable, not writable)
 */
export async function openSqliteStore(opts: SqliteStoreOptions): Promise<Store> {
  const dir = path.resolve(opts.dir);
  const file = path.join(dir, STORE_FILE);
  const warn = opts.onWarning ?? (() => {});
  let exists = fs.existsSync(file);
  if (!opts.readOnly) {
    ensurePrivateDir(dir, 'data directory');
    // The store file, its -wal and -shm, also when an older build or a copy left them readable by others.
    tightenFiles(dir, [STORE_FILE], 'store file');
  } else if (exists) {
    // A command that only reads tightens what it can too (patients' data must not stay world-readable);
    // a file of another owner is said, not fatal, since reading it is all this command does.
    try {
      tightenMode(dir, 0o700, 'data directory');
      tightenFiles(dir, [STORE_FILE], 'store file');
    } catch (err) {
      warn((err as Error).message);
    }
  }
  // Nothing to read: an empty store in memory (`sync --config` on a fresh checkout), never a new file.
  const legacy = !exists && holdsNedbStore(dir);
  const inMemory = Boolean(opts.readOnly) && !exists && !legacy;
  // `wx`: of two processes opening a new store at once, one creates the file (and imports); the other finds it.
  if (!inMemory && !exists) exists = !createPrivateFile(file);
  const db = inMemory ? new DatabaseSync(':memory:') : openFile(file);
  try {
    if (!inMemory) configure(db, opts.busyTimeoutMs);
    migrate(db, file);
    // The indexes of INDEXES, new ones included (IF NOT EXISTS: a no-op once there); before an import,
    // so the imported records meet the unique ones.
    if (!inMemory && (!opts.readOnly || !exists)) {
      for (const name of COLLECTIONS) for (const sql of collectionDdl(name, INDEXES[name])) db.exec(sql);
      for (const [name, specs] of Object.entries(SUPERSEDED_INDEXES) as Array<[CollectionName, IndexSpec[]]>)
        for (const ix of specs) db.exec(`DROP INDEX IF EXISTS ${indexName(name, ix)}`);
    }
    if (!exists && legacy) {
      // A damaged line is not imported, and stays in the backup folder with its whole file.
      const damaged: string[] = [];
      const imported = await importNedbStore(db, dir, (fn) => transaction(db, fn), {
        onDamaged: (m) => damaged.push(m),
      });
      for (const m of damaged)
        warn(`${m}; it was not imported and is kept, with its whole file, in ${imported.backup ?? dir}`);
      warn(
        `imported the NeDB store in ${dir} (${imported.total} records); the old files are in ${imported.backup}. Remove that folder once you have checked the store.`,
      );
    }
  } catch (err) {
    db.close();
    // A file this open created (a failed import, say) goes again, so the next open starts over.
    if (!exists && !inMemory) for (const f of [file, `${file}-wal`, `${file}-shm`]) fs.rmSync(f, { force: true });
    throw err;
  }
  if (!inMemory && !opts.readOnly) groupCommit(db, file);
  return storeOn(db, dir, Boolean(opts.readOnly), warn);
}

/**
 * A NeDB-version data directory (the files themselves, or a `nedb-backup-*` folder) read into an
 * in-memory store, read-only, its files left where they are: the source of `migrate --from nedb`
 * and what `migrate --cleanup` checks a backup against.
 * @throws StoreError (not such a folder, a damaged file)
 */
export async function openNedbSnapshot(dir: string): Promise<Store> {
  if (!holdsNedbStore(dir))
    throw new StoreError(`${dir} holds no store of the NeDB version (no ${COLLECTIONS[0]}.db, calls.csv, …).`);
  const db = new DatabaseSync(':memory:');
  try {
    migrate(db, ':memory:');
    for (const name of COLLECTIONS) for (const sql of collectionDdl(name, INDEXES[name])) db.exec(sql);
    await importNedbStore(db, dir, (fn) => transaction(db, fn), { keepFiles: true });
  } catch (err) {
    db.close();
    throw err;
  }
  return storeOn(db, `${dir} (NeDB version, read-only)`, true);
}

/**
 * A read-only store in memory holding `docs` (by collection), nothing else: what `serve` starts
 * from when MongoDB is unreachable (its local copy of the bot config and the public keys).
 * @throws StoreError (two documents with one `_id`)
 */
export async function openMemorySnapshot(
  docs: Partial<Record<CollectionName, Doc[]>>,
  location: string,
): Promise<Store> {
  const db = new DatabaseSync(':memory:');
  try {
    migrate(db, ':memory:');
    for (const name of COLLECTIONS) for (const sql of collectionDdl(name, INDEXES[name])) db.exec(sql);
    for (const [name, list] of Object.entries(docs) as Array<[CollectionName, Doc[]]>) {
      const col = new SqliteCollection(db, name, INDEXES[name], false);
      for (const doc of list) await col.insertOne(doc);
    }
  } catch (err) {
    db.close();
    throw err;
  }
  return storeOn(db, location, true);
}

function storeOn(
  db: DatabaseSync,
  location: string,
  readOnly: boolean,
  warn: (message: string) => void = () => {},
): Store {
  fileOf.set(db, path.join(location, STORE_FILE));
  // DUR-5: a record no read can use is kept out of every read and named once per process.
  const named = new Set<string>();
  const onBad: BadRecordSink = (collection, id, reason) => {
    const key = `${collection}/${id}`;
    if (named.has(key) || named.size > 1000) return;
    named.add(key);
    warn(
      `${collection} record ${printable(id)} cannot be read (${printable(reason)}): it is left as it is and skipped; every other record is served. \`receptionist preflight\` lists such records.`,
    );
  };
  const sqliteCollections = new Map<CollectionName, SqliteCollection<Doc>>(
    COLLECTIONS.map((name) => [name, new SqliteCollection(db, name, INDEXES[name], readOnly, onBad)]),
  );
  const collections = sqliteCollections as unknown as Map<CollectionName, Collection>;
  let closed = false;
  return {
    kind: 'local',
    location,
    collection<T extends Doc>(name: CollectionName) {
      return collections.get(name) as unknown as Collection<T>;
    },
    callLogs: new SqliteCallLog(db, readOnly),
    audit: new SqliteAppendLog<AuditEntry>(db, 'audit'),
    chats: new SqliteAppendLog<ChatRecord>(db, 'chats'),
    recordings: new SqliteAppendLog<RecordedMessage>(db, 'recordings'),
    atomically: (fn) => (readOnly ? fn() : atomically(db, fn)),
    async snapshot(fn) {
      await whenFree(db);
      // A private folder (mode 700) beside the store: the same file system, room for a copy of it.
      const parent = fs.existsSync(location) ? location : os.tmpdir();
      // A backup killed mid-way (kill -9, a full disk) leaves its copy: the next one removes it.
      removeStaleCopies(parent, '.snapshot-', { unnumberedAfterMs: 86_400_000 });
      const dir = fs.mkdtempSync(path.join(parent, `.snapshot-${thisProcess.pid}-`));
      try {
        const file = path.join(dir, STORE_FILE);
        try {
          db.exec(`VACUUM INTO '${file.replaceAll("'", "''")}'`);
        } catch (err) {
          throw new StoreUnavailableError(`Cannot copy the store for a snapshot: ${(err as Error).message}`, {
            cause: err,
          });
        }
        const copy = storeOn(openFile(file), dir, true, warn);
        try {
          return await fn(copy, 'sqlite-vacuum-into');
        } finally {
          await copy.close();
        }
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    },
    async badRecords() {
      await whenFree(db);
      return COLLECTIONS.flatMap((collection) =>
        sqliteCollections
          .get(collection)!
          .badRecords()
          .map((r) => ({ collection, ...r })),
      );
    },
    async highWater() {
      await whenFree(db);
      const max = (sql: string) => Number((db.prepare(sql).get() as { m: number | null }).m ?? 0);
      return {
        callLogs: max('SELECT max(rowid) AS m FROM call_logs'),
        audit: max('SELECT max(seq) AS m FROM log_audit'),
      };
    },
    async checkpoint(full) {
      if (readOnly) return;
      await whenFree(db);
      db.exec(`PRAGMA wal_checkpoint(${full ? 'TRUNCATE' : 'PASSIVE'})`);
    },
    async integrity() {
      await whenFree(db);
      try {
        const rows = db.prepare('PRAGMA integrity_check').all() as Array<{ integrity_check: string }>;
        return rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
      } catch (err) {
        // A record whose text is not JSON fails the check of the indexes made on it; the pages
        // themselves are checked without them. Such records are what `badRecords` lists.
        if (!MALFORMED_JSON.test((err as Error).message)) throw err;
        const rows = db.prepare('PRAGMA quick_check').all() as Array<{ quick_check: string }>;
        return rows.map((r) => r.quick_check).filter((r) => r !== 'ok');
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await endGroupCommit(db);
      db.close();
    },
  };
}

/** Creates the store file readable by this user only (SQLite gives -wal and -shm the same mode); false if it exists. */
function createPrivateFile(file: string): boolean {
  try {
    fs.closeSync(fs.openSync(file, 'wx', 0o600));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw new StoreError(`Cannot create the store ${file}: ${(err as Error).message}`, undefined, {
      cause: err,
      reason: 'data-dir-unwritable',
    });
  }
}

function openFile(file: string): DatabaseSync {
  try {
    return new DatabaseSync(file);
  } catch (err) {
    throw new StoreError(`Cannot open the store ${file}: ${(err as Error).message}`, undefined, {
      cause: err,
      reason: 'data-dir-unwritable',
    });
  }
}

/** Runs the migrations not yet applied, each in one transaction. @throws StoreError */
function migrate(db: DatabaseSync, file: string): void {
  let version: number;
  try {
    version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
    if (version === 0 && db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table'").get())
      throw new StoreError(`${file} is an SQLite database, but not a receptionist store.`);
  } catch (err) {
    if (err instanceof StoreError) throw err;
    throw new StoreError(`The store ${file} cannot be read: ${(err as Error).message}`, 'Restore it from a backup.', {
      cause: err,
    });
  }
  if (version > MIGRATIONS.length)
    throw new StoreError(
      `The store ${file} was written by a newer receptionist (schema ${version}; this one knows ${MIGRATIONS.length}).`,
      'Upgrade receptionist.',
    );
  for (let v = version; v < MIGRATIONS.length; v++) {
    transaction(db, () => {
      for (const sql of MIGRATIONS[v]!) db.exec(sql);
      db.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
}
