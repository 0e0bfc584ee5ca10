import { DuplicateKeyError, type Collection } from '../store/types.js';

interface StoredReply {
  _id: string;
  reply: unknown;
  createdAt: string;
  [k: string]: unknown;
}

/**
 * Answers a redelivered request with the first reply (SEC-2, BOOK-2). Replies are stored
 * durably under a key (`tool:<callId>:<toolCallId>`, `assistant-request:<callId>`) before they
 * are sent; concurrent deliveries of one key in this process share one computation, and across
 * processes the first stored reply wins.
 */
export class ReplyCache {
  private readonly inflight = new Map<string, Promise<unknown>>();

  constructor(
    private readonly col: Collection<StoredReply>,
    private readonly now: () => Date,
  ) {}

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
    const { value, cache } = await compute();
    if (!cache) return value;
    try {
      await this.col.insertOne({ _id: key, reply: value, createdAt: this.now().toISOString() });
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
      const first = await this.col.findOne({ _id: key });
      if (first) return first.reply as T;
    }
    return value;
  }

  /** Drops replies older than `maxAgeDays` (run at start). */
  async prune(maxAgeDays: number): Promise<number> {
    const cutoff = new Date(this.now().getTime() - maxAgeDays * 86_400_000).toISOString();
    return (await this.col.deleteMany({ createdAt: { $lt: cutoff } })).deleted;
  }
}
