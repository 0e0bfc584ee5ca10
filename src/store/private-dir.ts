import fs from 'node:fs';
import { StoreError } from '../errors.js';

/**
 * Creates `dir` (and its parents) readable by this user only (mode 700), for patients' data.
 * @throws StoreError naming `what` and the folder when it cannot be created
 */
export function ensurePrivateDir(dir: string, what: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new StoreError(`Cannot create the ${what} ${dir}: ${(err as Error).message}`, undefined, {
      cause: err,
      reason: 'data-dir-unwritable',
    });
  }
}
