import { isDeepStrictEqual } from 'node:util';
import { StoreError, UsageError } from '../../errors.js';
import { COLLECTIONS, DuplicateKeyError, type AppendLog, type Doc, type Store } from '../../store/types.js';
import { documentId, documentProblem } from '../../store/schemas.js';
import { implement, type Flags } from '../shared/command.js';
import type { Context } from '../shared/context.js';
import { progressBar, renderMigrate } from './render.js';

export type Backend = 'local' | 'mongo';

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
}

/** Reports progress: `total` documents overall, `done` so far, in `collection`. */
export type Progress = { start(total: number): void; tick(collection: string): void; stop(): void };

const BACKENDS = new Set<Backend>(['local', 'mongo']);

function backend(flag: string, value: string | undefined): Backend {
  if (!value || !BACKENDS.has(value as Backend))
    throw new UsageError(
      `Invalid --${flag} "${value ?? ''}".`,
      'Use --from local --to mongo, or --from mongo --to local.',
    );
  return value as Backend;
}

export interface MigrateOptions {
  from: Backend;
  to: Backend;
  dryRun: boolean;
}

/** @throws UsageError (unknown or equal backends) */
export function parseMigrateOptions(flags: Flags): MigrateOptions {
  const from = backend('from', flags.from as string | undefined);
  const to = backend('to', flags.to as string | undefined);
  if (from === to)
    throw new UsageError(
      `--from and --to are both "${from}".`,
      'Use --from local --to mongo, or --from mongo --to local.',
    );
  return { from, to, dryRun: flags.dryRun === true };
}

/**
 * Copies every record from one backend to the other: the eleven collections, call logs, audit
 * and chats. Documents are copied verbatim (sealed fields stay sealed, to the same keys, so
 * the keyring travels with them), upserted by id, so a second run changes nothing. A document
 * from a newer version or failing validation is skipped with a warning naming its id. Then
 * every collection is counted in the target.
 * @throws UsageError (no MongoDB URI), StoreError (a count check failed, store locked), and the
 *   open errors of either store
 */
export async function runMigrate(opts: MigrateOptions, ctx: Context): Promise<MigrateResult> {
  if (!ctx.globals.mongodbUri)
    throw new UsageError('migrate needs a MongoDB URI.', 'Set MONGODB_URI or pass --mongodb-uri.');
  // A local source is read as a snapshot (safe while serve runs); the target is opened for writing.
  const source = await ctx.store({ backend: opts.from, readOnly: true });
  const target = await ctx.store({ backend: opts.to, readOnly: opts.dryRun });
  const progress = progressBar(ctx.globals, ctx.io);
  try {
    return await copyStore(source, target, { dryRun: opts.dryRun, progress });
  } finally {
    progress.stop();
  }
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
  for (const name of COLLECTIONS) docs.set(name, await source.collection(name).find({}));
  const callLogs = await source.callLogs.list();
  const audit = await source.audit.list();
  const chats = await source.chats.list();
  const recordings = await source.recordings.list();
  opts.progress.start(
    [...docs.values()].reduce((n, d) => n + d.length, 0) +
      callLogs.length +
      audit.length +
      chats.length +
      recordings.length,
  );

  const usable = <T>(collection: Parameters<typeof documentProblem>[0], items: T[]): T[] =>
    items.filter((d) => {
      const problem = documentProblem(collection, d);
      if (problem) {
        warnings.push(`${collection} ${documentId(d)}: ${problem}; skipped`);
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
      source: callLogs.length,
      inserted: 0,
      replaced: 0,
      unchanged: 0,
      skipped: 0,
      inTarget: 0,
    };
    const copied: string[] = [];
    for (const rec of usable('call_logs', callLogs)) {
      // Call logs are written once per call: an existing row is kept as it is.
      if (await target.callLogs.has(rec.callId)) r.unchanged++;
      else if (opts.dryRun || (await target.callLogs.append(rec))) r.inserted++;
      else r.unchanged++;
      copied.push(rec.callId);
      opts.progress.tick('call_logs');
    }
    r.skipped = r.source - copied.length;
    if (opts.dryRun) r.inTarget = copied.length;
    else {
      const have = new Set((await target.callLogs.list()).map((x) => x.callId));
      r.inTarget = copied.filter((id) => have.has(id)).length;
    }
    reports.push(r);
  }

  reports.push(
    await copyLog(
      'audit',
      usable('audit', audit),
      audit.length,
      target.audit,
      (e) => JSON.stringify([e.at, e.user, e.action, e.details]),
      opts,
    ),
  );
  reports.push(
    await copyLog('chats', usable('chats', chats), chats.length, target.chats, (c) => `${c.chatId}\u0000${c.at}`, opts),
  );
  reports.push(
    await copyLog(
      'recordings',
      usable('recordings', recordings),
      recordings.length,
      target.recordings,
      (r) => `${r.callId}\u0000${r.at}\u0000${r.seq}`,
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

export const migrate = implement({ parse: parseMigrateOptions, run: runMigrate, render: renderMigrate });
