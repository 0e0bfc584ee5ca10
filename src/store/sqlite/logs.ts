import type { DatabaseSync } from 'node:sqlite';
import type { AppendLog, CallLogGrouping, CallLogQuery, CallLogRecord, CallLogStore, CallLogTotals } from '../types.js';
import { CALL_FIGURE_LIMITS } from '../types.js';
import { StoreError } from '../../errors.js';
import { CALL_LOG_COLUMNS } from '../csv-cells.js';
import { asStoreError, onConnection, prepared, transaction } from './db.js';

/** SQL for a figure within {@link CALL_FIGURE_LIMITS} (or absent): out of range, it is left out of the sums. */
const SECONDS_OK = `(durationSeconds IS NULL OR durationSeconds BETWEEN 0 AND ${CALL_FIGURE_LIMITS.maxSeconds})`;
const COST_OK = `(cost IS NULL OR cost BETWEEN 0 AND ${CALL_FIGURE_LIMITS.maxCost})`;

/** The DDL of the call log (one column per `CallLogRecord` field) and of the append-only logs. */
export const LOGS_DDL = [
  `CREATE TABLE IF NOT EXISTS call_logs (
     callId TEXT PRIMARY KEY, callType TEXT NOT NULL, assistantId TEXT NOT NULL, startedAt TEXT NOT NULL,
     endedAt TEXT NOT NULL, durationSeconds REAL, endedReason TEXT NOT NULL, cost REAL, costBreakdown TEXT NOT NULL,
     customerNumber TEXT NOT NULL, customerIndex TEXT NOT NULL, summary TEXT NOT NULL, transcript TEXT NOT NULL,
     recordingUrl TEXT NOT NULL, successEvaluation TEXT NOT NULL, receivedAt TEXT NOT NULL,
     sortAt TEXT GENERATED ALWAYS AS (coalesce(nullif(endedAt, ''), receivedAt)) VIRTUAL
   ) STRICT`,
  'CREATE INDEX IF NOT EXISTS ix_call_logs_sortAt ON call_logs (sortAt)',
  `CREATE INDEX IF NOT EXISTS ix_call_logs_customerIndex ON call_logs (customerIndex) WHERE customerIndex != ''`,
  ...['audit', 'chats', 'recordings'].map(
    (name) =>
      `CREATE TABLE IF NOT EXISTS log_${name} (seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL) STRICT`,
  ),
];

const COLUMNS = CALL_LOG_COLUMNS as readonly (keyof CallLogRecord)[];

/** Rows per read of {@link SqliteCallLog.stream} and of a rewrite: ~1 MB of ~4 KB records (a bigger page only grows the heap). */
const PAGE_ROWS = 250;

/** Inserts one call log; a call id already there is left as it is. Bind {@link callLogValues}. */
export const INSERT_CALL_LOG = `INSERT OR IGNORE INTO call_logs (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map(() => '?').join(', ')})`;

/** A record's values in {@link INSERT_CALL_LOG}'s column order. */
export const callLogValues = (r: CallLogRecord) => COLUMNS.map((c) => r[c]);

/** Call logs in the `call_logs` table: by id, by end time (`sortAt`), by caller blind index. */
export class SqliteCallLog implements CallLogStore {
  constructor(
    private readonly db: DatabaseSync,
    private readonly readOnly: boolean,
  ) {}

  async has(callId: string): Promise<boolean> {
    return this.run(() => Boolean(prepared(this.db, 'SELECT 1 FROM call_logs WHERE callId = ?').get(callId)));
  }

  async append(record: CallLogRecord): Promise<boolean> {
    this.writable();
    return this.run(() => {
      return Number(prepared(this.db, INSERT_CALL_LOG).run(...callLogValues(record)).changes) === 1;
    });
  }

  async list(opts: CallLogQuery = {}): Promise<CallLogRecord[]> {
    return this.run(() => this.page(opts, opts.limit));
  }

  async *stream(opts: CallLogQuery = {}): AsyncIterable<CallLogRecord> {
    let left = opts.limit ?? Infinity;
    let after: CallLogRecord | undefined;
    while (left > 0) {
      const size = Math.min(PAGE_ROWS, left);
      const from = after;
      const rows = await this.run(() => this.page(opts, size, from));
      yield* rows;
      if (rows.length < size) return;
      left -= rows.length;
      after = rows[rows.length - 1];
    }
  }

  /** Up to `limit` rows, newest first, after the row `after` (keyset: `sortAt`, then `callId`). */
  private page(opts: CallLogQuery, limit: number | undefined, after?: CallLogRecord): CallLogRecord[] {
    const filters: Array<[string, string[]]> = [];
    if (opts.since) filters.push(['sortAt >= ?', [opts.since.toISOString()]]);
    if (opts.callId !== undefined) filters.push(['callId = ?', [opts.callId]]);
    if (opts.customerIndex !== undefined)
      filters.push(["customerIndex = ? AND customerIndex != ''", [opts.customerIndex]]);
    // Keyset: `sortAt <= ?` first, so the page is a range of the sortAt index (an OR of both
    // conditions makes SQLite gather and sort every older row, per page).
    if (after) {
      const at = after.endedAt || after.receivedAt;
      filters.push(['sortAt <= ? AND (sortAt < ? OR callId < ?)', [at, at, after.callId]]);
    } else if (opts.startAt) {
      const { at, callId } = opts.startAt;
      filters.push(['sortAt <= ? AND (sortAt < ? OR callId <= ?)', [at, at, callId]]);
    }
    const where = filters.length ? `WHERE ${filters.map(([sql]) => sql).join(' AND ')}` : '';
    const rows = prepared(
      this.db,
      `SELECT ${COLUMNS.join(', ')} FROM call_logs ${where} ORDER BY sortAt DESC, callId DESC${limit ? ` LIMIT ${Math.floor(limit)}` : ''}`,
    ).all(...filters.flatMap(([, v]) => v));
    return rows.map((r) => ({ ...r }) as unknown as CallLogRecord);
  }

  async totals(opts: { since?: Date; by: CallLogGrouping }): Promise<CallLogTotals[]> {
    const key =
      opts.by === 'quarterHour'
        ? "substr(sortAt, 1, 14) || printf('%02d', (cast(substr(sortAt, 15, 2) AS INTEGER) / 15) * 15) || ':00.000Z'"
        : opts.by;
    return this.run(() =>
      (
        prepared(
          this.db,
          `SELECT ${key} AS key, count(*) AS calls, total(CASE WHEN ${SECONDS_OK} THEN durationSeconds END) AS seconds,
               total(CASE WHEN ${COST_OK} THEN cost END) AS cost, count(CASE WHEN ${COST_OK} THEN cost END) AS costed,
               group_concat(CASE WHEN NOT (${SECONDS_OK} AND ${COST_OK}) THEN callId END, char(31)) AS outOfRange
             FROM call_logs ${opts.since ? 'WHERE sortAt >= ?' : ''} GROUP BY 1`,
        ).all(...(opts.since ? [opts.since.toISOString()] : [])) as unknown as Array<
          Omit<CallLogTotals, 'outOfRange'> & { outOfRange: string | null }
        >
      ).map((r) => ({ ...r, outOfRange: r.outOfRange ? r.outOfRange.split('\x1f') : [] })),
    );
  }

  async rewrite(transform: (r: CallLogRecord) => CallLogRecord | null): Promise<number> {
    this.writable();
    return this.run(() =>
      transaction(this.db, () => {
        let changed = 0;
        const next = prepared(
          this.db,
          `SELECT ${COLUMNS.join(', ')} FROM call_logs WHERE callId > ? ORDER BY callId LIMIT ${PAGE_ROWS}`,
        );
        const del = prepared(this.db, 'DELETE FROM call_logs WHERE callId = ?');
        const set = prepared(
          this.db,
          `UPDATE call_logs SET ${COLUMNS.filter((c) => c !== 'callId')
            .map((c) => `${c} = ?`)
            .join(', ')} WHERE callId = ?`,
        );
        // A page at a time, in call-id order, so memory stays bounded (all in the one transaction).
        for (let last = '', page = next.all(last); page.length; page = next.all(last)) {
          for (const r of page as unknown as CallLogRecord[]) {
            const row = { ...r };
            const t = transform(row);
            if (t === null) {
              del.run(r.callId);
              changed++;
            } else if (JSON.stringify(t) !== JSON.stringify(row)) {
              set.run(...COLUMNS.filter((c) => c !== 'callId').map((c) => t[c]), r.callId);
              changed++;
            }
          }
          last = String((page[page.length - 1] as { callId: string }).callId);
        }
        return changed;
      }),
    );
  }

  private writable(): void {
    if (this.readOnly) throw new StoreError('This command opened the call log read-only.');
  }

  private run<R>(fn: () => R): Promise<R> {
    return onConnection(this.db, fn, (err) => asStoreError(err, 'the call log', this.db));
  }
}

/**
 * An append-only log (audit, chats, recordings) in `log_<name>`, oldest first. A command that
 * only reads the store still appends here (`logs --decrypt` writes its audit record, `chat` its turns).
 */
export class SqliteAppendLog<T> implements AppendLog<T> {
  constructor(
    private readonly db: DatabaseSync,
    private readonly name: 'audit' | 'chats' | 'recordings',
  ) {}

  async append(entry: T): Promise<void> {
    await this.run(() =>
      prepared(this.db, `INSERT INTO log_${this.name} (entry) VALUES (?)`).run(JSON.stringify(entry)),
    );
  }

  async list(): Promise<T[]> {
    return this.run(() =>
      (prepared(this.db, `SELECT entry FROM log_${this.name} ORDER BY seq`).all() as Array<{ entry: string }>).map(
        (r) => JSON.parse(r.entry) as T,
      ),
    );
  }

  private run<R>(fn: () => R): Promise<R> {
    return onConnection(this.db, fn, (err) => asStoreError(err, `the ${this.name} log`, this.db));
  }
}
