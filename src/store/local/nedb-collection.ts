import fs from 'node:fs';
import NedbModule from '@seald-io/nedb';
import {
  DuplicateKeyError,
  StoreUnavailableError,
  type Collection,
  type Doc,
  type IndexSpec,
  type Query,
  type Update,
} from '../types.js';
import { StoreError } from '../../errors.js';

// The package is CommonJS whose typings declare an ES default export; at run time the
// default import is the class itself.
const Datastore = NedbModule as unknown as typeof NedbModule.default;
type Nedb = InstanceType<typeof Datastore>;

/**
 * A `Collection` on one NeDB datafile.
 *
 * NeDB adds a document to memory before appending it to the file, so a failed append leaves
 * memory ahead of disk. After any failed write this collection reloads itself from the file
 * before serving again (and stays unavailable until that works), so nothing that was not
 * persisted is ever read back.
 */
export class NedbCollection<T extends Doc> implements Collection<T> {
  private needsReload = false;
  private batch: Array<{ doc: T; resolve: (d: T) => void; reject: (e: unknown) => void }> = [];

  private constructor(
    private readonly db: Nedb,
    private readonly uniqueFields: string[],
    private readonly readOnly: boolean,
    private readonly label: string,
  ) {}

  /** Opens (and repairs a torn last line of) a datafile. @throws StoreError when the file is corrupt. */
  static async open<T extends Doc>(
    file: string,
    indexes: IndexSpec[],
    onWarning: (msg: string) => void,
  ): Promise<NedbCollection<T>> {
    repairTornTail(file, onWarning);
    const db = new Datastore({ filename: file, corruptAlertThreshold: 0.1 });
    try {
      await db.loadDatabaseAsync();
    } catch (err) {
      throw new StoreError(
        `The store file ${file} is corrupt: ${(err as Error).message}`,
        'Restore it from a backup, or move it away to start that collection empty.',
        { cause: err },
      );
    }
    for (const ix of indexes)
      await db.ensureIndexAsync({ fieldName: ix.field, unique: ix.unique ?? false, sparse: ix.sparse ?? false });
    return new NedbCollection<T>(db, uniqueFields(indexes), false, file);
  }

  /** A read-only, in-memory copy of a datafile that another process may be writing (no lock, no rewrite). */
  static async snapshot<T extends Doc>(file: string): Promise<NedbCollection<T>> {
    const db = new Datastore({ inMemoryOnly: true });
    const docs = readDatafile(file);
    if (docs.length) await db.insertAsync(docs);
    return new NedbCollection<T>(db, [], true, file);
  }

  async findOne(query: Query): Promise<T | null> {
    await this.ready();
    return (await this.db.findOneAsync(query)) as T | null;
  }

  async find(query: Query, opts: { sort?: Record<string, 1 | -1>; limit?: number } = {}): Promise<T[]> {
    await this.ready();
    let cursor = this.db.findAsync(query);
    if (opts.sort) cursor = cursor.sort(opts.sort);
    if (opts.limit) cursor = cursor.limit(opts.limit);
    return (await cursor) as T[];
  }

  async count(query: Query): Promise<number> {
    await this.ready();
    return this.db.countAsync(query);
  }

  /**
   * Inserts arriving in the same tick are written with one append (group commit); each
   * caller is answered only once its document is on disk.
   */
  insertOne(doc: T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.batch.push({ doc, resolve, reject });
      if (this.batch.length === 1) setImmediate(() => void this.flushInserts());
    });
  }

  private async flushInserts(): Promise<void> {
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 1) {
      const [one] = batch;
      return this.write(() => this.db.insertAsync(one!.doc) as Promise<T>, one!.doc).then(one!.resolve, one!.reject);
    }
    try {
      const docs = (await this.write(
        () => this.db.insertAsync(batch.map((b) => b.doc)) as unknown as Promise<T[]>,
      )) as T[];
      batch.forEach((b, i) => b.resolve(docs[i]!));
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) {
        for (const b of batch) b.reject(err);
        return;
      }
      // NeDB rolled the whole batch back: insert one by one so each caller gets its own outcome.
      for (const b of batch)
        await this.write(() => this.db.insertAsync(b.doc) as Promise<T>, b.doc).then(b.resolve, b.reject);
    }
  }

  async updateOne(query: Query, update: Update, opts: { upsert?: boolean } = {}): Promise<{ matched: number }> {
    return this.write(async () => {
      const res = await this.db.updateAsync(query, update, { upsert: opts.upsert ?? false, multi: false });
      return { matched: res.upsert ? 0 : res.numAffected };
    }, update.$set);
  }

  async replaceOne(doc: T): Promise<'inserted' | 'replaced'> {
    return this.write(
      async () =>
        (await this.db.updateAsync({ _id: doc._id }, doc, { upsert: true })).upsert ? 'inserted' : 'replaced',
      doc,
    );
  }

  async updateMany(query: Query, update: Update): Promise<{ matched: number }> {
    return this.write(async () => ({
      matched: (await this.db.updateAsync(query, update, { multi: true })).numAffected,
    }));
  }

  async deleteMany(query: Query): Promise<{ deleted: number }> {
    return this.write(async () => ({ deleted: await this.db.removeAsync(query, { multi: true }) }));
  }

  async compact(): Promise<void> {
    await this.write(() => this.db.compactDatafileAsync());
  }

  private async ready(): Promise<void> {
    if (!this.needsReload) return;
    try {
      await this.db.loadDatabaseAsync();
      this.needsReload = false;
    } catch (err) {
      throw new StoreUnavailableError(`store file ${this.label} is not readable: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  private async write<R>(op: () => Promise<R>, fields?: Record<string, unknown>): Promise<R> {
    if (this.readOnly) throw new StoreError('This command opened the store read-only.');
    await this.ready();
    try {
      return await op();
    } catch (err) {
      if ((err as { errorType?: string }).errorType === 'uniqueViolated') {
        throw new DuplicateKeyError(await this.violatedField(fields), { cause: err });
      }
      this.needsReload = true;
      throw new StoreUnavailableError(`cannot write ${this.label}: ${(err as Error).message}`, { cause: err });
    }
  }

  private async violatedField(fields: Record<string, unknown> | undefined): Promise<string | undefined> {
    if (!fields) return undefined;
    for (const f of this.uniqueFields) {
      if (fields[f] !== undefined && (await this.db.countAsync({ [f]: fields[f] })) > 0) return f;
    }
    return undefined;
  }
}

function uniqueFields(indexes: IndexSpec[]): string[] {
  return ['_id', ...indexes.filter((i) => i.unique).map((i) => i.field)];
}

/**
 * An append cut short (power loss, full disk) leaves a last line without its newline; NeDB would
 * count it as corruption. Such a tail was never acknowledged, so it is cut off.
 */
function repairTornTail(file: string, onWarning: (msg: string) => void): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r+');
  } catch {
    return; // No file yet.
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) return;
    const tailLen = Math.min(size, 64 * 1024);
    const buf = Buffer.alloc(tailLen);
    fs.readSync(fd, buf, 0, tailLen, size - tailLen);
    if (buf[tailLen - 1] === 0x0a) return;
    const lastNewline = buf.lastIndexOf(0x0a);
    const keep = lastNewline === -1 ? (size > tailLen ? size : 0) : size - tailLen + lastNewline + 1;
    if (keep === size) return;
    fs.ftruncateSync(fd, keep);
    onWarning(`${file}: dropped ${size - keep} bytes of an unfinished last write`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses a NeDB datafile without NeDB (which would rewrite it): last line per _id wins. */
function readDatafile(file: string): Doc[] {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  const byId = new Map<string, Doc>();
  for (const line of text.split('\n')) {
    if (!line) continue;
    let doc: Record<string, unknown>;
    try {
      doc = JSON.parse(line) as Record<string, unknown>;
    } catch {
      continue; // A torn last line, being written right now.
    }
    if (typeof doc._id !== 'string') continue;
    if (doc.$$deleted === true) byId.delete(doc._id);
    else byId.set(doc._id, doc as Doc);
  }
  return [...byId.values()];
}
