import {
  StoreUnavailableError,
  type AppendLog,
  type CallLogStore,
  type Collection,
  type CollectionName,
  type Doc,
  type SnapshotKind,
  type Store,
} from './types.js';

/**
 * Whether `serve`'s store answers: `connecting` (it was unreachable when serve started, and is
 * being opened in the background), `unreachable` (it stopped answering while serve ran), or
 * `connected`.
 */
export type StoreState = 'connected' | 'connecting' | 'unreachable';

/** What a {@link WatchedStore} reports (part of `serve`'s events; no caller data). */
export type StoreEvent =
  | { kind: 'store'; state: 'connecting' | 'unreachable'; location: string; reason: string }
  | { kind: 'store'; state: 'connected'; location: string; afterMs: number };

export interface WatchedStoreOptions {
  /** The store, when it opened; absent: it was unreachable, and {@link connect} is retried until it opens. */
  initial?: Store;
  /** The backend, for `kind` before it opens. */
  kind: Store['kind'];
  /** Where it is (a redacted URI), for messages before it opens. */
  location: string;
  /** Why it was unreachable at start (the open error's message). */
  reason?: string;
  /** One attempt to open the store. Needed without {@link initial}. */
  connect?: () => Promise<Store>;
  /** True when a failed {@link connect} is worth retrying (no server answered); anything else is fatal. */
  isTransient?: (err: unknown) => boolean;
  /**
   * Checks a newly opened store before anything else uses it (the pinned keys, say); a throw is
   * fatal: the store is closed again and {@link onFatal} told.
   */
  onConnected?: (store: Store) => Promise<void>;
  /** The store will never be usable (credentials rejected, keys not the pinned ones): `serve` stops. */
  onFatal?: (err: unknown) => void;
  onEvent?: (e: StoreEvent) => void;
  /** The first retry and probe come after `firstMs`, doubling up to `maxMs`. @default { firstMs: 1000, maxMs: 10000 } */
  retry?: { firstMs: number; maxMs: number };
  now?: () => number;
}

/** `Record<keyof T, true>`: the compiler checks that every method of the interface is listed. */
const COLLECTION_METHODS: Record<keyof Collection, true> = {
  findOne: true,
  find: true,
  count: true,
  insertOne: true,
  updateOne: true,
  updateMany: true,
  replaceOne: true,
  deleteMany: true,
  compact: true,
  changes: true,
};
const CALL_LOG_METHODS: Record<keyof CallLogStore, true> = {
  has: true,
  append: true,
  list: true,
  stream: true,
  totals: true,
  rewrite: true,
};
const APPEND_LOG_METHODS: Record<keyof AppendLog<unknown>, true> = { append: true, list: true };

/**
 * `serve`'s store (DUR-2): forwards every call to the store it wraps and keeps
 * track of whether that store answers. A call that fails with {@link StoreUnavailableError}
 * marks it `unreachable`, and a probe (one small read, with backoff) runs until it answers again;
 * any call that succeeds marks it `connected`.
 *
 * Started without a store (MongoDB unreachable when `serve` started), every call fails at once
 * with {@link StoreUnavailableError} (as it does while MongoDB is down mid-run, so callers get
 * the same spoken apology and call-log events the same spool) while `connect` is retried with
 * backoff; once it opens and `onConnected` accepts it, calls go to it.
 */
export class WatchedStore implements Store {
  readonly kind: Store['kind'];
  readonly callLogs: CallLogStore;
  readonly audit: Store['audit'];
  readonly chats: Store['chats'];
  readonly recordings: Store['recordings'];
  private inner: Store | undefined;
  private current: StoreState;
  private reason: string;
  private since: number;
  private timer: NodeJS.Timeout | undefined;
  private delayMs: number;
  private attempt: Promise<void> | undefined;
  private closed = false;
  private readonly collections = new Map<CollectionName, Collection>();
  private readonly now: () => number;
  private readonly retry: { firstMs: number; maxMs: number };

  constructor(private readonly opts: WatchedStoreOptions) {
    this.kind = opts.initial?.kind ?? opts.kind;
    this.inner = opts.initial;
    this.now = opts.now ?? Date.now;
    this.retry = opts.retry ?? { firstMs: 1000, maxMs: 10_000 };
    this.delayMs = this.retry.firstMs;
    this.since = this.now();
    this.current = opts.initial ? 'connected' : 'connecting';
    this.reason = opts.reason ?? '';
    this.callLogs = this.forward(CALL_LOG_METHODS, (s) => s.callLogs);
    this.audit = this.forward(APPEND_LOG_METHODS, (s) => s.audit) as Store['audit'];
    this.chats = this.forward(APPEND_LOG_METHODS, (s) => s.chats) as Store['chats'];
    this.recordings = this.forward(APPEND_LOG_METHODS, (s) => s.recordings) as Store['recordings'];
    if (!opts.initial) {
      if (!opts.connect) throw new Error('WatchedStore needs `connect` when it starts without a store');
      opts.onEvent?.({ kind: 'store', state: 'connecting', location: opts.location, reason: this.reason });
      this.schedule(this.delayMs);
    }
  }

  /** Whether the store answers now. */
  get state(): StoreState {
    return this.current;
  }

  get location(): string {
    return this.inner?.location ?? this.opts.location;
  }

  collection<T extends Doc = Doc>(name: CollectionName): Collection<T> {
    let c = this.collections.get(name);
    if (!c) this.collections.set(name, (c = this.forward(COLLECTION_METHODS, (s) => s.collection(name))));
    return c as unknown as Collection<T>;
  }

  get integrity(): Store['integrity'] {
    const inner = this.inner;
    return inner?.integrity ? () => inner.integrity!() : undefined;
  }

  get badRecords(): Store['badRecords'] {
    const inner = this.inner;
    return inner?.badRecords ? () => inner.badRecords!() : undefined;
  }

  get highWater(): Store['highWater'] {
    const inner = this.inner;
    return inner?.highWater ? () => inner.highWater!() : undefined;
  }

  get checkpoint(): Store['checkpoint'] {
    const inner = this.inner;
    return inner?.checkpoint ? (full: boolean) => inner.checkpoint!(full) : undefined;
  }

  atomically<R>(fn: () => Promise<R>): Promise<R> {
    const inner = this.inner;
    if (!inner) return Promise.reject(this.unavailable());
    return this.track(inner.atomically(fn));
  }

  snapshot<R>(fn: (view: Store, how: SnapshotKind) => Promise<R>): Promise<R> {
    const inner = this.inner;
    if (!inner) return Promise.reject(this.unavailable());
    return this.track(inner.snapshot(fn));
  }

  /** Stops retrying and probing; closes the store it opened (one passed as `initial` stays its owner's to close). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await this.attempt;
    if (!this.opts.initial) await this.inner?.close();
  }

  /** An object with `methods` that call the same method of `pick(store)`, tracked. */
  private forward<T extends object>(methods: Record<keyof T, true>, pick: (s: Store) => T): T {
    const out: Record<string, unknown> = {};
    for (const name of Object.keys(methods)) {
      out[name] = (...args: unknown[]) => {
        const inner = this.inner;
        if (!inner) {
          const err = this.unavailable();
          // A stream fails when it is read, as the backends' own streams do.
          if (name === 'stream') return { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(err) }) };
          return Promise.reject(err);
        }
        const target = pick(inner) as Record<string, (...a: unknown[]) => unknown>;
        const result = target[name]!.apply(target, args);
        return result instanceof Promise ? this.track(result) : result;
      };
    }
    return out as T;
  }

  private unavailable(): StoreUnavailableError {
    return new StoreUnavailableError(
      `${this.opts.location} is unreachable (not connected since serve started${this.reason ? `: ${this.reason}` : ''})`,
    );
  }

  private track<R>(p: Promise<R>): Promise<R> {
    return p.then(
      (value) => {
        this.answered();
        return value;
      },
      (err: unknown) => {
        if (err instanceof StoreUnavailableError) this.failed(err.message);
        throw err;
      },
    );
  }

  private answered(): void {
    if (this.current !== 'unreachable') return;
    this.current = 'connected';
    clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.onEvent?.({
      kind: 'store',
      state: 'connected',
      location: this.location,
      afterMs: this.now() - this.since,
    });
  }

  private failed(reason: string): void {
    if (this.current !== 'connected' || this.closed) return;
    this.current = 'unreachable';
    this.reason = reason;
    this.since = this.now();
    this.delayMs = this.retry.firstMs;
    this.opts.onEvent?.({ kind: 'store', state: 'unreachable', location: this.location, reason });
    this.schedule(this.delayMs);
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.attempt = (this.inner ? this.probe() : this.open()).finally(() => (this.attempt = undefined));
    }, ms);
    this.timer.unref();
  }

  private backoff(): void {
    this.delayMs = Math.min(this.delayMs * 2, this.retry.maxMs);
    this.schedule(this.delayMs);
  }

  /** One small read while the store is unreachable; `track` marks it connected when it answers. */
  private async probe(): Promise<void> {
    try {
      await this.collection('bot_configs').findOne({ _id: 'default' });
    } catch {
      // still down (or another failure, which the next call reports)
    }
    if (this.current === 'unreachable') this.backoff();
  }

  /** One attempt to open the store that was unreachable at start. */
  private async open(): Promise<void> {
    let store: Store;
    try {
      store = await this.opts.connect!();
    } catch (err) {
      if (this.closed) return;
      if (this.opts.isTransient?.(err) ?? true) {
        // The driver's words (`connect ECONNREFUSED …`) rather than the whole message.
        this.reason = ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message;
        return this.backoff();
      }
      return this.opts.onFatal?.(err);
    }
    if (this.closed) return void (await store.close().catch(() => undefined));
    try {
      await this.opts.onConnected?.(store);
    } catch (err) {
      await store.close().catch(() => undefined);
      if (this.closed) return;
      // It stopped answering during the checks: try again later; anything else is fatal.
      if (err instanceof StoreUnavailableError) return this.backoff();
      return this.opts.onFatal?.(err);
    }
    this.inner = store;
    this.current = 'connected';
    this.opts.onEvent?.({
      kind: 'store',
      state: 'connected',
      location: store.location,
      afterMs: this.now() - this.since,
    });
  }
}
