import fs from 'node:fs';
import { ensurePrivateDir, tightenFiles, writePrivateFileAtomically } from './private-dir.js';
import path from 'node:path';
import { StoreError } from '../errors.js';
import { acquireDirLock, type DirLock } from './local/lock.js';
import { appendDurably } from './local/append.js';
import { StoreUnavailableError } from './types.js';

/** One acknowledged entry of the journal, in arrival order. */
export interface SpoolEntry<T> {
  /** Increasing per journal. */
  seq: number;
  /** ISO time it was spooled. */
  at: string;
  data: T;
}

/** Slots under `<data-dir>/spool/`: one per `serve` process on this machine sharing the data directory. */
const MAX_SLOTS = 16;

/**
 * A local write-ahead journal (DUR-2): entries the database could not take are appended here,
 * fsynced before they are acknowledged, and handed back in order by `drain` once it returns.
 * File: `<data-dir>/spool/<slot>/journal.jsonl`, one JSON `SpoolEntry` per line, mode 0600.
 * Each `serve` process locks its own slot; a slot left by a crashed process is taken over
 * (and drained) by the next one. Entries are applied at least once, so `apply` must be
 * idempotent; the journal is rewritten only after a drain, never per entry.
 */
export class Spool<T> {
  private entries: SpoolEntry<T>[] = [];
  private seq = 0;
  private queue: Promise<unknown> = Promise.resolve();
  private draining: Promise<number> | undefined;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly lock: DirLock,
  ) {}

  /**
   * Opens the first free slot and loads what it holds. A torn last line (a write cut by a
   * crash, never acknowledged) is dropped; any other unreadable line is skipped with a warning.
   * @throws StoreError when no slot can be created or locked
   */
  static open<T>(dataDir: string, opts: { purpose: string; onWarning?: (m: string) => void }): Spool<T> {
    const root = path.join(path.resolve(dataDir), 'spool');
    for (let slot = 0; slot < MAX_SLOTS; slot++) {
      const dir = path.join(root, String(slot));
      ensurePrivateDir(dir, 'spool directory');
      tightenFiles(dir, ['journal'], 'spool journal');
      let lock: DirLock;
      try {
        lock = acquireDirLock(dir, opts.purpose);
      } catch (err) {
        if (err instanceof StoreError && /in use by another/.test(err.message)) continue;
        throw err;
      }
      const spool = new Spool<T>(path.join(dir, 'journal.jsonl'), lock);
      spool.load(opts.onWarning ?? (() => {}));
      return spool;
    }
    throw new StoreError(`All ${MAX_SLOTS} spool slots under ${root} are in use.`, undefined, { reason: 'spool-full' });
  }

  private load(warn: (m: string) => void): void {
    let text = '';
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        throw new StoreError(`Cannot read the spool ${this.file}: ${(err as Error).message}`, undefined, {
          cause: err,
        });
    }
    const lines = text.split('\n');
    const torn = lines.pop(); // '' when the file ends with a newline
    if (torn) warn(`dropped a torn last line of ${this.file} (a write cut short; it was never acknowledged)`);
    lines.forEach((line, i) => {
      if (!line) return;
      try {
        const e = JSON.parse(line) as SpoolEntry<T>;
        if (typeof e.seq !== 'number' || !('data' in e)) throw new Error('not an entry');
        this.entries.push(e);
        this.seq = Math.max(this.seq, e.seq);
      } catch {
        warn(`skipped unreadable line ${i + 1} of ${this.file}`);
      }
    });
    if (torn || this.entries.length !== lines.filter(Boolean).length) this.rewriteSync();
  }

  /** Entries waiting to be written. */
  get depth(): number {
    return this.entries.length;
  }

  /** Runs file operations one at a time, in call order. */
  private serial<R>(fn: () => Promise<R> | R): Promise<R> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Appends one entry durably (written and fsynced before this resolves).
   * @throws StoreUnavailableError when the disk refuses it (then it is not acknowledged)
   */
  append(data: T, now = new Date()): Promise<SpoolEntry<T>> {
    return this.serial(async () => {
      if (this.closed) throw new StoreUnavailableError('the spool is closed');
      const entry: SpoolEntry<T> = { seq: this.seq + 1, at: now.toISOString(), data };
      await appendDurably(this.file, `${JSON.stringify(entry)}\n`, `the spool ${this.file}`);
      this.seq = entry.seq;
      this.entries.push(entry);
      return entry;
    });
  }

  /**
   * Applies entries oldest first until the journal is empty or `apply` throws (the entry stays
   * at the head). One drain runs at a time; a second call joins it. Resolves to how many were
   * applied; rethrows nothing: a failure just ends this round.
   */
  drain(apply: (data: T) => Promise<unknown>): Promise<number> {
    this.draining ??= (async () => {
      let applied = 0;
      try {
        while (this.entries.length && !this.closed) {
          await apply(this.entries[0]!.data);
          this.entries.shift();
          applied++;
        }
      } catch {
        // Still unavailable: the head entry stays for the next round.
      } finally {
        if (applied) await this.serial(() => this.rewriteSync()).catch(() => undefined);
        this.draining = undefined;
      }
      return applied;
    })();
    return this.draining;
  }

  /** Writes the entries still waiting (an empty file once drained), atomically. */
  private rewriteSync(): void {
    writePrivateFileAtomically(this.file, this.entries.map((e) => `${JSON.stringify(e)}\n`).join(''));
  }

  /** Waits for running writes and releases the slot (entries stay on disk for the next run). */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.draining;
    this.closed = true;
    await this.queue;
    this.lock.release();
  }
}
