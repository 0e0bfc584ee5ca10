import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { thisProcess } from '../deps.js';
import { removeStaleCopies } from './private-dir.js';
import { openSqliteStore, STORE_FILE } from './sqlite/index.js';
import type { CollectionName, Store } from './types.js';

/**
 * Throwaway stores for `receptionist test`: what a test's tools write lands in one, never in the
 * clinic's store, and they go when the run ends. A template is made once, in a private temporary
 * folder (mode 700): the (small) collections asked for are copied from the source, then `prepare` adds
 * what the run needs; each test gets its own file copy of the
 * template, so one test's booking never takes another's slot.
 */

const PREFIX = 'receptionist-test-';

export class ThrowawayStores {
  private seq = 0;
  private readonly open = new Set<Store>();

  private constructor(private readonly dir: string) {}

  /**
   * Copies `collections` of `source` into a template, then runs `prepare` on it.
   * @throws StoreUnavailableError (reading `source`), StoreError (writing the temporary folder), what `prepare` throws
   */
  static async from(
    source: Store,
    collections: readonly CollectionName[],
    prepare: (template: Store) => Promise<void>,
  ): Promise<ThrowawayStores> {
    removeStaleCopies(os.tmpdir(), PREFIX, { unnumberedAfterMs: 86_400_000 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `${PREFIX}${thisProcess.pid}-`));
    fs.chmodSync(dir, 0o700);
    const stores = new ThrowawayStores(dir);
    try {
      const template = await openSqliteStore({ dir: path.join(dir, 'template') });
      try {
        // Read as they are, not through a snapshot: a snapshot of the embedded store copies the whole
        // file (years of call logs) for a few small collections.
        for (const name of collections) {
          const docs = await source.collection(name).find({});
          await template.atomically(async () => {
            for (const doc of docs) await template.collection(name).replaceOne(doc);
          });
        }
        await prepare(template);
        await template.checkpoint?.(true);
      } finally {
        await template.close();
      }
    } catch (err) {
      stores.remove();
      throw err;
    }
    return stores;
  }

  /** A fresh copy of the template, closed and removed by {@link close} if not before. */
  async fresh(): Promise<Store> {
    const dir = path.join(this.dir, `run-${++this.seq}`);
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.copyFileSync(path.join(this.dir, 'template', STORE_FILE), path.join(dir, STORE_FILE));
    const store = await openSqliteStore({ dir });
    this.open.add(store);
    const close = store.close.bind(store);
    store.close = async () => {
      this.open.delete(store);
      await close();
      fs.rmSync(dir, { recursive: true, force: true });
    };
    return store;
  }

  /** Closes every copy still open and removes the folder. */
  async close(): Promise<void> {
    for (const s of [...this.open]) await s.close().catch(() => undefined);
    this.remove();
  }

  private remove(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
