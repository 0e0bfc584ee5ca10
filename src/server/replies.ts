import type { StoredReply } from '../domain/records.js';
import { DuplicateKeyError, type Collection, type Store } from '../store/types.js';

/** What a computation returns: its value, and whether the value (and its writes) are kept; see {@link ReplyCache.once}. */
export type Computed<T> = { value: T; cache: boolean | 'writes-only' };

/** Replies kept at most (about 300 bytes each): a day of a busy line's redeliveries, many times over. */
export const MAX_REPLIES = 100_000;

/** A reply that is sent but not stored (a failure a redelivery may get past): its step's writes are undone. */
class Unstored<T> {
  constructor(readonly value: T) {}
}

/**
 * Answers a redelivered request with the first reply (SEC-2, BOOK-2). A reply is computed and
 * stored (collection `replies`, key `tool:<callId>:<toolCallId>` or `fn:<callId>:<body hash>`)
 * in one atomic step with every write the computation made, before it is sent: a crash leaves
 * either the effect and its reply, or neither, so a redelivery after `kill -9` gets the answer the
 * first attempt would have given. Concurrent deliveries of one key in this process share one
 * computation; across processes the first stored reply wins.
 */
export class ReplyCache {
  private readonly inflight = new Map<string, Promise<unknown>>();
  private readonly col: Collection<StoredReply>;

  constructor(
    private readonly store: Store,
    private readonly now: () => Date,
  ) {
    this.col = store.collection('replies');
  }

  /**
   * The stored reply of `key`, else `compute`'s, stored with its writes when `cache` is true; with
   * `cache: false` the writes are rolled back and the value is only returned (not replayed); with
   * `'writes-only'` the writes are kept and the reply is not stored (a read-only tool whose reply
   * holds patients' data: a redelivery computes it again, and its writes must be idempotent).
   * @throws StoreUnavailableError (nothing of the step is kept), and what `compute` throws (likewise)
   */
  async once<T>(key: string, compute: () => Promise<Computed<T>>): Promise<{ value: T; isReplay: boolean }> {
    const running = this.inflight.get(key);
    if (running) return { value: (await running) as T, isReplay: true };
    const stored = await this.col.findOne({ _id: key });
    if (stored) return { value: stored.reply as T, isReplay: true };
    const job = this.computeAndStore(key, compute);
    this.inflight.set(key, job);
    try {
      return { value: await job, isReplay: false };
    } finally {
      this.inflight.delete(key);
    }
  }

  private async computeAndStore<T>(key: string, compute: () => Promise<Computed<T>>): Promise<T> {
    try {
      return await this.store.atomically(async () => {
        // Another process may have answered since the look-up above; in the step, its reply is final.
        const first = await this.col.findOne({ _id: key });
        if (first) return first.reply as T;
        const { value, cache } = await compute();
        if (!cache) throw new Unstored(value);
        if (cache === 'writes-only') return value;
        await this.col.insertOne({ _id: key, reply: value, createdAt: this.now().toISOString() });
        return value;
      });
    } catch (err) {
      if (err instanceof Unstored) return err.value as T;
      // Another process stored this key first (without transactions, or between our steps): its reply stands.
      if (!(err instanceof DuplicateKeyError)) throw err;
      const first = await this.col.findOne({ _id: key });
      if (first) return first.reply as T;
      throw err;
    }
  }

  /**
   * Drops replies older than `maxAgeDays`, then all but the newest `maxReplies` (run at start and
   * hourly): the cache stays bounded at any call volume. A pruned reply's booking stays
   * deduplicated by its `sourceKey` index.
   */
  async prune(maxAgeDays: number, maxReplies = MAX_REPLIES): Promise<number> {
    const cutoff = new Date(this.now().getTime() - maxAgeDays * 86_400_000).toISOString();
    let deleted = (await this.col.deleteMany({ createdAt: { $lt: cutoff } })).deleted;
    const excess = (await this.col.count({})) - maxReplies;
    if (excess > 0) {
      // The newest maxReplies + 1 creation times (the index, one field): the last is the first to go.
      const newest = await this.col.find({}, { sort: { createdAt: -1 }, limit: maxReplies + 1, fields: ['createdAt'] });
      const cut = newest.at(-1)?.createdAt;
      if (cut) deleted += (await this.col.deleteMany({ createdAt: { $lte: cut } })).deleted;
    }
    return deleted;
  }
}
