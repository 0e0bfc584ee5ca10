import fs from 'node:fs';
import path from 'node:path';
import type { DatabaseSync } from 'node:sqlite';
import { COLLECTIONS, type CollectionName, type Doc } from '../types.js';
import { StoreError } from '../../errors.js';
import { CsvCallLog } from '../local/csv-call-log.js';
import { callLogValues, INSERT_CALL_LOG } from './logs.js';
import { tableOf } from './collection.js';

/** The files of the NeDB version's data directory. */
const NEDB_FILES = [
  ...COLLECTIONS.map((c) => `${c}.db`),
  'calls.csv',
  'audit.jsonl',
  'chats.jsonl',
  'recordings.jsonl',
];

/** Does this folder hold a store written by the NeDB version (any of its files)? */
export function holdsNedbStore(dir: string): boolean {
  return NEDB_FILES.some((f) => fs.existsSync(path.join(dir, f)));
}

/**
 * Reads a NeDB datafile without NeDB: one JSON document per line, the last line per `_id` wins,
 * `$$deleted` removes, `$$indexCreated` lines are index definitions; `{"$$date": ms}` is a date
 * (stored as its ISO text). A torn last line (never acknowledged) is skipped. A damaged line
 * elsewhere is reported to `onDamaged` (the file itself is kept whole, so nothing is lost), or,
 * without it, is an error.
 * @throws StoreError naming the file and line (without `onDamaged`)
 */
export function readNedbFile(file: string, onDamaged?: (message: string) => void): Doc[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const lines = text.split('\n');
  const byId = new Map<string, Doc>();
  lines.forEach((line, i) => {
    if (!line) return;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line, (_k, v: unknown) =>
        v && typeof v === 'object' && '$$date' in v ? new Date((v as { $$date: number }).$$date).toISOString() : v,
      ) as Record<string, unknown>;
    } catch {
      if (i === lines.length - 1) return; // an unfinished last write
      if (onDamaged) return onDamaged(`${file} line ${i + 1} is not JSON`);
      throw new StoreError(
        `${file} line ${i + 1} is not JSON; nothing was imported.`,
        'Restore the file from a backup.',
      );
    }
    if ('$$indexCreated' in doc) return;
    if (typeof doc._id !== 'string') return;
    if (doc.$$deleted === true) byId.delete(doc._id);
    else byId.set(doc._id, doc as Doc);
  });
  return [...byId.values()];
}

function readJsonl(file: string): unknown[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const out: unknown[] = [];
  for (const line of text.split('\n')) {
    if (!line) continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      // A torn last line: never acknowledged.
    }
  }
  return out;
}

/** The folders earlier imports moved NeDB-version files into (`<dir>/nedb-backup-<time>/`), oldest first. */
export function nedbBackups(dir: string): string[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.startsWith('nedb-backup-'))
    .sort()
    .map((n) => path.join(dir, n));
}

/**
 * Copies a NeDB-version data directory into the open SQLite store in one transaction, checks
 * every record arrived (count per table), then moves the old files to `nedb-backup-<time>/`
 * (unless `keepFiles`: a read of a backup, say).
 * @throws StoreError (a damaged file, a count that does not match: nothing is moved)
 */
export async function importNedbStore(
  db: DatabaseSync,
  dir: string,
  inTransaction: <R>(fn: () => R) => R,
  opts: { keepFiles?: boolean; onDamaged?: (message: string) => void } = {},
): Promise<{ total: number; backup?: string }> {
  const docs = new Map<CollectionName, Doc[]>(
    COLLECTIONS.map((c) => [c, readNedbFile(path.join(dir, `${c}.db`), opts.onDamaged)]),
  );
  const calls = fs.existsSync(path.join(dir, 'calls.csv'))
    ? await (await CsvCallLog.snapshot(path.join(dir, 'calls.csv'))).list()
    : [];
  const logs = {
    audit: readJsonl(path.join(dir, 'audit.jsonl')),
    chats: readJsonl(path.join(dir, 'chats.jsonl')),
    recordings: readJsonl(path.join(dir, 'recordings.jsonl')),
  };
  inTransaction(() => {
    for (const [name, list] of docs) {
      const insert = db.prepare(`INSERT INTO ${tableOf(name)} (id, doc) VALUES (?, ?)`);
      for (const { _id, ...rest } of list) insert.run(_id, JSON.stringify(rest));
    }
    const insertCall = db.prepare(INSERT_CALL_LOG);
    for (const r of calls) insertCall.run(...callLogValues(r));
    for (const [name, entries] of Object.entries(logs)) {
      const insert = db.prepare(`INSERT INTO log_${name} (entry) VALUES (?)`);
      for (const e of entries) insert.run(JSON.stringify(e));
    }
    // Every record accounted for, or nothing is kept.
    const count = (table: string) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
    const expected: Array<[string, number]> = [
      ...[...docs].map(([name, list]) => [tableOf(name), list.length] as [string, number]),
      ['call_logs', new Set(calls.map((c) => c.callId)).size],
      ...Object.entries(logs).map(([name, e]) => [`log_${name}`, e.length] as [string, number]),
    ];
    for (const [table, n] of expected)
      if (count(table) !== n)
        throw new StoreError(
          `Importing the NeDB store into ${table}: ${count(table)} of ${n} records arrived; nothing was imported.`,
        );
  });
  const total =
    [...docs.values()].reduce((n, d) => n + d.length, 0) +
    calls.length +
    Object.values(logs).reduce((n, e) => n + e.length, 0);
  if (opts.keepFiles) return { total };
  return { total, backup: moveNedbFiles(dir) };
}

/** Moves the NeDB version's files in `dir` into a new `nedb-backup-<time>/` (mode 700), returned. */
export function moveNedbFiles(dir: string): string {
  const backup = path.join(dir, `nedb-backup-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  fs.mkdirSync(backup, { mode: 0o700 });
  for (const f of fs.readdirSync(dir))
    if (NEDB_FILES.includes(f) || f.endsWith('.db~') || f === 'LOCK')
      fs.renameSync(path.join(dir, f), path.join(backup, f));
  return backup;
}
