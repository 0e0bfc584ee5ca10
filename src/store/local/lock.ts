import { thisProcess } from '../../deps.js';
import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from '../../errors.js';

/**
 * An exclusive lock on a local data directory, held by the one process that appends to its
 * `calls.csv` (`--log-to csv`): two appenders would interleave rows. The lock file holds the owner's pid;
 * a lock whose pid is gone (after `kill -9`) is taken over at once, so a crashed `serve`
 * restarts without waiting for a staleness timeout (why not proper-lockfile's mtime scheme).
 */
export interface DirLock {
  release(): void;
}

export function acquireDirLock(dir: string, purpose: string, pid = thisProcess.pid): DirLock {
  const file = path.join(dir, 'LOCK');
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.writeFileSync(file, JSON.stringify({ pid, purpose, since: new Date().toISOString() }), {
        flag: 'wx',
        mode: 0o600,
      });
      return {
        release() {
          try {
            const owner = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number };
            if (owner.pid === pid) fs.unlinkSync(file);
          } catch {
            // Already gone: nothing to release.
          }
        },
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new StoreError(`Cannot lock the store at ${dir}: ${(err as Error).message}`, undefined, {
          cause: err,
          reason: 'data-dir-unwritable',
        });
      }
      const owner = readOwner(file);
      if (owner && thisProcess.isAlive(owner.pid)) {
        throw new StoreError(
          `The store at ${dir} is in use by another receptionist process (pid ${owner.pid}, ${owner.purpose}).`,
          undefined,
          { reason: 'store-locked' },
        );
      }
      // The owner is gone (crash, kill -9): the lock is stale.
      try {
        fs.unlinkSync(file);
      } catch {
        // Someone else removed it first; try again.
      }
    }
  }
  throw new StoreError(`Cannot lock the store at ${dir}: another process keeps taking the lock.`);
}

function readOwner(file: string): { pid: number; purpose: string } | undefined {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: unknown; purpose?: unknown };
    return typeof parsed.pid === 'number'
      ? { pid: parsed.pid, purpose: String(parsed.purpose ?? 'unknown') }
      : undefined;
  } catch {
    return undefined;
  }
}
