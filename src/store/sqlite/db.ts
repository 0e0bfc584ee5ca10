import type { DatabaseSync } from 'node:sqlite';
import { StoreUnavailableError } from '../types.js';

/** How long a writer waits for another process's transaction before it gives up, ms. */
export const BUSY_TIMEOUT_MS = 5_000;

/**
 * The connection settings every open uses: WAL (readers never block the writer, and any number
 * of processes share the file), `synchronous=FULL` (a commit is fsynced before it returns:
 * DUR-1 — NORMAL would lose the last commits on power loss), a busy timeout, `secure_delete`
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
  db.exec('BEGIN IMMEDIATE');
  open.add(db);
  try {
    const r = fn();
    db.exec('COMMIT');
    return r;
  } catch (err) {
    try {
      db.exec('ROLLBACK');
    } catch {
      // SQLite already rolled back (e.g. on a full disk).
    }
    throw err;
  } finally {
    open.delete(db);
  }
}

const open = new WeakSet<DatabaseSync>();

/**
 * SQLite's failures to read or write (full disk, I/O error, busy past the timeout, read-only
 * file) as `StoreUnavailableError` (the webhook answers 503; a command exits 3); anything else,
 * such as a malformed statement, is a bug and is rethrown as it is.
 */
export function asStoreError(err: unknown, what: string): unknown {
  const e = err as { code?: string; errcode?: number; errstr?: string; message?: string };
  const message = e.message ?? String(err);
  if (
    e.code === 'ERR_SQLITE_ERROR' &&
    /database is locked|disk|full|I\/O|readonly|read-only|unable to open|busy|no such table/i.test(message)
  )
    return new StoreUnavailableError(`cannot use ${what}: ${message}`, { cause: err });
  return err;
}
