import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { pipeline } from 'node:stream/promises';
import type { Writable } from 'node:stream';
import * as tar from 'tar';
import { thisProcess } from '../deps.js';
import { removeStaleCopies } from './private-dir.js';
import {
  COLLECTIONS,
  LOG_KEYS,
  type AppendLog,
  type CallLogRecord,
  type Doc,
  type SnapshotKind,
  type Store,
} from './types.js';

/**
 * The backup archive: a gzipped tar (POSIX ustar, via the `tar` package) of
 *
 * - `manifest.json`: {@link BackupManifest}, first, naming every other file with its SHA-256;
 * - `collections/<name>.ndjson`: each collection's documents, one JSON object per line, as stored
 *   (sealed fields stay sealed: the archive opens with the same admin passwords as the store);
 * - `call_logs.ndjson`, `logs/audit.ndjson`, `logs/chats.ndjson`, `logs/recordings.ndjson`;
 * - `secrets.env` only when asked: the blind-index key and the sealing-key pin, `NAME=value` lines.
 *
 * The same format for either backend, so a backup of one restores into the other.
 */
export const BACKUP_FORMAT = 'receptionist-backup';
export const BACKUP_FORMAT_VERSION = 1;

export interface BackupFile {
  /** Path inside the archive. */
  path: string;
  /** What it holds: a collection's name, `call_logs`, `audit`, `chats`, `recordings`, `secrets`. */
  name: string;
  /** Lines (records; secrets: variables). */
  records: number;
  bytes: number;
  /** Hex SHA-256 of the file's bytes. */
  sha256: string;
}

export interface BackupManifest {
  format: typeof BACKUP_FORMAT;
  formatVersion: number;
  /** ISO 8601 UTC: when the snapshot was taken. */
  createdAt: string;
  /** The receptionist version that wrote it. */
  writtenBy: string;
  source: { backend: Store['kind']; location: string; snapshot: SnapshotKind };
  /** Whether `secrets.env` is in it. */
  secrets: boolean;
  files: BackupFile[];
  /** Records no read could use (DUR-5), left out of the archive: which, and why. */
  skipped?: Array<{ collection: string; id: string; reason: string }>;
}

/** A backup that cannot be read or fails its checks; nothing was written. `reason` for the caller's hint. */
export class BackupError extends Error {
  constructor(
    message: string,
    readonly reason: 'unreadable' | 'not-a-backup' | 'newer' | 'checksum',
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'BackupError';
  }
}

/** One NDJSON file being written: hashed and counted as it goes, with backpressure. */
class NdjsonWriter {
  private readonly out: fs.WriteStream;
  private readonly hash = createHash('sha256');
  private records = 0;
  private bytes = 0;
  constructor(
    private readonly dir: string,
    private readonly file: string,
    private readonly name: string,
  ) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true, mode: 0o700 });
    this.out = fs.createWriteStream(path.join(dir, file), { mode: 0o600 });
    // Kept, not thrown from an event: a failed read elsewhere removes the staging folder under it.
    this.out.on('error', (err) => (this.failed ??= err));
  }
  private failed: Error | undefined;
  async write(value: unknown): Promise<void> {
    if (this.failed) throw this.failed;
    const line = Buffer.from(`${JSON.stringify(value)}\n`);
    this.hash.update(line);
    this.records++;
    this.bytes += line.length;
    if (!this.out.write(line)) await new Promise<void>((r) => this.out.once('drain', () => r()));
  }
  async close(): Promise<BackupFile> {
    await new Promise<void>((resolve, reject) => this.out.end((err?: Error | null) => (err ? reject(err) : resolve())));
    if (this.failed) throw this.failed;
    return {
      path: this.file,
      name: this.name,
      records: this.records,
      bytes: this.bytes,
      sha256: this.hash.digest('hex'),
    };
  }
}

const LOGS = ['audit', 'chats', 'recordings'] as const;

/**
 * Writes a backup of the whole store to `out`: a snapshot ({@link Store.snapshot}, so `serve` may
 * go on writing) staged in a private temporary folder (mode 700, removed after), then streamed as
 * one archive. Memory stays bounded: call logs are streamed, each collection read once.
 * `secrets`: the `.env` values to put in `secrets.env` (the blind-index key and the pin).
 * @throws StoreUnavailableError; Error from writing `out`
 */
export async function writeBackup(
  store: Store,
  out: Writable,
  opts: { now: () => Date; version: string; secrets?: Record<string, string> },
): Promise<BackupManifest> {
  removeStaleCopies(os.tmpdir(), 'receptionist-backup-', { unnumberedAfterMs: 86_400_000 });
  const staging = fs.mkdtempSync(path.join(os.tmpdir(), `receptionist-backup-${thisProcess.pid}-`));
  try {
    const manifest = await store.snapshot(async (view, how) => {
      const createdAt = opts.now().toISOString();
      const files: BackupFile[] = [];
      for (const name of COLLECTIONS) {
        const w = new NdjsonWriter(staging, `collections/${name}.ndjson`, name);
        for (const doc of await view.collection(name).find({}, { sort: { _id: 1 } })) await w.write(doc);
        files.push(await w.close());
      }
      const calls = new NdjsonWriter(staging, 'call_logs.ndjson', 'call_logs');
      for await (const r of view.callLogs.stream()) await calls.write(r);
      files.push(await calls.close());
      for (const log of LOGS) {
        const w = new NdjsonWriter(staging, `logs/${log}.ndjson`, log);
        for (const e of await (view[log] as AppendLog<unknown>).list()) await w.write(e);
        files.push(await w.close());
      }
      const skipped = (await view.badRecords?.()) ?? [];
      return {
        format: BACKUP_FORMAT,
        formatVersion: BACKUP_FORMAT_VERSION,
        createdAt,
        writtenBy: opts.version,
        source: { backend: store.kind, location: store.location, snapshot: how },
        secrets: Boolean(opts.secrets),
        files,
        ...(skipped.length ? { skipped } : {}),
      } satisfies BackupManifest;
    });
    if (opts.secrets) {
      const text = Object.entries(opts.secrets)
        .map(([k, v]) => `${k}=${v}\n`)
        .join('');
      fs.writeFileSync(path.join(staging, 'secrets.env'), text, { mode: 0o600 });
      manifest.files.push({
        path: 'secrets.env',
        name: 'secrets',
        records: Object.keys(opts.secrets).length,
        bytes: Buffer.byteLength(text),
        sha256: createHash('sha256').update(text).digest('hex'),
      });
    }
    fs.writeFileSync(path.join(staging, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await pipeline(
      tar.create({ gzip: true, cwd: staging, portable: true }, ['manifest.json', ...manifest.files.map((f) => f.path)]),
      out,
    );
    return manifest;
  } finally {
    fs.rmSync(staging, { recursive: true, force: true });
  }
}

/** A backup unpacked into a private folder and checked: every file is in the manifest, and matches it. */
export interface VerifiedBackup {
  manifest: BackupManifest;
  dir: string;
  /** The `secrets.env` values, when the backup has them. */
  secrets?: Record<string, string>;
  /** Removes the unpacked folder. */
  dispose(): void;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(fs.createReadStream(file), hash);
  return hash.digest('hex');
}

/**
 * Unpacks `file` into a private temporary folder and checks it before anything is written
 * anywhere else: a receptionist backup of a format this version reads; every file the manifest
 * names present, of its size and SHA-256, and no other file; every line of every NDJSON file JSON.
 * @throws BackupError (unreadable, not a backup, newer format, a checksum or count that does not match)
 */
export async function openBackup(file: string): Promise<VerifiedBackup> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-restore-'));
  const dispose = () => fs.rmSync(dir, { recursive: true, force: true });
  try {
    const entries: string[] = [];
    try {
      await tar.extract({
        file,
        cwd: dir,
        strict: true,
        // Plain files only (no links, devices); tar already refuses absolute and `..` paths.
        filter: (p, e) => {
          const ok = 'type' in e ? e.type === 'File' || e.type === 'OldFile' || e.type === 'Directory' : true;
          if (ok && !p.endsWith('/')) entries.push(p.replace(/^\.\//, ''));
          return ok;
        },
      });
    } catch (err) {
      throw new BackupError(`${file} is not a readable backup archive: ${(err as Error).message}`, 'unreadable', {
        cause: err,
      });
    }
    const manifest = readManifest(dir, file);
    const problems: string[] = [];
    const named = new Set(manifest.files.map((f) => f.path));
    for (const extra of entries.filter((e) => e !== 'manifest.json' && !named.has(e)))
      problems.push(`${extra} is not in the manifest`);
    for (const f of manifest.files) {
      const p = path.join(dir, f.path);
      if (!fs.existsSync(p)) {
        problems.push(`${f.path} is missing`);
        continue;
      }
      const size = fs.statSync(p).size;
      if (size !== f.bytes) problems.push(`${f.path} has ${size} bytes, the manifest says ${f.bytes}`);
      else if ((await sha256Of(p)) !== f.sha256) problems.push(`${f.path} does not match its SHA-256`);
      else if (f.path.endsWith('.ndjson')) {
        const lines = await countJsonLines(p);
        if (typeof lines === 'string') problems.push(`${f.path}: ${lines}`);
        else if (lines !== f.records) problems.push(`${f.path} has ${lines} records, the manifest says ${f.records}`);
      }
    }
    if (problems.length) throw new BackupError(`${file} fails its checks: ${problems.join('; ')}.`, 'checksum');
    const secrets = manifest.secrets ? parseEnv(fs.readFileSync(path.join(dir, 'secrets.env'), 'utf8')) : undefined;
    return { manifest, dir, ...(secrets ? { secrets } : {}), dispose };
  } catch (err) {
    dispose();
    throw err;
  }
}

function readManifest(dir: string, file: string): BackupManifest {
  let m: BackupManifest;
  try {
    m = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as BackupManifest;
  } catch (err) {
    throw new BackupError(`${file} has no readable manifest.json: it is not a receptionist backup.`, 'not-a-backup', {
      cause: err,
    });
  }
  if (m?.format !== BACKUP_FORMAT || !Array.isArray(m.files))
    throw new BackupError(`${file} is not a receptionist backup (its manifest says otherwise).`, 'not-a-backup');
  if (!(m.formatVersion <= BACKUP_FORMAT_VERSION))
    throw new BackupError(
      `${file} was written by a newer receptionist (${m.writtenBy}, format ${m.formatVersion}; this one reads ${BACKUP_FORMAT_VERSION}).`,
      'newer',
    );
  for (const f of m.files)
    if (typeof f?.path !== 'string' || path.isAbsolute(f.path) || f.path.split(/[\\/]/).includes('..'))
      throw new BackupError(`${file}: its manifest names a file outside the archive.`, 'not-a-backup');
  return m;
}

/** The number of lines, or what is wrong with the first line that is not JSON. */
async function countJsonLines(file: string): Promise<number | string> {
  let n = 0;
  for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity })) {
    n++;
    try {
      JSON.parse(line);
    } catch {
      return `line ${n} is not JSON`;
    }
  }
  return n;
}

async function* jsonLines<T>(file: string): AsyncIterable<T> {
  for await (const line of readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity }))
    yield JSON.parse(line) as T;
}

function parseEnv(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^[A-Z_][A-Z0-9_]*=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

/** What a restore wrote: per collection or log, how many records it holds from the backup. */
export interface RestoreReport {
  /** Per file name (a collection, `call_logs`, a log): records in the backup, and written. */
  counts: Array<{ name: string; records: number; written: number }>;
  /** Entries of an append-only log the store already had (kept, not written again). */
  kept: number;
}

/** Documents, call logs and log entries in the store: 0 when it is empty (a new store). */
export async function storeRecordCount(store: Store): Promise<number> {
  let n = 0;
  for (const name of COLLECTIONS) n += await store.collection(name).count({});
  for await (const _ of store.callLogs.stream({ limit: 1 })) n++;
  for (const log of LOGS) n += (await (store[log] as AppendLog<unknown>).list()).length;
  return n;
}

/**
 * Writes a checked backup into `store`: each collection's documents under their ids, every call
 * log, and the log entries the store lacks. `replace`: what the store holds in the collections and
 * the call log first goes (the append-only logs are never emptied: the audit trail stays).
 * The embedded store does it in one transaction (all or nothing); MongoDB collection by
 * collection (a restore that stopped half way is run again with replace).
 * @throws StoreUnavailableError, DuplicateKeyError (a document clashes with one the store keeps)
 */
export async function restoreBackup(
  store: Store,
  backup: VerifiedBackup,
  opts: { replace: boolean; onProgress?: (name: string) => void },
): Promise<RestoreReport> {
  const file = (name: string) => backup.manifest.files.find((f) => f.name === name);
  const report: RestoreReport = { counts: [], kept: 0 };
  const work = async () => {
    for (const name of COLLECTIONS) {
      const f = file(name);
      const col = store.collection(name);
      if (opts.replace) await col.deleteMany({});
      let written = 0;
      if (f)
        for await (const doc of jsonLines<Doc>(path.join(backup.dir, f.path))) {
          await col.replaceOne(doc);
          written++;
        }
      report.counts.push({ name, records: f?.records ?? 0, written });
      opts.onProgress?.(name);
    }
    const calls = file('call_logs');
    if (opts.replace) await store.callLogs.rewrite(() => null);
    let written = 0;
    if (calls)
      for await (const r of jsonLines<CallLogRecord>(path.join(backup.dir, calls.path)))
        if (await store.callLogs.append(r)) written++;
    report.counts.push({ name: 'call_logs', records: calls?.records ?? 0, written });
    opts.onProgress?.('call_logs');
    for (const log of LOGS) {
      const f = file(log);
      const target = store[log] as AppendLog<unknown>;
      const key = LOG_KEYS[log] as (e: unknown) => string;
      const have = new Set((await target.list()).map(key));
      let n = 0;
      if (f)
        for await (const e of jsonLines<unknown>(path.join(backup.dir, f.path))) {
          if (have.has(key(e))) report.kept++;
          else {
            await target.append(e);
            n++;
          }
        }
      report.counts.push({ name: log, records: f?.records ?? 0, written: n });
      opts.onProgress?.(log);
    }
  };
  if (store.kind === 'local') await store.atomically(work);
  else await work();
  return report;
}
