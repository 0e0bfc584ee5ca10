import { ensurePrivateDir } from '../private-dir.js';
import path from 'node:path';
import {
  COLLECTIONS,
  INDEXES,
  type AuditEntry,
  type ChatRecord,
  type RecordedMessage,
  type CollectionName,
  type Collection,
  type Doc,
  type Store,
} from '../types.js';
import { NedbCollection } from './nedb-collection.js';
import { CsvCallLog } from './csv-call-log.js';
import { acquireDirLock } from './lock.js';
import { JsonlLog } from './jsonl-log.js';

export interface LocalStoreOptions {
  /** Data directory; created if missing (writable mode). */
  dir: string;
  /** Read-only snapshot: no lock, no file is modified, safe while `serve` runs. */
  readOnly?: boolean;
  /** What holds the lock, shown to a second process that is refused. */
  purpose?: string;
  onWarning?: (message: string) => void;
}

/**
 * The embedded store: one NeDB file per collection (`<name>.db`) and `calls.csv` for call logs,
 * under one data directory that a single writing process locks.
 * @throws StoreError when the directory is locked, not writable, or a file is corrupt.
 */
export async function openLocalStore(opts: LocalStoreOptions): Promise<Store> {
  const dir = path.resolve(opts.dir);
  const warn = opts.onWarning ?? (() => {});
  if (opts.readOnly) {
    const collections = new Map<CollectionName, Collection>();
    await Promise.all(
      COLLECTIONS.map(async (name) =>
        collections.set(name, await NedbCollection.snapshot(path.join(dir, `${name}.db`))),
      ),
    );
    const callLogs = await CsvCallLog.snapshot(path.join(dir, 'calls.csv'));
    return makeStore(dir, collections, callLogs, async () => {});
  }
  ensurePrivateDir(dir, 'data directory');
  const lock = acquireDirLock(dir, opts.purpose ?? 'receptionist');
  try {
    const collections = new Map<CollectionName, Collection>();
    for (const name of COLLECTIONS) {
      collections.set(name, await NedbCollection.open(path.join(dir, `${name}.db`), INDEXES[name], warn));
    }
    const callLogs = await CsvCallLog.open(path.join(dir, 'calls.csv'), warn);
    return makeStore(dir, collections, callLogs, async () => {
      await callLogs.close();
      lock.release();
    });
  } catch (err) {
    lock.release();
    throw err;
  }
}

function makeStore(
  dir: string,
  collections: Map<CollectionName, Collection>,
  callLogs: CsvCallLog,
  close: () => Promise<void>,
): Store {
  const audit = new JsonlLog<AuditEntry>(path.join(dir, 'audit.jsonl'));
  const chats = new JsonlLog<ChatRecord>(path.join(dir, 'chats.jsonl'));
  const recordings = new JsonlLog<RecordedMessage>(path.join(dir, 'recordings.jsonl'));
  let closed = false;
  return {
    kind: 'local',
    location: dir,
    collection<T extends Doc>(name: CollectionName) {
      return collections.get(name) as unknown as Collection<T>;
    },
    callLogs,
    audit,
    chats,
    recordings,
    async close() {
      if (closed) return;
      closed = true;
      await close();
    },
  };
}
