import { randomBytes } from 'node:crypto';
import type { DatabaseSync, StatementSync } from 'node:sqlite';
import {
  DuplicateKeyError,
  type Collection,
  type CollectionName,
  type Doc,
  type IndexSpec,
  type Query,
  type Update,
} from '../types.js';
import { StoreError } from '../../errors.js';
import { applyUpdate, fieldExpr, orderClause, typeExpr, upsertBase, whereClause, type SqlValue } from './query.js';
import { asStoreError, foreignChanges, MALFORMED_JSON, onConnection, prepared, transaction } from './db.js';
import { documentProblem } from '../schemas.js';

/**
 * Told of a stored record no read can use (DUR-5): not valid JSON (a flipped byte), or valid JSON of
 * the wrong shape (`start: "not a date"`, `status: 42`). The record is left where it is, untouched,
 * and kept out of every read, count and write of this process (quarantined), so one bad record never
 * stops a command; `preflight` and `backup` list them.
 */
export type BadRecordSink = (collection: CollectionName, id: string, reason: string) => void;

/**
 * Collections whose records are checked against their shape on every read (`DOCUMENT_SCHEMAS`): the
 * ones whose fields decide a caller's slot. Others are read by code that checks what it uses itself
 * (doctors' hours, call statuses); every collection's records are checked for being JSON.
 */
const SHAPE_CHECKED = new Set<CollectionName>(['appointments']);

/**
 * Writes whose documents a collection remembers, for `changes` (a few seconds of a busy line's
 * bookings), and the most documents one write may touch and still be listed (a bulk rewrite, such as
 * the hourly forgetting of contact details, says "anything may have changed" instead of being kept).
 */
const REMEMBERED_WRITES = 64;
const REMEMBERED_DOCS = 256;

/** The table of a collection. */
export const tableOf = (name: CollectionName) => `c_${name}`;

/** An index's name, from which a unique violation is traced back to its field. */
export const indexName = (name: CollectionName, ix: IndexSpec) =>
  `${ix.unique ? 'ux' : 'ix'}_${name}_${[ix.field, ...(ix.then ?? [])].join('_').replace(/\W/g, '_')}${ix.present ? `_with_${ix.present.replace(/\W/g, '_')}` : ''}`;

/** The DDL of a collection: `id` and the JSON `doc`, and one expression index per {@link IndexSpec}. */
export function collectionDdl(name: CollectionName, indexes: IndexSpec[]): string[] {
  const table = tableOf(name);
  return [
    `CREATE TABLE IF NOT EXISTS ${table} (id TEXT PRIMARY KEY, doc TEXT NOT NULL) STRICT`,
    ...indexes.map(
      (ix) =>
        `CREATE ${ix.unique ? 'UNIQUE ' : ''}INDEX IF NOT EXISTS ${indexName(name, ix)} ON ${table} (${[ix.field, ...(ix.then ?? [])].map(fieldExpr).join(', ')})` +
        (ix.present
          ? ` WHERE ${typeExpr(ix.present)} IS NOT NULL`
          : ix.sparse
            ? ` WHERE ${fieldExpr(ix.field)} IS NOT NULL`
            : ''),
    ),
  ];
}

/**
 * A `Collection` on one SQLite table. Every call is one statement or one `BEGIN IMMEDIATE`
 * transaction, committed and on disk (WAL, group commit) before its promise resolves; other processes
 * writing the same file wait on the busy timeout, so `serve` and any command can write at once.
 */
export class SqliteCollection<T extends Doc> implements Collection<T> {
  private readonly table: string;
  private readonly uniqueByIndex: Map<string, string>;
  /** Writes begun on this collection by this process (see {@link changes}). */
  private writes = 0;
  /** The latest writes' documents, before and after, oldest first; `docs` absent: not known (a delete by query). */
  private readonly recent: Array<{ seq: number; docs?: Doc[] }> = [];
  /** What the write under way touched, while it runs. */
  private touched: { docs?: Doc[] } | undefined;

  constructor(
    private readonly db: DatabaseSync,
    private readonly name: CollectionName,
    indexes: IndexSpec[],
    private readonly readOnly: boolean,
    private readonly onBad: BadRecordSink = () => {},
  ) {
    this.table = tableOf(name);
    this.uniqueByIndex = new Map(indexes.filter((i) => i.unique).map((i) => [indexName(name, i), i.field]));
  }

  async findOne(query: Query): Promise<T | null> {
    return (await this.find(query, { limit: 1 }))[0] ?? null;
  }

  async find(
    query: Query,
    opts: {
      sort?: Record<string, 1 | -1>;
      limit?: number;
      fields?: string[];
      unchecked?: boolean;
      covered?: boolean;
    } = {},
  ): Promise<T[]> {
    if (!opts.fields) return this.read(() => this.select(query, opts, !opts.unchecked));
    const fields = opts.fields;
    // Covered: no id (a table's index holds its rowid, not `id`) and no order by id, so an index on
    // the fields' expressions answers without reading a document.
    const covered = opts.covered === true;
    return this.read(() => {
      const limit = opts.limit ? ` LIMIT ${Math.floor(opts.limit)}` : '';
      const columns = fields.map((f, i) => `${fieldExpr(f)} AS f${i}`).join(', ');
      const order = covered && !opts.sort ? '' : orderClause(opts.sort);
      const rows = this.wellFormed(query, (sql, params) =>
        allAsArrays(
          prepared(
            this.db,
            `SELECT ${covered ? '' : 'id, '}${columns} FROM ${this.table} WHERE ${sql} ${order}${limit}`,
          ),
          params,
        ),
      );
      const first = covered ? 0 : 1;
      const out: T[] = new Array(rows.length);
      for (let r = 0; r < rows.length; r++) {
        const row = rows[r]!;
        const doc: Record<string, unknown> = covered ? {} : { _id: row[0] };
        for (let i = 0; i < fields.length; i++) if (row[first + i] !== null) doc[fields[i]!] = row[first + i];
        out[r] = doc as T;
      }
      return out;
    });
  }

  async count(query: Query): Promise<number> {
    return this.read(() => {
      const row = this.wellFormed(query, (sql, params) =>
        prepared(this.db, `SELECT count(*) AS n FROM ${this.table} WHERE ${sql}`).get(...params),
      ) as { n: number };
      return row.n;
    });
  }

  async insertOne(doc: T): Promise<T> {
    return this.write(() => {
      const withId = (doc._id ? doc : { ...doc, _id: randomBytes(8).toString('hex') }) as T;
      this.insert(withId);
      return withId;
    });
  }

  async updateOne(query: Query, update: Update, opts: { upsert?: boolean } = {}): Promise<{ matched: number }> {
    return this.write(() => {
      const [found] = this.select(query, { limit: 1 });
      if (found) {
        this.touched?.docs?.push(found);
        this.put(applyUpdate(found, update));
        return { matched: 1 };
      }
      if (opts.upsert) {
        const base = upsertBase(query);
        const doc = applyUpdate({ _id: randomBytes(8).toString('hex'), ...base } as T, update);
        this.insert(doc);
      }
      return { matched: 0 };
    });
  }

  async updateMany(query: Query, update: Update): Promise<{ matched: number }> {
    return this.write(() => {
      const found = this.select(query, {});
      this.touched?.docs?.push(...found);
      for (const d of found) this.put(applyUpdate(d, update));
      return { matched: found.length };
    });
  }

  async replaceOne(doc: T): Promise<'inserted' | 'replaced'> {
    return this.write(() => {
      const exists = prepared(this.db, `SELECT 1 FROM ${this.table} WHERE id = ?`).get(doc._id);
      if (exists) {
        this.touched!.docs = undefined; // what it replaced is not read: anything may have changed
        this.put(doc);
      } else this.insert(doc);
      return exists ? 'replaced' : 'inserted';
    });
  }

  async deleteMany(query: Query): Promise<{ deleted: number }> {
    return this.write(() => {
      this.touched!.docs = undefined; // which documents went is not read
      const changes = this.wellFormed(
        query,
        (sql, params) => prepared(this.db, `DELETE FROM ${this.table} WHERE ${sql}`).run(...params).changes,
      );
      return { deleted: Number(changes) };
    });
  }

  /** Old versions of rewritten rows are overwritten in place (`secure_delete`); this also empties the WAL. */
  async compact(): Promise<void> {
    if (this.readOnly) throw new StoreError('This command opened the store read-only.');
    await this.guard(() => this.db.exec('PRAGMA wal_checkpoint(TRUNCATE)'));
  }

  /**
   * `Collection.changes`. The version is other connections' commits and this one's rollbacks
   * (`foreignChanges`), then this collection's writes; the last {@link REMEMBERED_WRITES} writes'
   * documents are kept to say what changed.
   */
  async changes(since?: string): Promise<{ version: string; changed?: Doc[] }> {
    return this.read(() => {
      const foreign = foreignChanges(this.db);
      const version = `${foreign}.${this.writes}`;
      const dot = since?.lastIndexOf('.') ?? -1;
      if (since === undefined || since.slice(0, dot) !== foreign) return { version };
      const from = Number(since.slice(dot + 1));
      if (from === this.writes) return { version, changed: [] };
      if (!((this.recent[0]?.seq ?? Infinity) <= from + 1)) return { version };
      const changed: Doc[] = [];
      for (const w of this.recent) {
        if (w.seq <= from) continue;
        if (!w.docs) return { version };
        changed.push(...w.docs);
      }
      return { version, changed };
    });
  }

  /**
   * Runs a statement filtered by `query`. When a row's text is not JSON, SQLite fails the whole
   * statement: the damaged rows are named, and it runs again over well-formed rows only.
   */
  private wellFormed<R>(query: Query, run: (sql: string, params: SqlValue[]) => R): R {
    const { sql, params } = whereClause(query);
    try {
      return run(sql, params as SqlValue[]);
    } catch (err) {
      if (!MALFORMED_JSON.test((err as Error).message)) throw err;
      for (const r of prepared(this.db, `SELECT id FROM ${this.table} WHERE NOT json_valid(doc)`).all() as Array<{
        id: string;
      }>)
        this.onBad(this.name, r.id, 'not valid JSON');
      return run(`json_valid(doc) AND (${sql})`, params as SqlValue[]);
    }
  }

  /** `checkShape`: skip records of the wrong shape (reads; a write by id still reaches them). */
  private select(query: Query, opts: { sort?: Record<string, 1 | -1>; limit?: number }, checkShape = false): T[] {
    const limit = opts.limit ? ` LIMIT ${Math.floor(opts.limit)}` : '';
    const rows = this.wellFormed(query, (sql, params) =>
      prepared(this.db, `SELECT id, doc FROM ${this.table} WHERE ${sql} ${orderClause(opts.sort)}${limit}`).all(
        ...params,
      ),
    ) as Array<{ id: string; doc: string }>;
    const out: T[] = [];
    for (const r of rows) {
      const read = this.parse(r, checkShape);
      if ('problem' in read) this.onBad(this.name, r.id, read.problem);
      else out.push(read.doc);
    }
    return out;
  }

  /** A stored row as a document, or why no read can use it (not JSON; with `checkShape`, the wrong shape). */
  private parse(r: { id: string; doc: string }, checkShape: boolean): { doc: T } | { problem: string } {
    let doc: T;
    try {
      doc = { _id: r.id, ...(JSON.parse(r.doc) as object) } as T;
    } catch {
      return { problem: 'not valid JSON' };
    }
    const problem = checkShape && SHAPE_CHECKED.has(this.name) ? documentProblem(this.name, doc) : undefined;
    return problem ? { problem } : { doc };
  }

  /** Every record of this collection no read can use, with why (a full scan: `preflight`, `backup`). */
  badRecords(): Array<{ id: string; reason: string }> {
    const out: Array<{ id: string; reason: string }> = [];
    const rows = prepared(this.db, `SELECT id, doc FROM ${this.table}`).all() as Array<{ id: string; doc: string }>;
    for (const r of rows) {
      const read = this.parse(r, true);
      if ('problem' in read) out.push({ id: r.id, reason: read.problem });
    }
    return out;
  }

  private insert(doc: T): void {
    this.touched?.docs?.push(doc);
    const { _id, ...rest } = doc;
    prepared(this.db, `INSERT INTO ${this.table} (id, doc) VALUES (?, ?)`).run(_id, JSON.stringify(rest));
  }

  private put(doc: T): void {
    this.touched?.docs?.push(doc);
    const { _id, ...rest } = doc;
    prepared(this.db, `UPDATE ${this.table} SET doc = ? WHERE id = ?`).run(JSON.stringify(rest), _id);
  }

  private write<R>(fn: () => R): Promise<R> {
    if (this.readOnly) return Promise.reject(new StoreError('This command opened the store read-only.'));
    return this.guard(() => {
      // Counted before it runs: a write that fails half-way or is rolled back changes the version too.
      const seq = ++this.writes;
      const touched: { docs?: Doc[] } = { docs: [] };
      this.touched = touched;
      try {
        return transaction(this.db, fn);
      } finally {
        this.touched = undefined;
        const docs = touched.docs && touched.docs.length <= REMEMBERED_DOCS ? touched.docs : undefined;
        this.recent.push({ seq, docs });
        if (this.recent.length > REMEMBERED_WRITES) this.recent.shift();
      }
    });
  }

  /** Runs `fn`, with SQLite's errors as the store's: a unique violation names its field. */
  private guard<R>(fn: () => R, readOnly = false): Promise<R> {
    return onConnection(
      this.db,
      fn,
      (err) => {
        const unique = /UNIQUE constraint failed: (?:index '([^']+)'|(\w+)\.id)/.exec((err as Error).message);
        if (unique) return new DuplicateKeyError(unique[1] ? this.uniqueByIndex.get(unique[1]) : '_id', { cause: err });
        return asStoreError(err, `the ${this.name} collection`, this.db);
      },
      readOnly,
    );
  }

  /** {@link guard} for a statement that only reads. */
  private read<R>(fn: () => R): Promise<R> {
    return this.guard(fn, true);
  }
}

/**
 * A statement's rows as arrays of column values, in the SELECT's order: a field read over thousands
 * of index entries (a doctor's taken slots) then makes no object per row. `setReturnArrays` came in
 * Node 22.16 and 24; before it the row objects are turned into arrays.
 */
function allAsArrays(stmt: StatementSync, params: SqlValue[]): unknown[][] {
  if (typeof stmt.setReturnArrays === 'function') {
    stmt.setReturnArrays(true);
    return stmt.all(...params) as unknown as unknown[][];
  }
  return (stmt.all(...params) as Array<Record<string, unknown>>).map((r) => Object.values(r));
}
