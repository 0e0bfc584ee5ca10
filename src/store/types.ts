import { firstFew, printable } from '../io.js';

/**
 * Store contracts. Both backends (the embedded SQLite store, and MongoDB) implement these; the
 * domain code only sees these interfaces. Queries and updates use the MongoDB operator subset
 * that both backends share: `$lt $lte $gt $gte $in $ne $exists $or` and `$set $unset $inc`.
 */

export type Doc = { _id: string } & Record<string, unknown>;
export type Query = Record<string, unknown>;
export type Update = {
  $set?: Record<string, unknown>;
  $unset?: Record<string, true | 1 | ''>;
  $inc?: Record<string, number>;
};

/** Thrown by `insertOne`/`updateOne` when a unique index would be violated. `key` names the index field when known. */
export class DuplicateKeyError extends Error {
  constructor(
    readonly key: string | undefined,
    options?: ErrorOptions,
  ) {
    super(`duplicate key${key ? ` on ${key}` : ''}`, options);
    this.name = 'DuplicateKeyError';
  }
}

/**
 * Thrown when the store cannot persist or read (disk full, permission, database down).
 * The webhook answers 503 and the caller may retry; nothing half-written stays visible.
 */
export class StoreUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The store's file is damaged (SQLite: "database disk image is malformed", a torn or flipped page):
 * not the disk being full or busy. `damaged` names the collections and logs that fail to read, and
 * `location` the file, so the message can say what to restore.
 */
export class StoreDamagedError extends StoreUnavailableError {
  constructor(
    message: string,
    readonly location: string,
    readonly damaged: string[],
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'StoreDamagedError';
  }
}

/** Records no read can use (DUR-5), as a message names them: `appointments a1 (not valid JSON); …`, the first `max`. */
export function namedBadRecords(
  records: ReadonlyArray<{ collection: string; id: string; reason: string }>,
  max: number,
): string {
  return firstFew(
    records.map((r) => `${r.collection} ${printable(r.id)} (${printable(r.reason)})`),
    max,
    '; ',
  );
}

export interface IndexSpec {
  field: string;
  unique?: boolean;
  /** Documents without the field are not indexed (so a unique index only binds documents that have it). */
  sparse?: boolean;
  /** Further key fields after `field` (a compound index, for a range on the last one). */
  then?: string[];
  /**
   * Only documents that have this field are indexed (a partial index: SQLite `WHERE json_type(…) IS
   * NOT NULL`, MongoDB `partialFilterExpression: {field: {$exists: true}}`); a query with
   * `{[present]: {$exists: true}}` can use it.
   */
  present?: string;
}

/** A collection of documents with a MongoDB-like API. Every write is durable once its promise resolves. */
export interface Collection<T extends Doc = Doc> {
  findOne(query: Query): Promise<T | null>;
  /**
   * Matches, sorted and limited by the store. `fields`: only these top-level scalar fields (and
   * `_id`) are read, not whole documents (a hot path that needs one field of many documents).
   */
  /**
   * `unchecked`: also records of the wrong shape, which reads otherwise skip (DUR-5; the embedded
   * store checks appointments): for `migrate`, which validates and reports each itself.
   */
  find(
    query: Query,
    opts?: {
      sort?: Record<string, 1 | -1>;
      limit?: number;
      fields?: string[];
      unchecked?: boolean;
      /**
       * With `fields`: those fields only, no `_id`, in no order unless `sort` asks, so that an index
       * holding them answers alone (SQLite: a covering index; MongoDB: a covered query). For a hot path.
       */
      covered?: boolean;
    },
  ): Promise<T[]>;
  count(query: Query): Promise<number>;
  /** @throws DuplicateKeyError, StoreUnavailableError */
  insertOne(doc: T): Promise<T>;
  /** Updates the first match; with `upsert`, inserts `query` + `update` when none matches. @throws DuplicateKeyError, StoreUnavailableError */
  updateOne(query: Query, update: Update, opts?: { upsert?: boolean }): Promise<{ matched: number }>;
  updateMany(query: Query, update: Update): Promise<{ matched: number }>;
  /**
   * Stores `doc` whole under its `_id`, inserting it when absent (used by `migrate`).
   * @throws DuplicateKeyError (another document holds one of its unique keys), StoreUnavailableError
   */
  replaceOne(doc: T): Promise<'inserted' | 'replaced'>;
  deleteMany(query: Query): Promise<{ deleted: number }>;
  /**
   * Rewrites the stored form so that superseded versions of documents are gone (an
   * append-only file keeps them until then). Run after sealing plaintext in place.
   * @throws StoreUnavailableError
   */
  compact(): Promise<void>;
  /**
   * What changed since a read, so a hot path may keep what it read (the taken slots, the doctors).
   * `version`: a token that changes whenever this collection may have changed (any write to it by
   * this process, committed, rolled back or under way, and any commit by another connection or
   * process): equal tokens mean a read returns what it returned then. With `since` (a version
   * returned before), `changed` lists every document this process wrote since, each as it was
   * before and after the write, when those were all the changes and are still remembered; absent,
   * anything may have changed. `undefined`: the backend cannot tell (MongoDB): read again.
   * Waits, like a read, for another context's atomic step on the connection to end.
   * @throws StoreUnavailableError
   */
  changes(since?: string): Promise<{ version: string; changed?: Doc[] } | undefined>;
}

/** The named collections of the store (MongoDB collection names; SQLite tables `c_<name>`). */
export const COLLECTIONS = [
  'bot_configs',
  'doctors',
  'customers',
  'appointments',
  'ac_purchases',
  'ac_service_visits',
  'troubleshooting_guides',
  'call_status',
  'replies',
  'keys',
  'users',
  'access_failures',
  'holidays',
  'outbox',
  'webhooks',
] as const;
export type CollectionName = (typeof COLLECTIONS)[number];

/** Indexes created when the store opens, on either backend. */
export const INDEXES: Record<CollectionName, IndexSpec[]> = {
  bot_configs: [],
  doctors: [],
  holidays: [],
  // serve's delivery loop: what is due; outbox list: by subject.
  outbox: [{ field: 'status', then: ['dueAt', 'order'] }, { field: 'subject' }],
  webhooks: [],
  customers: [
    { field: 'phoneIndex', sparse: true },
    { field: 'customerId', unique: true, sparse: true },
  ],
  // activeSlot is set only while an appointment holds its slot: one active appointment per slot.
  appointments: [
    { field: 'appointmentId', unique: true },
    { field: 'activeSlot', unique: true, sparse: true },
    { field: 'sourceKey', unique: true, sparse: true },
    { field: 'phoneIndex', sparse: true },
    // check_availability: a doctor's active appointments in a time range.
    { field: 'doctorId', then: ['startMs'] },
    // The occupied slots of a doctor's days, read from this index alone (`activeSlot` is
    // `<doctorId>|<UTC ISO start>`, so a doctor's range is a range of it; status and hold expiry
    // decide; the start as a number, so that nothing is parsed per slot).
    { field: 'activeSlot', then: ['status', 'holdExpiresAt', 'startMs'], sparse: true },
    // serve's hourly forgetting of past appointments' contact cards: only those that still have one.
    { field: 'startMs', present: 'contact' },
    // A call's bookings (logs) and holds.
    { field: 'callId', sparse: true },
    { field: 'holdOwner', sparse: true },
  ],
  ac_purchases: [{ field: 'customerId' }],
  ac_service_visits: [
    { field: 'visitId', unique: true },
    { field: 'sourceKey', unique: true, sparse: true },
  ],
  troubleshooting_guides: [],
  // logs: the calls still running.
  call_status: [{ field: 'status' }],
  // Pruned by age, by range.
  replies: [{ field: 'createdAt' }],
  // Failed ID checks per call (the access rule); pruned by age with the replies.
  access_failures: [{ field: 'lastAt' }],
  keys: [],
  users: [],
};

/**
 * Indexes an earlier version created that one of {@link INDEXES} now does the work of: dropped when
 * a store opens for writing (each is a prefix of its successor, and costs a write per appointment).
 */
export const SUPERSEDED_INDEXES: Partial<Record<CollectionName, IndexSpec[]>> = {
  appointments: [{ field: 'activeSlot', then: ['status', 'holdExpiresAt'], sparse: true }],
};

/**
 * One call-log row, written once per call from an `end-of-call-report`
 * (Vapi schema `ServerMessageEndOfCallReport`). Times are ISO 8601 UTC strings, cost in USD.
 */
export interface CallLogRecord {
  callId: string;
  /** `inboundPhoneCall` | `outboundPhoneCall` | `webCall` | `vapi.websocketCall` */
  callType: string;
  assistantId: string;
  startedAt: string;
  endedAt: string;
  durationSeconds: number | null;
  endedReason: string;
  cost: number | null;
  /** JSON text of Vapi's `costBreakdown` (or `costs[]`), '' when absent. */
  costBreakdown: string;
  /** E.164, '' for web calls. Sensitive: sealed at rest. */
  customerNumber: string;
  /** Blind index of `customerNumber` ('' when none), for lookups without decryption. */
  customerIndex: string;
  /** Sensitive: sealed at rest. */
  summary: string;
  /** Sensitive: sealed at rest. */
  transcript: string;
  /** Sensitive: sealed at rest. */
  recordingUrl: string;
  successEvaluation: string;
  /** When receptionist received the report (ISO). */
  receivedAt: string;
}

/** What {@link CallLogStore.list} filters by. */
export interface CallLogQuery {
  since?: Date;
  limit?: number;
  callId?: string;
  customerIndex?: string;
  /** Start at this row (inclusive), by its place in the order: its `endedAt` (else `receivedAt`) and `callId`. */
  startAt?: { at: string; callId: string };
}

/** Figures of one group of call logs (`metrics`): seconds and USD summed; `costed` calls have a cost. */
export interface CallLogTotals {
  /** The assistant id, the ended reason, or the start of a 15-minute bucket (ISO, UTC). */
  key: string;
  calls: number;
  /** Sum of the in-range `durationSeconds`. */
  seconds: number;
  /** Sum of the in-range `cost` (USD). */
  cost: number;
  /** Calls with an in-range cost. */
  costed: number;
  /** Call ids whose duration or cost is outside {@link CALL_FIGURE_LIMITS}: counted as calls, left out of the sums. */
  outOfRange: string[];
}

/**
 * What a call's figures may be (a report outside them has the figure left out at the edge;
 * a stored one from an older build is left out of totals and named): duration 0…86,400 s (Vapi's
 * `maxDurationSeconds` allows at most 12 h), cost 0…10,000 USD.
 */
export const CALL_FIGURE_LIMITS = { maxSeconds: 86_400, maxCost: 10_000 } as const;

const inRange = (n: number | null, max: number) => n === null || (Number.isFinite(n) && n >= 0 && n <= max);

/** How {@link CallLogStore.totals} groups: 15-minute buckets fit every time zone's day (all offsets are multiples of 15 min). */
export type CallLogGrouping = 'assistantId' | 'endedReason' | 'quarterHour';

/** Totals per group in memory, for a backend without its own aggregation. */
export function totalsOf(records: CallLogRecord[], by: CallLogGrouping): CallLogTotals[] {
  const groups = new Map<string, CallLogTotals>();
  for (const r of records) {
    const at = r.endedAt || r.receivedAt;
    const key =
      by === 'quarterHour'
        ? `${at.slice(0, 14)}${String(Math.floor(Number(at.slice(14, 16)) / 15) * 15).padStart(2, '0')}:00.000Z`
        : r[by] || '';
    const g = groups.get(key) ?? { key, calls: 0, seconds: 0, cost: 0, costed: 0, outOfRange: [] };
    g.calls++;
    const secondsOk = inRange(r.durationSeconds, CALL_FIGURE_LIMITS.maxSeconds);
    const costOk = inRange(r.cost, CALL_FIGURE_LIMITS.maxCost);
    if (!secondsOk || !costOk) g.outOfRange.push(r.callId);
    if (secondsOk) g.seconds += r.durationSeconds ?? 0;
    if (r.cost !== null && costOk) {
      g.cost += r.cost;
      g.costed++;
    }
    groups.set(key, g);
  }
  return [...groups.values()];
}

export interface CallLogStore {
  /** True when a record for this call id exists (a repeat report is ignored). */
  has(callId: string): Promise<boolean>;
  /** Appends one record durably. Returns false (and writes nothing) when the call id exists. @throws StoreUnavailableError */
  append(record: CallLogRecord): Promise<boolean>;
  /**
   * Records, newest `endedAt` (else `receivedAt`) first: those that ended at or after `since`,
   * of one `callId`, of one caller (`customerIndex`, the blind index); at most `limit`.
   * The store filters, sorts and limits (by its indexes), so a page costs the same at any size.
   */
  list(opts?: CallLogQuery): Promise<CallLogRecord[]>;
  /**
   * The records {@link list} would return, in the same order, read a page at a time (SQLite:
   * keyset pages; MongoDB: a cursor), so memory stays bounded at any store size. Rows written
   * while it runs may or may not appear.
   * @throws StoreUnavailableError (from the iteration)
   */
  stream(opts?: CallLogQuery): AsyncIterable<CallLogRecord>;
  /** Totals per group of the calls that ended at or after `since`, computed where the data is. */
  totals(opts: { since?: Date; by: CallLogGrouping }): Promise<CallLogTotals[]>;
  /**
   * Rewrites every record through `transform` (a migration, e.g. sealing plaintext rows; `null`
   * removes the row, e.g. `trigger --purge`), atomically: either all rows are rewritten or none.
   * Returns how many changed or were removed.
   * @throws StoreUnavailableError
   */
  rewrite(transform: (r: CallLogRecord) => CallLogRecord | null): Promise<number>;
}

/** The fields of a call log that are sealed at rest. */
export const SEALED_CALL_LOG_FIELDS = [
  'customerNumber',
  'summary',
  'transcript',
  'recordingUrl',
  'successEvaluation',
] as const satisfies readonly (keyof CallLogRecord)[];

/** One audit record: who did what, when. Holds no sensitive value. */
export interface AuditEntry {
  /** ISO time */
  at: string;
  /** Acting admin */
  user: string;
  /** `decrypt`, `users.add`, `users.remove`, `users.passwd`, `keys.init`, `keys.rotate`, … */
  action: string;
  /** Non-sensitive details: filters (a caller only as its blind index), counts, names. */
  details: Record<string, unknown>;
}

/** An append-only log; appending works even on a store opened read-only (no lock needed). */
export interface AppendLog<T> {
  /** @throws StoreUnavailableError */
  append(entry: T): Promise<void>;
  /** Oldest first. */
  list(): Promise<T[]>;
}

export type AuditLog = AppendLog<AuditEntry>;

/** One turn of a text chat with the assistant (`receptionist chat`); `input` and `output` are sealed. */
export interface ChatRecord {
  chatId: string;
  previousChatId?: string;
  assistantId: string;
  /** ISO time */
  at: string;
  /** Sealed: what was sent. */
  input: string;
  /** Sealed: what the assistant answered. */
  output: string;
}

/** One incoming server message kept by `serve --record`, for `trigger --replay`. */
export interface RecordedMessage {
  /** `message.call.id` ('' when absent). */
  callId: string;
  /** `message.type` */
  type: string;
  /** ISO time it was received. */
  at: string;
  /** Arrival order within one serve process (ties of `at`). */
  seq: number;
  /** Sealed: the request body exactly as received (the whole `{message}` envelope). */
  body: string;
}

/** Keys that tell two entries of an append-only log apart (`migrate` and `restore` append what a target lacks). */
export const LOG_KEYS = {
  audit: (e: AuditEntry) => JSON.stringify([e.at, e.user, e.action, e.details]),
  chats: (c: ChatRecord) => `${c.chatId}\u0000${c.at}`,
  recordings: (r: RecordedMessage) => `${r.callId}\u0000${r.at}\u0000${r.seq}`,
} as const;

/**
 * The record type of each collection. Empty here: the rooms that own the records fill it in by
 * module augmentation (src/domain/collections.ts), so the store knows no domain type and
 * `store.collection('appointments')` is still a `Collection<Appointment>`.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- filled in by augmentation
export interface CollectionTypes {}

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * The record type of collection `K`: its {@link CollectionTypes} entry; any document for a name not
 * known until run time (a union, as code that walks every collection has: backup, migrate).
 */
export type RecordOf<K extends CollectionName> = [K] extends [UnionToIntersection<K>]
  ? K extends keyof CollectionTypes
    ? CollectionTypes[K] & Doc
    : Doc
  : Doc;

export interface Store {
  readonly kind: 'local' | 'mongo';
  /** Human-readable location, for messages (a path or a redacted URI). */
  readonly location: string;
  /** Collection `name`, typed by {@link CollectionTypes}. */
  collection<K extends CollectionName>(name: K): Collection<RecordOf<K>>;
  readonly callLogs: CallLogStore;
  readonly audit: AuditLog;
  readonly chats: AppendLog<ChatRecord>;
  /**
   * The backend's own consistency check (SQLite `PRAGMA integrity_check`): the problems found,
   * none when it is sound. Absent where the backend has none to offer (MongoDB).
   */
  integrity?(): Promise<string[]>;
  /**
   * Records no read can use (DUR-5: not valid JSON, or the wrong shape), each kept out of every read
   * and left as it is; a full scan (`preflight`, `backup`). The embedded store only.
   */
  badRecords?(): Promise<Array<{ collection: CollectionName; id: string; reason: string }>>;
  /** The append-only logs' high-water marks (src/store/watermark.ts). The embedded store only. */
  highWater?(): Promise<import('./watermark.js').HighWater>;
  /** Moves the write-ahead log into the database file (`full`: and empties it). The embedded store only. */
  checkpoint?(full: boolean): Promise<void>;
  /** `serve --record` (embedded: table `log_recordings`; MongoDB: `recordings`). */
  readonly recordings: AppendLog<RecordedMessage>;
  /**
   * Runs `fn` as one atomic step: the writes it makes through this store commit together when it
   * resolves, and none of them is kept when it throws or the process dies before (a booking, its
   * hold release and its stored reply). SQLite: one `BEGIN IMMEDIATE` transaction, steps of one
   * process one after another; MongoDB: a multi-document transaction where the deployment has
   * them (replica set, sharded cluster, Atlas); a standalone server runs the writes one by one.
   * A step inside a step joins it.
   * @throws what `fn` throws; StoreUnavailableError when the step cannot begin or commit
   */
  atomically<R>(fn: () => Promise<R>): Promise<R>;
  /**
   * Runs `fn` on a read-only view of the whole store as it was at one moment, while other
   * processes go on writing (`backup`). `how` says what made the view consistent:
   * - `sqlite-vacuum-into`: the embedded store copied with SQLite's `VACUUM INTO` (one read
   *   transaction; writers are not held up), the copy opened read-only and removed after;
   * - `mongodb-snapshot`: a session with snapshot reads (a replica set or Atlas, MongoDB ≥ 5.0;
   *   the reads must end within the server's snapshot window, 5 minutes by default);
   * - `none`: a standalone MongoDB server, which has no snapshot reads (each read sees the store as it is then).
   * @throws StoreUnavailableError; what `fn` throws
   */
  snapshot<R>(fn: (view: Store, how: SnapshotKind) => Promise<R>): Promise<R>;
  close(): Promise<void>;
}

export type SnapshotKind = 'sqlite-vacuum-into' | 'mongodb-snapshot' | 'none';
