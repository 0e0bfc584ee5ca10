import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { thisProcess } from '../../deps.js';
import { namedBadRecords } from '../../store/types.js';
import { removeStaleCopies } from '../../store/private-dir.js';
import { storedBlindIndexCheck } from '../../domain/keyring.js';
import { compareBlindIndexCheck, parseBlindIndexKey } from '../../crypto/blind-index.js';
import {
  BackupError,
  openBackup,
  restoreBackup,
  storeRecordCount,
  writeBackup,
  type BackupManifest,
  type VerifiedBackup,
} from '../../store/backup.js';
import { UsageError, UserError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { BackupFlags, RestoreFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { setDotenvValue } from '../shared/credentials.js';
import { auditDeskChange } from '../shared/front-desk.js';
import { blindIndexKeyFromEnv, SEALING_KEY_PIN_VAR } from '../../domain/sealing-keys.js';

const BLIND_KEY_VAR = 'RECEPTIONIST_BLIND_INDEX_KEY';

/** `<file>` or `-`, `--include-secrets`, `--force`. */
interface BackupOptions {
  file: string;
  includeSecrets: boolean;
  force: boolean;
}

export interface BackupResult {
  /** The path written, or `-` (stdout). */
  file: string;
  bytes: number;
  createdAt: string;
  snapshot: BackupManifest['source']['snapshot'];
  secrets: boolean;
  /** Records per collection and log. */
  records: Record<string, number>;
  /** Records no read could use (DUR-5), not in the archive. */
  skipped: Array<{ collection: string; id: string; reason: string }>;
}

const recordsOf = (m: BackupManifest) =>
  Object.fromEntries(m.files.filter((f) => f.name !== 'secrets').map((f) => [f.name, f.records]));

/** Counts what passes through to the destination. */
function counting(out: NodeJS.WritableStream, onBytes: (n: number) => void): Transform {
  const t = new Transform({
    transform(chunk: Buffer, _e, done) {
      onBytes(chunk.length);
      done(null, chunk);
    },
  });
  t.pipe(out, { end: false });
  return t;
}

/**
 * Writes the backup: to `-` (stdout, never a terminal) or to a file, whole or not at all (a
 * `.partial` beside it, flushed, then renamed; mode 600). Audited (who, the file, with or without secrets).
 * @throws UsageError (stdout is a terminal), UserError (the file exists without --force,
 *   --include-secrets without a key), StoreError, StoreUnavailableError
 */
async function runBackup(o: BackupOptions, ctx: Context): Promise<BackupResult> {
  const toStdout = o.file === '-';
  if (toStdout && ctx.io.isOutTTY)
    throw new UsageError(
      'The archive is binary: it is not written to a terminal.',
      'Redirect or pipe it: `receptionist backup - > clinic.tar.gz`, or give a file name.',
    );
  const target = toStdout ? '-' : path.resolve(ctx.cwd, o.file);
  if (!toStdout && fs.existsSync(target) && !o.force)
    throw new UserError(`${target} exists.`, 'Give another file name, or pass --force to overwrite it.');
  let secrets: Record<string, string> | undefined;
  if (o.includeSecrets) {
    const key = blindIndexKeyFromEnv(ctx.env);
    if (!key)
      throw new UserError(
        `--include-secrets: ${BLIND_KEY_VAR} is not set, so there is no key to include.`,
        'Run it where serve runs (its .env), or leave --include-secrets out.',
      );
    const pin = ctx.env.get(SEALING_KEY_PIN_VAR)?.value;
    secrets = { [BLIND_KEY_VAR]: key.toString('base64url'), ...(pin ? { [SEALING_KEY_PIN_VAR]: pin } : {}) };
  }
  const store = await ctx.store({ readOnly: true });
  let bytes = 0;
  let manifest: BackupManifest;
  if (toStdout) {
    manifest = await writeBackup(
      store,
      counting(ctx.io.out, (n) => (bytes += n)),
      {
        now: ctx.now,
        version: VERSION,
        secrets,
      },
    );
  } else {
    // A backup killed mid-way left its partial file beside the target: gone now if its process is.
    removeStaleCopies(path.dirname(target), `${path.basename(target)}.partial-`);
    const partial = `${target}.partial-${thisProcess.pid}`;
    try {
      const out = fs.createWriteStream(partial, { mode: 0o600, flags: 'wx', flush: true });
      manifest = await writeBackup(store, out, { now: ctx.now, version: VERSION, secrets });
      fs.renameSync(partial, target);
      bytes = fs.statSync(target).size;
    } catch (err) {
      fs.rmSync(partial, { force: true });
      throw err;
    }
  }
  if (manifest.source.snapshot === 'none')
    ctx.io.error(
      'Warning: MongoDB is a standalone server, which has no snapshot reads: a write during the backup may be in it in part. Run it as a replica set (one member is enough), as Atlas does.',
    );
  await auditDeskChange(ctx, store, 'backup', {
    file: toStdout ? '-' : path.basename(target),
    secrets: Boolean(secrets),
    createdAt: manifest.createdAt,
  });
  return {
    file: target,
    bytes,
    createdAt: manifest.createdAt,
    snapshot: manifest.source.snapshot,
    secrets: Boolean(secrets),
    records: recordsOf(manifest),
    skipped: manifest.skipped ?? [],
  };
}

function renderBackup(r: BackupResult, _o: BackupOptions, { io, globals: g }: RenderContext): void {
  // With `-`, stdout is the archive: the summary goes to stderr.
  const say = (line: string) => (r.file === '-' ? io.error(line) : g.json ? io.line(line) : io.info(line));
  if (g.json) return say(JSON.stringify(r));
  const total = Object.values(r.records).reduce((a, b) => a + b, 0);
  say(
    `Backed up ${total} records (${r.records.appointments ?? 0} appointments, ${r.records.call_logs ?? 0} call logs) to ${r.file === '-' ? 'stdout' : r.file}, ${r.bytes} bytes; snapshot of ${r.createdAt} (${r.snapshot}).`,
  );
  if (r.skipped.length)
    say(
      `Skipped ${r.skipped.length} record(s) no read can use, left as they are in the store: ${namedBadRecords(r.skipped, 10)}. \`receptionist preflight\` lists them all.`,
    );
  if (r.secrets) say('It holds RECEPTIONIST_BLIND_INDEX_KEY: keep it as safe as .env.');
  else say('It holds no key: keep RECEPTIONIST_BLIND_INDEX_KEY (in .env) with it.');
}

interface RestoreOptions {
  file: string;
  force: boolean;
}

export interface RestoreResult {
  file: string;
  createdAt: string;
  source: BackupManifest['source'];
  /** Records per collection and log in the backup. */
  records: Record<string, number>;
  /** Records written per collection and log. */
  written: Record<string, number>;
  /** `written`: the archive's values went into .env; `same`: .env had them; `none`: the archive has none. */
  secrets: 'written' | 'same' | 'none';
  /** What is wrong with .env's blind-index key for this store, if anything. */
  blindKeyWarning?: string;
}

/** `-`: stdin, copied to a private temporary file first (the archive is checked whole before anything is written). */
async function archiveFile(o: RestoreOptions, ctx: Context): Promise<{ file: string; done(): void }> {
  if (o.file !== '-') {
    const file = path.resolve(ctx.cwd, o.file);
    if (!fs.existsSync(file)) throw new UsageError(`No such file: ${file}.`);
    return { file, done: () => {} };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-stdin-'));
  const file = path.join(dir, 'backup.tar.gz');
  await pipeline(ctx.io.stdin, fs.createWriteStream(file, { mode: 0o600 }));
  return { file, done: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** The archive's secrets against .env: what to write, or why not. @throws UserError (a different key in .env) */
function planSecrets(backup: VerifiedBackup, ctx: Context): Array<[string, string]> {
  if (!backup.secrets) return [];
  const theirs = backup.secrets[BLIND_KEY_VAR];
  const ours = ctx.env.get(BLIND_KEY_VAR);
  if (ours && theirs && ours.value !== theirs)
    throw new UserError(
      `The backup's ${BLIND_KEY_VAR} differs from the one in ${ours.source}; nothing was restored.`,
      'Restore into a project folder whose .env has none (or the same one): the backup’s indexes and pending notifications were made with its key.',
    );
  return Object.entries(backup.secrets).filter(([k]) => !ctx.env.get(k as never));
}

/**
 * Checks the archive whole, then writes it into the store (empty, unless --force) and the
 * archive's secrets into .env where it has none. Audited.
 * @throws UsageError (no such file), UserError (fails its checks, newer format, store not empty,
 *   another key in .env), StoreError, StoreUnavailableError
 */
async function runRestore(o: RestoreOptions, ctx: Context): Promise<RestoreResult> {
  const source = await archiveFile(o, ctx);
  let backup: VerifiedBackup;
  try {
    backup = await openBackup(source.file);
  } catch (err) {
    source.done();
    if (err instanceof BackupError)
      throw new UserError(
        err.message,
        err.reason === 'newer' ? 'Upgrade receptionist.' : 'Nothing was written. Use another backup.',
        { cause: err },
      );
    throw err;
  }
  try {
    const toEnv = planSecrets(backup, ctx);
    const store = await ctx.store();
    const existing = await storeRecordCount(store);
    if (existing && !o.force)
      throw new UserError(
        `The store at ${store.location} is not empty (${existing} records); restore writes into an empty store only.`,
        'Restore into a new --data-dir (or MongoDB database), or pass --force to replace what it holds.',
      );
    const report = await restoreBackup(store, backup, { replace: o.force });
    for (const [k, v] of toEnv) setDotenvValue(ctx, k, v);
    await auditDeskChange(ctx, store, 'restore', {
      file: o.file === '-' ? '-' : path.basename(source.file),
      createdAt: backup.manifest.createdAt,
      force: o.force,
      records: report.counts.reduce((n, c) => n + c.written, 0),
    });
    // The key serve will use, against the check value the restored store keeps.
    const key = toEnv.find(([k]) => k === BLIND_KEY_VAR)?.[1] ?? ctx.env.get(BLIND_KEY_VAR)?.value;
    const stored = await storedBlindIndexCheck(store);
    const parsed = key ? parseBlindIndexKey(key) : undefined;
    const blindKeyWarning = !stored
      ? undefined
      : !parsed
        ? `${BLIND_KEY_VAR} is not set: copy it from the .env of the store backed up, or run \`receptionist keys reindex\` (callers are not recognised by number until then).`
        : compareBlindIndexCheck(stored, parsed) === 'other-key'
          ? `${BLIND_KEY_VAR} in .env is not the key of the store backed up: copy that .env's, or run \`receptionist keys reindex\`.`
          : undefined;
    return {
      file: o.file === '-' ? '-' : source.file,
      createdAt: backup.manifest.createdAt,
      source: backup.manifest.source,
      records: recordsOf(backup.manifest),
      written: Object.fromEntries(report.counts.map((c) => [c.name, c.written])),
      secrets: !backup.secrets ? 'none' : toEnv.length ? 'written' : 'same',
      ...(blindKeyWarning ? { blindKeyWarning } : {}),
    };
  } finally {
    backup.dispose();
    source.done();
  }
}

function renderRestore(r: RestoreResult, _o: RestoreOptions, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify(r));
  const total = Object.values(r.written).reduce((a, b) => a + b, 0);
  io.info(
    `Restored ${total} records (${r.written.appointments ?? 0} appointments, ${r.written.call_logs ?? 0} call logs) from the backup of ${r.createdAt} (${r.source.backend}).`,
  );
  if (r.secrets === 'written') io.info('Wrote the backup’s RECEPTIONIST_BLIND_INDEX_KEY and key pin to .env.');
  if (r.blindKeyWarning) io.error(`Warning: ${r.blindKeyWarning}`);
}

/** `backup <file>`. */
export const parseBackup = (f: BackupFlags): BackupOptions => ({
  file: f.file,
  includeSecrets: f.includeSecrets === true,
  force: f.force === true,
});
/** `restore <file>`. */
export const parseRestore = (f: RestoreFlags): RestoreOptions => ({ file: f.file, force: f.force === true });

export const backup = implement({
  parse: parseBackup,
  run: runBackup,
  render: renderBackup,
});

export const restore = implement({
  parse: parseRestore,
  run: runRestore,
  render: renderRestore,
});
