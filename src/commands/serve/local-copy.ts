import fs from 'node:fs';
import path from 'node:path';
import { StoreError } from '../../errors.js';
import {
  ensurePrivateDir,
  tightenMode,
  PRIVATE_FILE_MODE,
  writePrivateFileAtomically,
} from '../../store/private-dir.js';
import type { Doc, Store } from '../../store/types.js';

/** The file in the data directory that holds `serve`'s local copy of what it needs from MongoDB to start. */
export const LOCAL_COPY_FILE = 'mongo-copy.json';

/** The fields of a `keys` document the copy keeps: public keys and the blind-index check, no grants. */
const KEY_FIELDS = ['_id', 'publicKey', 'status', 'role', 'createdAt', 'blindIndexCheck'] as const;

/**
 * `<data dir>/mongo-copy.json` (mode 600), format `receptionist-serve-copy` version 1:
 * `{ format, version, store, savedAt, bot_configs: [BotConfig], keys: [{ _id, publicKey, status,
 * role, createdAt, blindIndexCheck }] }`. It holds no patient data and no secret: the bot config
 * (clinic, prompts, Vapi ids and the credential's plan, never its secret) and public keys, which
 * `serve` checks against `RECEPTIONIST_SEALING_KEY_PIN` before sealing anything to them.
 */
interface LocalCopyFile {
  format: 'receptionist-serve-copy';
  version: 1;
  /** The store it was copied from (redacted URI and database). */
  store: string;
  /** ISO time */
  savedAt: string;
  bot_configs: Doc[];
  keys: Doc[];
}

/** A local copy opened as a read-only store in memory. */
export interface LocalCopy {
  store: Store;
  /** ISO time it was saved. */
  savedAt: string;
  /** Where it was copied from. */
  from: string;
  file: string;
}

/**
 * Copies the bot config and the public keys of `store` to `<dataDir>/mongo-copy.json`, so that
 * the next `serve` can start while MongoDB is unreachable. Call it only after
 * the keys passed the pin check. Atomic: a crash leaves the previous copy.
 * @throws StoreUnavailableError (reading), StoreError (the data dir cannot be written)
 */
export async function saveLocalCopy(store: Store, dataDir: string, now: Date): Promise<string> {
  const [configs, keys] = await Promise.all([
    store.collection('bot_configs').find({ _id: 'default' }),
    store.collection('keys').find({}),
  ]);
  const copy: LocalCopyFile = {
    format: 'receptionist-serve-copy',
    version: 1,
    store: store.location,
    savedAt: now.toISOString(),
    bot_configs: configs,
    keys: keys.map((k) => Object.fromEntries(KEY_FIELDS.flatMap((f) => (f in k ? [[f, k[f]]] : []))) as Doc),
  };
  ensurePrivateDir(dataDir, 'data directory');
  const file = path.join(dataDir, LOCAL_COPY_FILE);
  try {
    writePrivateFileAtomically(file, `${JSON.stringify(copy, null, 2)}\n`);
  } catch (err) {
    throw new StoreError(`Cannot write serve's local copy ${file}: ${(err as Error).message}`, undefined, {
      cause: err,
      reason: 'data-dir-unwritable',
    });
  }
  return file;
}

/**
 * The local copy in `dataDir` as a read-only store in memory, or undefined when there is none.
 * @throws StoreError when the file is there but unreadable or not a copy of this version
 */
export async function openLocalCopy(dataDir: string): Promise<LocalCopy | undefined> {
  const file = path.join(dataDir, LOCAL_COPY_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new StoreError(`Cannot read serve's local copy ${file}: ${(err as Error).message}`, undefined, {
      cause: err,
    });
  }
  tightenMode(file, PRIVATE_FILE_MODE, "serve's local copy");
  let copy: LocalCopyFile;
  try {
    copy = JSON.parse(text) as LocalCopyFile;
  } catch (err) {
    throw damaged(file, (err as Error).message);
  }
  if (copy?.format !== 'receptionist-serve-copy' || copy.version !== 1)
    throw damaged(file, 'not a copy of this version');
  if (!Array.isArray(copy.bot_configs) || !Array.isArray(copy.keys) || typeof copy.savedAt !== 'string')
    throw damaged(file, 'fields are missing');
  const { openMemorySnapshot } = await import('../../store/sqlite/index.js');
  const store = await openMemorySnapshot(
    { bot_configs: copy.bot_configs, keys: copy.keys },
    `the local copy of ${copy.store} saved ${copy.savedAt}`,
  );
  return { store, savedAt: copy.savedAt, from: copy.store, file };
}

const damaged = (file: string, why: string) =>
  new StoreError(
    `serve's local copy ${file} is damaged (${why}).`,
    'Remove it; the next serve that reaches MongoDB writes it again.',
  );
