import type { CallLogRecord, Store } from '../store/types.js';
import { StoreUnavailableError } from '../store/types.js';
import type { Spool } from '../store/spool.js';
import { recordCallStatus, type CallStatus } from '../domain/call-records.js';

/**
 * A call-log event, as it is written or spooled. The record is already sealed
 * (`sealCallLog`), so neither the store nor the spool ever holds plaintext.
 */
export type CallEvent = { kind: 'call-log'; record: CallLogRecord } | { kind: 'call-status'; status: CallStatus };

/** What `serve` reports about the spool (no caller data). */
export type SpoolEvent =
  | { kind: 'spool'; state: 'queued'; depth: number; reason: string }
  | { kind: 'spool'; state: 'drained'; written: number; depth: 0 }
  | { kind: 'spool'; state: 'pending'; depth: number; file: string };

/** First retry after this long, doubling up to `MAX_RETRY_MS`. */
const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 5_000;

/**
 * Writes call-log events (`end-of-call-report`, `status-update`) to the store, or, when the
 * store is unavailable and a spool is configured, to the spool (DUR-2). While anything is
 * spooled, new events join the spool too, so the store receives them in arrival order; a
 * timer drains it with backoff. Both writes are idempotent (one row per call id; the newest
 * status wins), so an entry applied twice after a crash has one effect.
 */
export class CallEventWriter {
  private timer: NodeJS.Timeout | undefined;
  private retryMs = FIRST_RETRY_MS;
  private drainedSinceQueued = 0;

  constructor(
    private readonly store: Store,
    private readonly spool: Spool<CallEvent> | undefined,
    private readonly onEvent: (e: SpoolEvent) => void = () => {},
  ) {}

  /** Reports and starts draining what an earlier run left in the spool. */
  start(): void {
    if (!this.spool?.depth) return;
    this.onEvent({ kind: 'spool', state: 'pending', depth: this.spool.depth, file: this.spool.file });
    this.schedule(0);
  }

  /**
   * Writes one event. `'duplicate'`: the call was already logged. `'spooled'`: acknowledged
   * in the journal, to be written later.
   * @throws StoreUnavailableError when the store fails and there is no spool, or the spool fails too
   */
  async write(e: CallEvent): Promise<'ok' | 'duplicate' | 'spooled'> {
    if (this.spool?.depth) return this.enqueue(e, 'earlier events are still spooled');
    try {
      return (await this.apply(e)) ? 'ok' : 'duplicate';
    } catch (err) {
      if (!this.spool || !(err instanceof StoreUnavailableError)) throw err;
      return this.enqueue(e, err.message);
    }
  }

  /** Applies one event to the store; false when the call log already existed. */
  private async apply(e: CallEvent): Promise<boolean> {
    if (e.kind === 'call-log') return this.store.callLogs.append(e.record);
    await recordCallStatus(this.store, e.status);
    return true;
  }

  private async enqueue(e: CallEvent, reason: string): Promise<'spooled'> {
    const spool = this.spool!;
    await spool.append(e);
    this.onEvent({ kind: 'spool', state: 'queued', depth: spool.depth, reason });
    if (!this.timer) this.schedule(this.retryMs);
    return 'spooled';
  }

  private schedule(ms: number): void {
    this.timer = setTimeout(() => void this.drainOnce(), ms);
    this.timer.unref();
  }

  private async drainOnce(): Promise<void> {
    const spool = this.spool!;
    const written = await spool.drain((e) => this.apply(e));
    this.drainedSinceQueued += written;
    if (spool.depth === 0) {
      this.timer = undefined;
      this.retryMs = FIRST_RETRY_MS;
      if (this.drainedSinceQueued)
        this.onEvent({ kind: 'spool', state: 'drained', written: this.drainedSinceQueued, depth: 0 });
      this.drainedSinceQueued = 0;
      return;
    }
    this.retryMs = written ? FIRST_RETRY_MS : Math.min(this.retryMs * 2, MAX_RETRY_MS);
    this.schedule(this.retryMs);
  }

  /** Entries waiting in the spool (0 without one). */
  get depth(): number {
    return this.spool?.depth ?? 0;
  }

  /** Stops retrying; what is spooled stays on disk for the next start. */
  async close(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.spool?.close();
  }
}
