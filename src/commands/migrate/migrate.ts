import fs from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { StoreError, UsageError } from '../../errors.js';
import { COLLECTIONS, DuplicateKeyError, LOG_KEYS, type AppendLog, type Doc, type Store } from '../../store/types.js';
import { documentId, documentProblem } from '../../store/schemas.js';
import { printable } from '../../io.js';
import { implement } from '../shared/command.js';
import type { MigrateFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { progressBar, renderCleanup, renderMigrate } from './render.js';

export type Backend = 'local' | 'mongo' | 'nedb';

/** What happened to one collection. `inTarget`: how many of the source's usable documents the target holds afterwards (checked). */
export interface CollectionReport {
  name: string;
  source: number;
  inserted: number;
  replaced: number;
  unchanged: number;
  skipped: number;
  inTarget: number;
}

export interface MigrateResult {
  from: string;
  to: string;
  dryRun: boolean;
  collections: CollectionReport[];
  /** One line per skipped document: collection, id and why. */
  warnings: string[];
  /** Where `--from nedb` moved the NeDB files of the data directory (kept until `migrate --cleanup`). */
  backup?: string;
}

/** `migrate --cleanup`: each NeDB backup, how many of its records the store holds, and whether it was removed. */
export interface CleanupResult {
  dryRun: boolean;
  store: string;
  backups: Array<{ path: string; records: number; inStore: number; removed: boolean }>;
}

/** Reports progress: `total` documents overall, `done` so far, in `collection`. */
export type Progress = { start(total: number): void; tick(collection: string): void; stop(): void };

const FROM = new Set<Backend>(['local', 'mongo', 'nedb']);
const TO = new Set<Backend>(['local', 'mongo']);
const HOW = 'Use --from local --to mongo, --from mongo --to local, --from nedb --to local, or --cleanup.';

function backend(flag: 'from' | 'to', value: string | undefined): Backend {
  if (!value || !(flag === 'from' ? FROM : TO).has(value as Backend))
    throw new UsageError(value ? `Invalid --${flag} "${value}".` : `migrate needs --${flag}.`, HOW);
  return value as Backend;
}

export type MigrateOptions =
  | { cleanup: false; from: Backend; to: Backend; dryRun: boolean; nedbDir?: string }
  | { cleanup: true; dryRun: boolean };

/** @throws UsageError (a missing, unknown or equal backend; --cleanup with a backend; --nedb-dir without --from nedb) */
export function parseMigrateOptions(flags: MigrateFlags): MigrateOptions {
  const dryRun = flags.dryRun === true;
  if (flags.cleanup === true) {
    if (flags.from !== undefined || flags.to !== undefined || flags.nedbDir !== undefined)
      throw new UsageError(
        '--cleanup takes no --from, --to or --nedb-dir.',
        'Run `receptionist migrate --cleanup` on its own.',
      );
    return { cleanup: true, dryRun };
  }
  const from = backend('from', flags.from);
  const to = backend('to', flags.to);
  if (from === to) throw new UsageError(`--from and --to are both "${from}".`, HOW);
  const nedbDir = flags.nedbDir;
  if (nedbDir !== undefined && from !== 'nedb')
    throw new UsageError('--nedb-dir goes with --from nedb.', 'Add --from nedb, or leave --nedb-dir out.');
  return { cleanup: false, from, to, dryRun, nedbDir };
}

/**
 * Copies every record from one backend to the other: the eleven collections, call logs, audit
 * and chats. Documents are copied verbatim (sealed fields stay sealed, to the same keys, so
 * the keyring travels with them), upserted by id, so a second run changes nothing. A document
 * from a newer version or failing validation is skipped with a warning naming its id. Then
 * every collection is counted in the target. `--from nedb` reads the NeDB version's files (in
 * `nedbDir`, default the data directory); when they are the data directory's, they are then
 * moved to `nedb-backup-<time>/`, kept until `--cleanup`.
 * @throws UsageError (no MongoDB URI), StoreError (a count check failed, store locked, damaged
 *   NeDB file), and the open errors of either store
 */
export async function runMigrate(opts: MigrateOptions, ctx: Context): Promise<MigrateResult | CleanupResult> {
  if (opts.cleanup) return cleanup(opts.dryRun, ctx);
  if ((opts.from === 'mongo' || opts.to === 'mongo') && !ctx.globals.mongodbUri)
    throw new UsageError('migrate needs a MongoDB URI.', 'Set MONGODB_URI or pass --mongodb-uri.');
  const dataDir = path.resolve(ctx.globals.dataDir.value);
  const nedbDir = path.resolve(opts.nedbDir ?? dataDir);
  // A local source is read as a snapshot (safe while serve runs); the target is opened for writing.
  // The NeDB files are read before the target opens (a local target would import and move them).
  const source = await ctx.store({ backend: opts.from, readOnly: true, dir: nedbDir });
  const target = await ctx.store({ backend: opts.to, readOnly: opts.dryRun });
  const progress = progressBar(ctx.globals, ctx.io);
  let result: MigrateResult;
  try {
    result = await copyStore(source, target, { dryRun: opts.dryRun, progress });
  } finally {
    progress.stop();
  }
  if (opts.from === 'nedb' && !opts.dryRun && nedbDir === dataDir) {
    const { holdsNedbStore, moveNedbFiles } = await import('../../store/sqlite/import-nedb.js');
    // Every record is in the target (checked): the old files make way, kept as a backup.
    if (holdsNedbStore(dataDir)) result.backup = moveNedbFiles(dataDir);
  }
  return result;
}

/**
 * Removes the data directory's `nedb-backup-*` folders once every record in each is in the
 * store: each document id in its collection, each call id in the call log, and as many audit,
 * chat and recording entries. A backup with a record the store lacks is kept (exit 3).
 * @throws StoreError (a record is missing from the store: nothing is removed)
 */
async function cleanup(dryRun: boolean, ctx: Context): Promise<CleanupResult> {
  const { nedbBackups } = await import('../../store/sqlite/import-nedb.js');
  const store = await ctx.store({ readOnly: true });
  const backups: CleanupResult['backups'] = [];
  for (const dir of nedbBackups(ctx.globals.dataDir.value)) {
    const backup = await ctx.store({ backend: 'nedb', readOnly: true, dir });
    const { records, inStore } = await accountFor(backup, store);
    backups.push({ path: dir, records, inStore, removed: false });
  }
  const short = backups.filter((b) => b.inStore < b.records);
  if (short.length)
    throw new StoreError(
      `The store at ${store.location} lacks records of ${short.map((b) => `${b.path} (${b.inStore} of ${b.records})`).join(', ')}; nothing was removed.`,
      'Run `receptionist migrate --from nedb --to local --nedb-dir <that folder>` to copy them, then --cleanup again.',
    );
  if (!dryRun)
    for (const b of backups) {
      fs.rmSync(b.path, { recursive: true, force: true });
      b.removed = true;
    }
  return { dryRun, store: store.location, backups };
}

/** How many of `backup`'s records `store` holds (documents and call logs by id; log entries by count). */
async function accountFor(backup: Store, store: Store): Promise<{ records: number; inStore: number }> {
  let records = 0;
  let inStore = 0;
  for (const name of COLLECTIONS) {
    const ids = (await backup.collection(name).find({})).map((d) => d._id);
    records += ids.length;
    inStore += await countIds(ids, (chunk) => store.collection(name).count({ _id: { $in: chunk } }));
  }
  for await (const r of backup.callLogs.stream()) {
    records++;
    if (await store.callLogs.has(r.callId)) inStore++;
  }
  for (const log of ['audit', 'chats', 'recordings'] as const) {
    const n = (await backup[log].list()).length;
    records += n;
    inStore += Math.min(n, (await store[log].list()).length);
  }
  return { records, inStore };
}

/** The copy itself, between two open stores. @throws StoreError when a count check fails */
export async function copyStore(
  source: Store,
  target: Store,
  opts: { dryRun: boolean; progress: Progress },
): Promise<MigrateResult> {
  const warnings: string[] = [];
  const reports: CollectionReport[] = [];
  const docs = new Map<string, Doc[]>();
  // Unchecked: migrate validates each record and reports the ones it skips itself.
  for (const name of COLLECTIONS) docs.set(name, await source.collection(name).find({}, { unchecked: true }));
  // Call logs are the bulk (a million at a clinic's volume): counted where they are, copied as streamed.
  const callLogCount = (await source.callLogs.totals({ by: 'endedReason' })).reduce((n, t) => n + t.calls, 0);
  const audit = await source.audit.list();
  const chats = await source.chats.list();
  const recordings = await source.recordings.list();
  opts.progress.start(
    [...docs.values()].reduce((n, d) => n + d.length, 0) +
      callLogCount +
      audit.length +
      chats.length +
      recordings.length,
  );

  const usable = <T>(collection: Parameters<typeof documentProblem>[0], items: T[]): T[] =>
    items.filter((d) => {
      const problem = documentProblem(collection, d);
      if (problem) {
        warnings.push(`${collection} ${printable(documentId(d))}: ${printable(problem)}; skipped`);
        opts.progress.tick(collection);
      }
      return !problem;
    });

  for (const name of COLLECTIONS) {
    const all = docs.get(name)!;
    const r: CollectionReport = {
      name,
      source: all.length,
      inserted: 0,
      replaced: 0,
      unchanged: 0,
      skipped: 0,
      inTarget: 0,
    };
    const col = target.collection(name);
    const copied: string[] = [];
    for (const doc of usable(name, all)) {
      const existing = await col.findOne({ _id: doc._id });
      if (existing && isDeepStrictEqual(existing, doc)) r.unchanged++;
      else if (opts.dryRun) r[existing ? 'replaced' : 'inserted']++;
      else {
        try {
          r[await col.replaceOne(doc)]++;
        } catch (err) {
          if (!(err instanceof DuplicateKeyError)) throw err;
          warnings.push(
            `${name} ${doc._id}: another document in the target holds the same ${err.key ?? 'unique key'}; skipped`,
          );
          opts.progress.tick(name);
          continue;
        }
      }
      copied.push(doc._id);
      opts.progress.tick(name);
    }
    r.skipped = r.source - copied.length;
    r.inTarget = opts.dryRun ? copied.length : await countIds(copied, (ids) => col.count({ _id: { $in: ids } }));
    reports.push(r);
  }

  {
    const r: CollectionReport = {
      name: 'call_logs',
      source: 0,
      inserted: 0,
      replaced: 0,
      unchanged: 0,
      skipped: 0,
      inTarget: 0,
    };
    for await (const rec of source.callLogs.stream()) {
      r.source++;
      if (!usable('call_logs', [rec]).length) continue;
      // Call logs are written once per call: an existing row is kept as it is.
      if (await target.callLogs.has(rec.callId)) r.unchanged++;
      else if (opts.dryRun || (await target.callLogs.append(rec))) r.inserted++;
      else r.unchanged++;
      // Checked as it goes: the row is in the target now.
      if (opts.dryRun || (await target.callLogs.has(rec.callId))) r.inTarget++;
      opts.progress.tick('call_logs');
    }
    r.skipped = r.source - r.inserted - r.unchanged;
    reports.push(r);
  }

  reports.push(await copyLog('audit', usable('audit', audit), audit.length, target.audit, LOG_KEYS.audit, opts));
  reports.push(await copyLog('chats', usable('chats', chats), chats.length, target.chats, LOG_KEYS.chats, opts));
  reports.push(
    await copyLog(
      'recordings',
      usable('recordings', recordings),
      recordings.length,
      target.recordings,
      LOG_KEYS.recordings,
      opts,
    ),
  );

  const short = reports.filter((r) => r.inTarget !== r.source - r.skipped);
  if (short.length) {
    throw new StoreError(
      `The count check failed: ${short.map((r) => `${r.name} has ${r.inTarget} of ${r.source - r.skipped}`).join(', ')} in ${target.location}.`,
      'Run the same migrate again (it is idempotent); if the counts still differ, check the target for concurrent deletes.',
    );
  }
  return { from: source.location, to: target.location, dryRun: opts.dryRun, collections: reports, warnings };
}

/** Appends the entries of an append-only log the target lacks (matched by `key`), in order. */
async function copyLog<T>(
  name: string,
  entries: T[],
  total: number,
  target: AppendLog<T>,
  key: (e: T) => string,
  opts: { dryRun: boolean; progress: Progress },
): Promise<CollectionReport> {
  const r: CollectionReport = {
    name,
    source: total,
    inserted: 0,
    replaced: 0,
    unchanged: 0,
    skipped: total - entries.length,
    inTarget: 0,
  };
  const have = new Set((await target.list()).map(key));
  for (const e of entries) {
    if (have.has(key(e))) r.unchanged++;
    else {
      if (!opts.dryRun) await target.append(e);
      r.inserted++;
      have.add(key(e));
    }
    opts.progress.tick(name);
  }
  if (opts.dryRun) r.inTarget = entries.length;
  else {
    const after = new Set((await target.list()).map(key));
    r.inTarget = entries.filter((e) => after.has(key(e))).length;
  }
  return r;
}

/** Counts ids in chunks, so a large collection does not build one huge `$in`. */
async function countIds(ids: string[], count: (chunk: string[]) => Promise<number>): Promise<number> {
  let n = 0;
  for (let i = 0; i < ids.length; i += 1000) n += await count(ids.slice(i, i + 1000));
  return n;
}

export const migrate = implement({
  parse: parseMigrateOptions,
  run: runMigrate,
  render: (r: MigrateResult | CleanupResult, o, out) =>
    'backups' in r ? renderCleanup(r, o, out) : renderMigrate(r, o, out),
});
