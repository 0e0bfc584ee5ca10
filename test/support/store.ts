import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { seedStore } from '../../src/commands/seed/seed.js';
import type { Store } from '../../src/store/types.js';

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'receptionist-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A seeded local store in a temp dir. */
export async function seededStore(dir: string): Promise<Store> {
  const store = await openSqliteStore({ dir, busyTimeoutMs: 300 });
  await seedStore(store, { force: false });
  return store;
}

/**
 * The bytes at rest of an embedded store (the SQLite file and its write-ahead log) as text, for
 * canaries ("no plaintext number anywhere") and for spotting a stored value.
 */
export function storeText(dataDir: string): string {
  return ['receptionist.db', 'receptionist.db-wal']
    .map((f) => path.join(dataDir, f))
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f).toString('latin1'))
    .join('');
}
