import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openLocalStore } from '../../src/store/local/index.js';
import { seedStore } from '../../src/commands/seed/seed.js';
import type { Store } from '../../src/store/types.js';

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'receptionist-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A seeded local store in a temp dir. */
export async function seededStore(dir: string): Promise<Store> {
  const store = await openLocalStore({ dir, purpose: 'test' });
  await seedStore(store, { force: false });
  return store;
}
