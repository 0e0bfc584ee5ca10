import { AsyncLocalStorage } from 'node:async_hooks';
import type { ClientSession, Collection as DriverCollection, Db, MongoClient, UpdateFilter } from 'mongodb';
import {
  COLLECTIONS,
  DuplicateKeyError,
  StoreUnavailableError,
  type AppendLog,
  type AuditEntry,
  type CallLogGrouping,
  type CallLogQuery,
  type CallLogTotals,
  type CallLogRecord,
  type CallLogStore,
  type ChatRecord,
  type RecordedMessage,
  type SnapshotKind,
  type Collection,
  type Doc,
  type Query,
  type Store,
  type Update,
} from '../types.js';
import { CALL_FIGURE_LIMITS } from '../types.js';
import { createIndexes } from './indexes.js';
import { AuthError, NetworkError, StoreError, UsageError } from '../../errors.js';

/**
 * The MongoDB store (`MONGODB_URI`): one collection per store collection, plus `call_logs`,
 * `audit` and `chats`. Indexes are created on open; a unique sparse index becomes a unique
 * partial index on documents that have the field, so one active appointment per slot holds
 * across every process sharing the database (BOOK-1).
 */
export interface MongoStoreOptions {
  uri: string;
  /** Where the URI came from, for messages (`--mongodb-uri`, `MONGODB_URI in .env`). @default 'MONGODB_URI' */
  source?: string;
  /** Database name; default: the one in the URI, else `receptionist`. */
  dbName?: string;
  /**
   * How long one operation waits for a server, ms. `serve` uses 1000 so that a tool call
   * answers quickly while the database is down (DUR-2). @default 5000
   */
  serverSelectionTimeoutMS?: number;
  /** How long an operation may wait on a silent socket, ms. @default 30000 */
  socketTimeoutMS?: number;
  /** How long opening may keep trying to reach a server, ms (a first TLS connection to Atlas can take seconds). @default 5000 */
  openWithinMS?: number;
  /** Told once when the server is standalone (no multi-document transactions). */
  onWarning?: (message: string) => void;
}

/**
 * True for a failure to reach the server (no server selected, a socket reset or ended mid
 * operation, the client closed), as opposed to an answer from the server. A socket ended by
 * the server can surface as a plain Node error (`EPIPE`, "This socket has been ended by the
 * other party") rather than a `MongoNetworkError`.
 */
export function isConnectionError(err: unknown, depth = 0): boolean {
  const e = err as { name?: string; code?: unknown; message?: string; cause?: unknown } | undefined;
  if (!e || depth > 3) return false;
  if (
    /MongoServerSelectionError|MongoNetwork|MongoTopologyClosed|MongoNotConnected|PoolCleared|MongoClientClosed/.test(
      e.name ?? '',
    )
  )
    return true;
  if (
    typeof e.code === 'string' &&
    /^E(PIPE|CONNRESET|CONNREFUSED|CONNABORTED|TIMEDOUT|HOSTUNREACH|NETUNREACH|NOTFOUND)$/.test(e.code)
  )
    return true;
  if (/socket has been ended by the other party|socket hang up/.test(e.message ?? '')) return true;
  return isConnectionError(e.cause, depth + 1);
}

/**
 * True when DNS answered that a host of the URI does not exist (`ENOTFOUND`, for every server
 * tried, or for the SRV record of `mongodb+srv://`): a typo, as opposed to an outage.
 */
export function isUnknownHost(err: unknown, depth = 0): boolean {
  const e = err as { code?: unknown; cause?: unknown; reason?: { servers?: Map<string, { error?: unknown }> } };
  if (!e || depth > 3) return false;
  if (e.code === 'ENOTFOUND') return true;
  const servers = [...(e.reason?.servers?.values() ?? [])];
  if (servers.length && servers.every((s) => isUnknownHost(s.error, depth + 1))) return true;
  return isUnknownHost(e.cause, depth + 1);
}

/** The URI as messages show it: the credentials masked. */
export const redactUri = (uri: string) => uri.replace(/\/\/[^@/]*@/, '//***@');

function mapError(err: unknown, what: string): Error {
  const e = err as { code?: number; keyPattern?: Record<string, unknown>; name?: string; message?: string };
  if (e?.code === 11000) return new DuplicateKeyError(Object.keys(e.keyPattern ?? {})[0], { cause: err });
  if (isConnectionError(err))
    return new StoreUnavailableError(`MongoDB is unreachable (${what}): ${e.message}`, { cause: err });
  return err as Error;
}

/**
 * The session the running code belongs to (an atomic step's, a snapshot's), following it across
 * `await`: one per store, so a session of one client never reaches another's operations.
 */
type Steps = AsyncLocalStorage<ClientSession>;

class MongoCollection<T extends Doc> implements Collection<T> {
  constructor(
    private readonly col: DriverCollection<Doc>,
    private readonly steps: Steps,
  ) {}

  /** The driver options that put an operation in the current atomic step or snapshot, if any. */
  private inStep(): { session?: ClientSession } {
    const session = this.steps.getStore();
    return session ? { session } : {};
  }

  private async run<R>(what: string, fn: () => Promise<R>): Promise<R> {
    try {
      return await fn();
    } catch (err) {
      throw mapError(err, what);
    }
  }

  findOne(query: Query): Promise<T | null> {
    return this.run('findOne', async () => (await this.col.findOne(query, this.inStep())) as T | null);
  }

  find(
    query: Query,
    opts: { sort?: Record<string, 1 | -1>; limit?: number; fields?: string[]; covered?: boolean } = {},
  ): Promise<T[]> {
    return this.run('find', async () => {
      const projection = opts.fields
        ? { ...Object.fromEntries(opts.fields.map((f) => [f, 1])), ...(opts.covered ? { _id: 0 } : {}) }
        : undefined;
      let c = this.col.find(query, { ...this.inStep(), ...(projection ? { projection } : {}) });
      if (opts.sort) c = c.sort(opts.sort);
      if (opts.limit) c = c.limit(opts.limit);
      return (await c.toArray()) as T[];
    });
  }

  count(query: Query): Promise<number> {
    return this.run('count', () => this.col.countDocuments(query, this.inStep()));
  }

  insertOne(doc: T): Promise<T> {
    return this.run('insert', async () => {
      await this.col.insertOne({ ...doc }, this.inStep());
      return doc;
    });
  }

  updateOne(query: Query, update: Update, opts: { upsert?: boolean } = {}): Promise<{ matched: number }> {
    return this.run('update', async () => ({
      matched: (
        await this.col.updateOne(query, update as UpdateFilter<Doc>, { upsert: opts.upsert ?? false, ...this.inStep() })
      ).matchedCount,
    }));
  }

  replaceOne(doc: T): Promise<'inserted' | 'replaced'> {
    return this.run('replace', async () =>
      (await this.col.replaceOne({ _id: doc._id }, doc, { upsert: true, ...this.inStep() })).upsertedCount
        ? 'inserted'
        : 'replaced',
    );
  }

  updateMany(query: Query, update: Update): Promise<{ matched: number }> {
    return this.run('update', async () => ({
      matched: (await this.col.updateMany(query, update as UpdateFilter<Doc>, this.inStep())).matchedCount,
    }));
  }

  deleteMany(query: Query): Promise<{ deleted: number }> {
    return this.run('delete', async () => ({
      deleted: (await this.col.deleteMany(query, this.inStep())).deletedCount,
    }));
  }

  async compact(): Promise<void> {
    // MongoDB rewrites documents in place; nothing superseded stays readable.
  }

  /** Unknown: other clients write without telling us (a change stream would; not worth one per call). */
  async changes(): Promise<undefined> {
    return undefined;
  }

  /** Matches read a batch at a time from the server's cursor (bounded memory at any size). */
  async *iterate(query: Query, opts: { sort?: Record<string, 1 | -1>; limit?: number } = {}): AsyncIterable<T> {
    let c = this.col.find(query, { ...this.inStep(), batchSize: CURSOR_BATCH });
    if (opts.sort) c = c.sort(opts.sort);
    if (opts.limit) c = c.limit(opts.limit);
    try {
      for await (const doc of c) yield doc as T;
    } catch (err) {
      throw mapError(err, 'find');
    } finally {
      await c.close().catch(() => undefined);
    }
  }

  /** An aggregation pipeline, run on the server. */
  aggregate<R>(pipeline: Record<string, unknown>[]): Promise<R[]> {
    return this.run('aggregate', async () => (await this.col.aggregate(pipeline, this.inStep()).toArray()) as R[]);
  }
}

/** Documents per cursor batch: ~4 MB of ~4 KB call logs. */
const CURSOR_BATCH = 1000;

class MongoCallLogs implements CallLogStore {
  constructor(private readonly col: MongoCollection<Doc>) {}

  async has(callId: string): Promise<boolean> {
    return (await this.col.count({ _id: callId })) > 0;
  }

  async append(record: CallLogRecord): Promise<boolean> {
    try {
      await this.col.insertOne({ ...record, _id: record.callId });
      return true;
    } catch (err) {
      if (err instanceof DuplicateKeyError) return false;
      throw err;
    }
  }

  async list(opts: CallLogQuery = {}): Promise<CallLogRecord[]> {
    const rows: CallLogRecord[] = [];
    for await (const r of this.stream(opts)) rows.push(r);
    return rows;
  }

  async *stream(opts: CallLogQuery = {}): AsyncIterable<CallLogRecord> {
    if (opts.customerIndex === '') return; // a call without a number matches no caller
    const query = {
      ...(opts.since ? { endedAt: { $gte: opts.since.toISOString() } } : {}),
      ...(opts.callId !== undefined ? { _id: opts.callId } : {}),
      ...(opts.customerIndex !== undefined ? { customerIndex: opts.customerIndex } : {}),
      ...(opts.startAt
        ? {
            // A range of the endedAt index, then the tie on the start row's time by id.
            $and: [
              { endedAt: { $lte: opts.startAt.at } },
              { $or: [{ endedAt: { $lt: opts.startAt.at } }, { _id: { $lte: opts.startAt.callId } }] },
            ],
          }
        : {}),
    };
    for await (const { _id, ...r } of this.col.iterate(query, { sort: { endedAt: -1, _id: -1 }, limit: opts.limit }))
      yield r as unknown as CallLogRecord;
  }

  /** `$group` on the server (by the `endedAt` index for `since`); the same figures as {@link totalsOf}. */
  async totals(opts: { since?: Date; by: CallLogGrouping }): Promise<CallLogTotals[]> {
    const at = { $cond: [{ $gt: ['$endedAt', ''] }, '$endedAt', '$receivedAt'] };
    const key =
      opts.by === 'quarterHour'
        ? {
            $concat: [
              { $substrCP: [at, 0, 14] },
              {
                $arrayElemAt: [
                  ['00', '15', '30', '45'],
                  { $floor: { $divide: [{ $toInt: { $substrCP: [at, 14, 2] } }, 15] } },
                ],
              },
              ':00.000Z',
            ],
          }
        : { $ifNull: [`$${opts.by}`, ''] };
    // A figure is summed when it is a number within CALL_FIGURE_LIMITS; a number outside names its call.
    const ok = (f: string, max: number) => ({
      $and: [{ $isNumber: `$${f}` }, { $gte: [`$${f}`, 0] }, { $lte: [`$${f}`, max] }],
    });
    const out = (f: string, max: number) => ({ $and: [{ $isNumber: `$${f}` }, { $not: [ok(f, max)] }] });
    const secondsOk = ok('durationSeconds', CALL_FIGURE_LIMITS.maxSeconds);
    const costOk = ok('cost', CALL_FIGURE_LIMITS.maxCost);
    const rows = await this.col.aggregate<CallLogTotals & { _id: string }>([
      ...(opts.since ? [{ $match: { endedAt: { $gte: opts.since.toISOString() } } }] : []),
      {
        $group: {
          _id: key,
          calls: { $sum: 1 },
          seconds: { $sum: { $cond: [secondsOk, '$durationSeconds', 0] } },
          cost: { $sum: { $cond: [costOk, '$cost', 0] } },
          costed: { $sum: { $cond: [costOk, 1, 0] } },
          outOfRange: {
            $push: {
              $cond: [
                {
                  $or: [out('durationSeconds', CALL_FIGURE_LIMITS.maxSeconds), out('cost', CALL_FIGURE_LIMITS.maxCost)],
                },
                '$callId',
                null,
              ],
            },
          },
        },
      },
    ]);
    return rows.map(({ _id, calls, seconds, cost, costed, outOfRange }) => ({
      key: _id,
      calls,
      seconds,
      cost,
      costed,
      // The calls in range pushed null (what real MongoDB and its test double both do alike).
      outOfRange: outOfRange.filter((id): id is string => typeof id === 'string'),
    }));
  }

  async rewrite(transform: (r: CallLogRecord) => CallLogRecord | null): Promise<number> {
    let changed = 0;
    for await (const r of this.stream()) {
      const t = transform(r);
      if (t === null) {
        await this.col.deleteMany({ _id: r.callId });
        changed++;
        continue;
      }
      if (JSON.stringify(t) === JSON.stringify(r)) continue;
      await this.col.updateOne({ _id: r.callId }, { $set: { ...t } });
      changed++;
    }
    return changed;
  }
}

class MongoAppendLog<T extends object> implements AppendLog<T> {
  constructor(
    private readonly col: MongoCollection<Doc>,
    private readonly sort: Record<string, 1>,
  ) {}

  async append(entry: T): Promise<void> {
    await this.col.insertOne({ _id: `${Date.now()}-${Math.random().toString(36).slice(2, 10)}`, ...entry } as Doc);
  }

  async list(): Promise<T[]> {
    return (await this.col.find({}, { sort: this.sort })).map(({ _id, ...e }) => e as T);
  }
}

/** The database named in a mongodb:// URI's path, if any. */
function databaseInUri(uri: string): string | undefined {
  const m = /^mongodb(?:\+srv)?:\/\/[^/]+\/([^?]+)/.exec(uri);
  return m?.[1] ? decodeURIComponent(m[1]) : undefined;
}

/** The error for a store that cannot be opened, by cause (README "Exit codes"). */
function openError(err: unknown, redacted: string, source: string): Error {
  const e = err as { code?: number; codeName?: string; message?: string; name?: string };
  const hint = `Check ${source}: host, credentials and database.`;
  if (e.code === 18 || /Authentication failed|MongoServerError.*auth/i.test(e.message ?? '')) {
    return new AuthError(
      `MongoDB at ${redacted} (from ${source}) refused the credentials: authentication failed.`,
      hint,
      { cause: err },
    );
  }
  if (e.code === 13 || e.codeName === 'Unauthorized') {
    return new StoreError(
      `MongoDB at ${redacted} (from ${source}): the user lacks the privileges receptionist needs (${e.message}).`,
      'Grant the user the readWrite role on the database (creating indexes included).',
      { cause: err },
    );
  }
  // A host name DNS says does not exist is a wrong URI, not an outage (one gets EAI_AGAIN).
  if (isUnknownHost(err)) {
    return new NetworkError(
      `MongoDB at ${redacted} (from ${source}): the host does not exist (${e.message}).`,
      `Check the host name in ${source}.`,
      { cause: err },
    );
  }
  if (isConnectionError(err)) {
    return new NetworkError(
      `MongoDB at ${redacted} (from ${source}) is unreachable: no server answered (${e.message}).`,
      `${hint} Is the server running and reachable from here?`,
      { cause: err, reason: 'store-unreachable' },
    );
  }
  if (e.name === 'MongoParseError' || e.name === 'MongoAPIError' || e.name === 'MongoInvalidArgumentError') {
    return new UsageError(
      `Invalid MongoDB URI (${redacted}, from ${source}): ${e.message}`,
      'Use mongodb://user:password@host:27017/dbname or mongodb+srv://… .',
      { cause: err },
    );
  }
  return new StoreError(`Cannot use MongoDB at ${redacted} (from ${source}): ${e.message}.`, hint, { cause: err });
}

/**
 * Connects (retrying connection failures for `openWithinMS`), checks the server answers, and
 * creates the indexes.
 * @throws UsageError (exit 2: malformed URI), AuthError (5: authentication failed),
 *   NetworkError (6: unreachable, with reason `store-unreachable`; or a host DNS says does not
 *   exist, without), StoreError (3: missing privileges, other server errors)
 */
export async function openMongoStore(opts: MongoStoreOptions): Promise<Store> {
  const source = opts.source ?? 'MONGODB_URI';
  const { MongoClient } = await import('mongodb');
  const redacted = redactUri(opts.uri);
  const started = Date.now();
  const openWithin = opts.openWithinMS ?? 5000;
  let client: MongoClient;
  let db: Db;
  let transactions = false;
  for (;;) {
    try {
      client = new MongoClient(opts.uri, {
        serverSelectionTimeoutMS: opts.serverSelectionTimeoutMS ?? 5000,
        connectTimeoutMS: 5000,
        socketTimeoutMS: opts.socketTimeoutMS ?? 30_000,
        appName: 'receptionist',
        // An undefined field is left out, as in the embedded store (the driver would store null).
        ignoreUndefined: true,
      });
    } catch (err) {
      throw new UsageError(
        `Invalid MongoDB URI (${redacted}, from ${source}): ${(err as Error).message}`,
        'Use mongodb://user:password@host:27017/dbname or mongodb+srv://… .',
        { cause: err },
      );
    }
    try {
      await client.connect();
      db = client.db(opts.dbName ?? databaseInUri(opts.uri) ?? 'receptionist');
      const hello = await db.command({ hello: 1 });
      // Multi-document transactions need a replica set member or mongos (a standalone server refuses them).
      transactions = Boolean(hello.setName) || hello.msg === 'isdbgrid' || Boolean(client.options.loadBalanced);
      await createIndexes(db);
      if (!transactions)
        opts.onWarning?.(
          `MongoDB at ${redacted} is a standalone server, which has no multi-document transactions: a booking and its stored reply are written one after the other, so a crash between them can leave a booking whose redelivery is answered anew. Run it as a replica set (one member is enough), as Atlas does.`,
        );
      break;
    } catch (err) {
      await client.close().catch(() => undefined);
      if (isConnectionError(err) && Date.now() - started < openWithin) continue;
      throw openError(err, redacted, source);
    }
  }
  const sessions: Steps = new AsyncLocalStorage<ClientSession>();
  const wrap = <T extends Doc>(name: string) => new MongoCollection<T>(db.collection<Doc>(name), sessions);
  const collections = new Map(COLLECTIONS.map((n) => [n, wrap(n)]));
  const store: Store = {
    kind: 'mongo',
    location: `${redacted} (database ${db.databaseName})`,
    collection: <T extends Doc>(name: (typeof COLLECTIONS)[number]) =>
      collections.get(name) as unknown as Collection<T>,
    callLogs: new MongoCallLogs(wrap('call_logs')),
    audit: new MongoAppendLog<AuditEntry>(wrap('audit'), { at: 1 }),
    chats: new MongoAppendLog<ChatRecord>(wrap('chats'), { at: 1 }),
    recordings: new MongoAppendLog<RecordedMessage>(wrap('recordings'), { at: 1, seq: 1 }),
    async atomically<R>(fn: () => Promise<R>): Promise<R> {
      if (!transactions || sessions.getStore()) return fn();
      const session = client.startSession();
      try {
        // withTransaction retries `fn` on a transient conflict (another process wrote the same documents).
        return await session.withTransaction(() => sessions.run(session, fn));
      } catch (err) {
        throw mapError(err, 'transaction');
      } finally {
        await session.endSession().catch(() => undefined);
      }
    },
    async snapshot<R>(fn: (view: Store, how: SnapshotKind) => Promise<R>): Promise<R> {
      // A standalone server has no snapshot reads (the driver would refuse the session).
      if (!transactions) return fn(store, 'none');
      const session = client.startSession({ snapshot: true });
      try {
        return await sessions.run(session, () => fn(store, 'mongodb-snapshot'));
      } finally {
        await session.endSession().catch(() => undefined);
      }
    },
    close: () => client.close(),
  };
  return store;
}
