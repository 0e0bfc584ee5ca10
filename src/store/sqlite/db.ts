import fs from 'node:fs';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import { AsyncLocalStorage } from 'node:async_hooks';
import { StoreDamagedError, StoreUnavailableError } from '../types.js';

/** The file each connection is on, for messages (set by the store that opens it). */
export const fileOf = new WeakMap<DatabaseSync, string>();

/** How long a writer waits for another process's transaction before it gives up, ms. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * The connection settings every open uses: WAL (readers never block the writer, and any number
 * of processes share the file), `synchronous=FULL` (a commit is fsynced before it returns: DUR-1;
 * a connection that writes then switches to group commit, {@link groupCommit}, which keeps that
 * promise off the event loop), a busy timeout, `secure_delete`
 * (a rewritten row's old bytes, such as plaintext before sealing, are zeroed, not left in free pages).
 */
export function configure(db: DatabaseSync, busyTimeoutMs = BUSY_TIMEOUT_MS): void {
  db.exec(`PRAGMA busy_timeout = ${Math.floor(busyTimeoutMs)}`);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec('PRAGMA synchronous = FULL');
  db.exec('PRAGMA secure_delete = ON');
  db.exec('PRAGMA foreign_keys = ON');
}

/** Runs `fn` in one `BEGIN IMMEDIATE` transaction (the write lock is taken up front, so it cannot deadlock). */
export function transaction<R>(db: DatabaseSync, fn: () => R): R {
  // Nested calls join the outer transaction (`isTransaction` needs Node 22.16; engines allow 22.13).
  if (open.has(db)) return fn();
  prepared(db, 'BEGIN IMMEDIATE').run();
  open.add(db);
  try {
    const r = fn();
    prepared(db, 'COMMIT').run();
    return r;
  } catch (err) {
    rollback(db);
    throw err;
  } finally {
    open.delete(db);
  }
}

const open = new WeakSet<DatabaseSync>();

/** Transactions rolled back on each connection: what a read inside one saw may be gone. */
const rollbacks = new WeakMap<DatabaseSync, number>();

/**
 * What has happened to the connection's data that it did not write itself: commits by other
 * connections (SQLite's `PRAGMA data_version`) and its own rollbacks. Part of the version a
 * collection's `changes()` gives, with the collection's own writes.
 */
export function foreignChanges(db: DatabaseSync): string {
  const row = prepared(db, 'PRAGMA data_version').get() as { data_version: number };
  return `${row.data_version}.${rollbacks.get(db) ?? 0}`;
}

/** Rolls back the open transaction, which SQLite may have done already (e.g. on a full disk). */
function rollback(db: DatabaseSync): void {
  rollbacks.set(db, (rollbacks.get(db) ?? 0) + 1);
  try {
    db.exec('ROLLBACK');
  } catch {
    // already rolled back
  }
}

/**
 * SQLite's failures to read or write (full disk, I/O error, busy past the timeout, read-only
 * file) as `StoreUnavailableError` (the webhook answers 503; a command exits 3); anything else,
 * such as a malformed statement, is a bug and is rethrown as it is.
 */
export function asStoreError(err: unknown, what: string, db?: DatabaseSync): unknown {
  const e = err as { code?: string; errcode?: number; errstr?: string; message?: string };
  const message = e.message ?? String(err);
  if (e.code === 'ERR_SQLITE_ERROR' && DAMAGED.test(message) && !MALFORMED_JSON.test(message)) {
    const location = (db && fileOf.get(db)) ?? 'the store';
    const damaged = db ? damagedTables(db) : [];
    return new StoreDamagedError(
      `The store ${location} is damaged (SQLite: ${message}) where ${what} is kept${damaged.length ? `; what fails to read: ${damaged.join(', ')}` : ''}.`,
      location,
      damaged,
      { cause: err },
    );
  }
  if (
    e.code === 'ERR_SQLITE_ERROR' &&
    /database is locked|disk|full|I\/O|readonly|read-only|unable to open|busy|no such table/i.test(message)
  )
    return new StoreUnavailableError(`cannot use ${what}: ${message}`, { cause: err });
  return err;
}

/** SQLite's error for a JSON function over a row whose text is not JSON: one damaged record, not the file. */
export const MALFORMED_JSON = /malformed JSON/i;

/** SQLite's words for a damaged file (SQLITE_CORRUPT, SQLITE_NOTADB). */
const DAMAGED = /disk image is malformed|file is not a database|database corruption/i;

/** The collections and logs whose table cannot be read through (a full scan each), by name. */
function damagedTables(db: DatabaseSync): string[] {
  const out: string[] = [];
  let tables: Array<{ name: string }>;
  try {
    tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>;
  } catch {
    return ['(the schema itself)'];
  }
  for (const { name } of tables)
    try {
      for (const _ of db.prepare(`SELECT * FROM "${name.replaceAll('"', '""')}"`).iterate()) {
        // every row read
      }
    } catch {
      out.push(name.replace(/^c_/, '').replace(/^log_/, ''));
    }
  return out;
}

/** The atomic step running on each connection: its context token and when it ends. */
const steps = new WeakMap<DatabaseSync, { token: object; done: Promise<void> }>();
/** The last atomic step queued on each connection (they run one after another). */
const queues = new WeakMap<DatabaseSync, Promise<void>>();
/** Which atomic step the running code belongs to (follows it across `await`). */
const context = new AsyncLocalStorage<object>();

/**
 * Waits while another context's atomic step holds `db` (its `BEGIN IMMEDIATE` is open on this
 * shared connection, so a statement run now would join it). `undefined` when nothing holds it,
 * so the common path costs no promise.
 */
export function whenFree(db: DatabaseSync): Promise<void> | undefined {
  const step = steps.get(db);
  if (!step || step.token === context.getStore()) return undefined;
  return step.done.then(() => whenFree(db));
}

/**
 * Runs the synchronous `fn` on `db` once no other context's atomic step holds it
 * ({@link whenFree}), its error mapped by `mapError`: the one way the collections and logs of a
 * connection run their statements. A write resolves once its commit is on disk (group commit);
 * `readOnly` says `fn` writes nothing, so there is no commit to look for.
 */
export function onConnection<R>(
  db: DatabaseSync,
  fn: () => R,
  mapError: (err: unknown) => unknown,
  readOnly = false,
): Promise<R> {
  const wait = whenFree(db);
  if (wait) return wait.then(() => onConnection(db, fn, mapError, readOnly));
  const wal = walSyncs.get(db);
  try {
    if (wal?.failed) throw wal.failed;
    // Inside an atomic step its COMMIT is made durable, not each statement; a read writes nothing.
    if (!wal || readOnly || open.has(db)) return Promise.resolve(fn());
    const before = totalChanges(db);
    const result = fn();
    if (totalChanges(db) === before) return Promise.resolve(result);
    // A write committed (autocommit, or its own BEGIN…COMMIT): resolved once the WAL is on disk.
    return wal.sync().then(
      () => result,
      (err: unknown) => Promise.reject(mapError(err)),
    );
  } catch (err) {
    return Promise.reject(mapError(err));
  }
}

/**
 * Group commit (issue 28, DUR-1): a connection that writes runs with `synchronous=NORMAL`, so a
 * `COMMIT` writes the WAL without waiting for the disk, and the WAL is then fdatasync'd on libuv's
 * thread pool: every commit that ended before a sync began is durable when it returns, so one sync
 * serves all the steps that committed meanwhile, and the event loop never waits on the disk. Nothing
 * that wrote resolves before a sync that began after its commit (a reply is never ahead of its data).
 * A failed sync poisons the connection: every later use fails with StoreUnavailableError (503 in
 * serve), since what the disk holds is no longer known. SQLite itself syncs the WAL before a
 * checkpoint copies it into the database file, and the file after.
 */
class WalSync {
  failed: Error | undefined;
  private running: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private fd: number | undefined;

  constructor(private readonly walFile: string) {}

  /** Resolves once an fdatasync of the WAL that began after this call has returned. */
  sync(): Promise<void> {
    if (this.failed) return Promise.reject(this.failed);
    if (!this.running) {
      this.running = this.datasync().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // One is running, begun perhaps before this commit: the next, shared by all who ask meanwhile.
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.sync();
      });
    return this.queued;
  }

  private datasync(): Promise<void> {
    return new Promise((resolve, reject) => {
      try {
        this.fd ??= fs.openSync(this.walFile, 'r');
      } catch (err) {
        return reject(this.poison(err));
      }
      fs.fdatasync(this.fd, (err) => (err ? reject(this.poison(err)) : resolve()));
    });
  }

  private poison(err: unknown): Error {
    this.failed ??= new StoreUnavailableError(
      `cannot make the store's last writes durable (${(err as Error).message}); nothing more is written until it is reopened`,
      { cause: err },
    );
    return this.failed;
  }

  /** Waits for the syncs under way, then closes the WAL's descriptor. */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.queued]);
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }
}

const walSyncs = new WeakMap<DatabaseSync, WalSync>();

/** Rows changed by this connection since it opened (SQLite's `total_changes()`). */
const totalChanges = (db: DatabaseSync) =>
  Number((prepared(db, 'SELECT total_changes() AS n').get() as { n: number }).n);

/**
 * Turns group commit on for a connection that writes the store file `file` (after its migrations,
 * which ran with `synchronous=FULL`): see {@link WalSync}.
 */
export function groupCommit(db: DatabaseSync, file: string): void {
  db.exec('PRAGMA synchronous = NORMAL');
  walSyncs.set(db, new WalSync(`${file}-wal`));
}

/** Waits for a connection's syncs under way and releases the WAL's descriptor (before `db.close()`). */
export async function endGroupCommit(db: DatabaseSync): Promise<void> {
  await walSyncs.get(db)?.close();
  walSyncs.delete(db);
}

/**
 * Runs the async `fn` as one `BEGIN IMMEDIATE` transaction on `db`: every statement it runs
 * (through the gated collections and logs) commits together when it resolves, and none remains
 * when it throws or the process dies first. Steps on one connection run one after another;
 * other statements of this process wait for the step to end ({@link whenFree}); other processes
 * wait on the busy timeout. A step inside a step joins it.
 * @throws what `fn` throws (after the rollback); StoreUnavailableError when BEGIN or COMMIT fails
 */
export async function atomically<R>(db: DatabaseSync, fn: () => Promise<R>): Promise<R> {
  const running = steps.get(db);
  if (running && running.token === context.getStore()) return fn();
  const previous = queues.get(db);
  let finish!: () => void;
  const done = new Promise<void>((resolve) => (finish = resolve));
  const mine = (previous ?? Promise.resolve()).then(() => done);
  queues.set(db, mine);
  const wal = walSyncs.get(db);
  let result: R;
  try {
    if (previous) await previous;
    if (wal?.failed) throw wal.failed;
    const token = {};
    steps.set(db, { token, done });
    try {
      prepared(db, 'BEGIN IMMEDIATE').run();
    } catch (err) {
      throw asStoreError(err, 'the store', db);
    }
    open.add(db);
    try {
      result = await context.run(token, fn);
      prepared(db, 'COMMIT').run();
    } catch (err) {
      rollback(db);
      throw asStoreError(err, 'the store', db);
    } finally {
      open.delete(db);
    }
  } finally {
    steps.delete(db);
    if (queues.get(db) === mine) queues.delete(db);
    finish();
  }
  // The next step may run while this one's commit reaches the disk (group commit); this one
  // resolves only once it has.
  await wal?.sync();
  return result;
}

/** Prepared statements per connection, by SQL text (the most recently used {@link STATEMENTS} of them). */
const statements = new WeakMap<DatabaseSync, Map<string, StatementSync>>();
const STATEMENTS = 256;

/**
 * `db.prepare(sql)`, remembered: a statement holds native memory until the garbage collector
 * finalizes it, which a stream of small JS objects rarely prompts, so preparing per call let
 * `logs --json` of a million rows grow past 250 MB outside the heap. Reused statements also skip
 * SQLite's parse and plan.
 */
export function prepared(db: DatabaseSync, sql: string): StatementSync {
  let cache = statements.get(db);
  if (!cache) statements.set(db, (cache = new Map()));
  let stmt = cache.get(sql);
  if (stmt) {
    cache.delete(sql);
  } else {
    stmt = db.prepare(sql);
    if (cache.size >= STATEMENTS) cache.delete(cache.keys().next().value!);
  }
  cache.set(sql, stmt);
  return stmt;
}
