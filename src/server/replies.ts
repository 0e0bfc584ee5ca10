import { DuplicateKeyError, type Collection, type Store } from '../store/types.js';

interface StoredReply {
  _id: string;
  reply: unknown;
  createdAt: string;
  [k: string]: unknown;
}

/** A reply that is sent but not stored (a failure a redelivery may get past): its step's writes are undone. */
class Unstored<T> {
  constructor(readonly value: T) {}
}

/**
 * Answers a redelivered request with the first reply (SEC-2, BOOK-2). A reply is computed and
 * stored (collection `replies`, key `tool:<callId>:<toolCallId>`, `assistant-request:<callId>`)
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
    this.col = store.collection<StoredReply>('replies');
  }

  /**
   * The stored reply of `key`, else `compute`'s, stored with its writes when `cache` is true; with
   * `cache: false` the writes are rolled back and the value is only returned (not replayed).
   * @throws StoreUnavailableError (nothing of the step is kept), and what `compute` throws (likewise)
   */
  async once<T>(
    key: string,
    compute: () => Promise<{ value: T; cache: boolean }>,
  ): Promise<{ value: T; isReplay: boolean }> {
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

  private async computeAndStore<T>(key: string, compute: () => Promise<{ value: T; cache: boolean }>): Promise<T> {
    try {
      return await this.store.atomically(async () => {
        // Another process may have answered since the look-up above; in the step, its reply is final.
        const first = await this.col.findOne({ _id: key });
        if (first) return first.reply as T;
        const { value, cache } = await compute();
        if (!cache) throw new Unstored(value);
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

  /** Drops replies older than `maxAgeDays` (run at start). */
  async prune(maxAgeDays: number): Promise<number> {
    const cutoff = new Date(this.now().getTime() - maxAgeDays * 86_400_000).toISOString();
    return (await this.col.deleteMany({ createdAt: { $lt: cutoff } })).deleted;
  }
}
