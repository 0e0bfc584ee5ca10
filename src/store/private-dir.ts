import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StoreError } from '../errors.js';
import { thisProcess } from '../deps.js';

/** Modes of what the store writes: files readable by this user only, folders likewise. */
export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Creates `dir` (and its parents) readable by this user only (mode 700), for patients' data; a
 * folder that exists already is tightened to 700 when group or others had any access.
 * @throws StoreError naming `what`, the folder and the fix when it cannot be created or tightened
 */
export function ensurePrivateDir(dir: string, what: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  } catch (err) {
    throw new StoreError(`Cannot create the ${what} ${dir}: ${(err as Error).message}`, undefined, {
      cause: err,
      reason: 'data-dir-unwritable',
    });
  }
  tightenMode(dir, PRIVATE_DIR_MODE, what);
}

/**
 * Takes group and others' access away from an existing file or folder (to `mode`: 600 or 700);
 * absent is fine. Windows has no such modes and is left alone.
 * @throws StoreError with the `chmod` to run when this user cannot change it (another owner)
 */
export function tightenMode(file: string, mode: number, what: string): void {
  if (os.platform() === 'win32') return;
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch {
    return;
  }
  if ((st.mode & 0o077) === 0) return;
  try {
    fs.chmodSync(file, mode);
  } catch (err) {
    throw new StoreError(
      `The ${what} ${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}) and cannot be made private: ${(err as Error).message}`,
      `Run \`chmod ${mode.toString(8)} ${file}\` as its owner.`,
      { cause: err, reason: 'data-dir-unwritable' },
    );
  }
}

/** Tightens every file directly in `dir` whose name starts with one of `prefixes` (a store file and its -wal, -shm). */
export function tightenFiles(dir: string, prefixes: string[], what: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names)
    if (prefixes.some((p) => name.startsWith(p))) tightenMode(path.join(dir, name), PRIVATE_FILE_MODE, what);
}

/**
 * Replaces `file` with `data` atomically, readable by this user only: a temp file beside it
 * (mode 600), fsync, rename, fsync of the folder. A crash leaves the old file or the new one,
 * never a part.
 * @throws the file system's error (ENOSPC, EACCES, …)
 */
export function writePrivateFileAtomically(file: string, data: string | Buffer): void {
  const tmp = `${file}.tmp-${thisProcess.pid}`;
  const fd = fs.openSync(tmp, 'w', PRIVATE_FILE_MODE);
  try {
    fs.writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  fs.renameSync(tmp, file);
  const dir = fs.openSync(path.dirname(file), 'r');
  try {
    fs.fsyncSync(dir);
  } catch {
    // Some filesystems cannot fsync a directory; the rename is still atomic.
  } finally {
    fs.closeSync(dir);
  }
}

/**
 * Removes the files and folders `<prefix><pid>` or `<prefix><pid>-…` in `parent` whose process (on this
 * host) is gone: what a killed backup left behind. With `unnumberedAfterMs`, also ones named without a
 * pid (older builds) once they are that old.
 */
export function removeStaleCopies(parent: string, prefix: string, opts: { unnumberedAfterMs?: number } = {}): void {
  let names: string[];
  try {
    names = fs.readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)(?:-|$)/.exec(name.slice(prefix.length))?.[1]);
    const file = path.join(parent, name);
    let stale = false;
    if (pid) stale = pid !== thisProcess.pid && !thisProcess.isAlive(pid);
    else if (opts.unnumberedAfterMs !== undefined)
      try {
        stale = Date.now() - fs.statSync(file).mtimeMs > opts.unnumberedAfterMs;
      } catch {
        // gone already
      }
    if (stale) fs.rmSync(file, { recursive: true, force: true });
  }
}
