import fs from 'node:fs';
import { StoreUnavailableError } from '../types.js';

/**
 * Appends `text` to `file` (created 0600) and fsyncs it before resolving: once this resolves,
 * the bytes survive a crash or power loss.
 * @throws StoreUnavailableError naming the file (`what`) and the cause
 */
export async function appendDurably(file: string, text: string, what = file): Promise<void> {
  try {
    const fh = await fs.promises.open(file, 'a', 0o600);
    try {
      await fh.write(text);
      await fh.datasync();
    } finally {
      await fh.close();
    }
  } catch (err) {
    throw new StoreUnavailableError(`cannot append to ${what}: ${(err as Error).message}`, { cause: err });
  }
}
