import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  StoreUnavailableError,
  totalsOf,
  type CallLogGrouping,
  type CallLogQuery,
  type CallLogRecord,
  type CallLogStore,
  type CallLogTotals,
} from '../types.js';
import { StoreError } from '../../errors.js';
import { CALL_LOG_COLUMNS, escapeCell, unescapeCell } from '../csv-cells.js';
import { PRIVATE_FILE_MODE, tightenFiles, writePrivateFileAtomically } from '../private-dir.js';

type CsvLib = { parse: typeof import('csv-parse').parse; stringify: typeof import('csv-stringify/sync').stringify };
let csvLib: CsvLib | undefined;
/** csv-parse and csv-stringify (~10 MB once loaded), loaded by the first CSV read or write: never by a serve that logs to the store. */
const csv = (): CsvLib => {
  if (!csvLib) {
    const load = createRequire(import.meta.url);
    csvLib = {
      parse: (load('csv-parse') as typeof import('csv-parse')).parse,
      stringify: (load('csv-stringify/sync') as typeof import('csv-stringify/sync')).stringify,
    };
  }
  return csvLib;
};

const HEADER = [...CALL_LOG_COLUMNS, 'checksum'];
function checksum(cells: string[]): string {
  return createHash('sha256').update(JSON.stringify(cells)).digest('hex').slice(0, 16);
}

function toCells(r: CallLogRecord): string[] {
  return CALL_LOG_COLUMNS.map((c) => {
    const v = r[c];
    return escapeCell(v === null || v === undefined ? '' : String(v));
  });
}

/** Cells → record by the file's own header (older files lack newer columns: they read as ''). */
function fromCells(cells: string[], header: string[]): CallLogRecord {
  const byName = new Map(header.map((h, i) => [h, unescapeCell(cells[i] ?? '')]));
  const rec = Object.fromEntries(CALL_LOG_COLUMNS.map((c) => [c, byName.get(c) ?? ''])) as unknown as CallLogRecord;
  const num = (v: unknown) => (v === '' ? null : Number(v));
  rec.durationSeconds = num(rec.durationSeconds);
  rec.cost = num(rec.cost);
  return rec;
}

interface ScanResult {
  records: CallLogRecord[];
  /** The file's header is an older set of our columns: rewrite before appending. */
  isOldFormat: boolean;
  /** Bytes up to the end of the last complete row (verified or quarantined): what follows is a torn tail. */
  cleanBytes: number;
  fileBytes: number;
  /** Byte ranges of complete rows that fail their checksum or column count (a flipped byte, an edit): quarantined, not torn. */
  quarantined: Array<{ start: number; end: number }>;
}

/**
 * Reads `calls.csv` (DUR-3): every complete row that verifies is a record; a complete row that
 * fails its checksum or has the wrong number of columns (a flipped byte, an edit by hand) is
 * listed in `quarantined` and the rows after it are still read (one bad row never hides the
 * others); an unfinished last row, or a quote left open by a cut, ends
 * the scan as a torn tail.
 * @throws StoreError when the header is not ours.
 */
async function scan(file: string): Promise<ScanResult> {
  const fileBytes = fs.statSync(file).size;
  const records: CallLogRecord[] = [];
  let cleanBytes = 0;
  const parser = csv().parse({ info: true, relax_column_count: true, bom: true });
  // pipe() does not forward read errors: hand them to the parser so the loop below sees them.
  fs.createReadStream(file)
    .on('error', (err) => parser.destroy(err))
    .pipe(parser);
  let first = true;
  let lastCleanBytes = 0;
  let header: string[] = HEADER;
  const quarantined: Array<{ start: number; end: number }> = [];
  let lastWasBad = false;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { bytes: number } }>) {
      if (first) {
        first = false;
        if (!isOurHeader(record)) {
          throw new StoreError(`${file} does not have receptionist's call-log columns.`, undefined, {
            reason: 'foreign-call-log',
          });
        }
        header = record;
        cleanBytes = info.bytes;
        continue;
      }
      const cells = record.slice(0, -1);
      lastCleanBytes = cleanBytes;
      if (record.length !== header.length || checksum(cells) !== record[record.length - 1]) {
        quarantined.push({ start: cleanBytes, end: info.bytes });
        lastWasBad = true;
      } else {
        records.push(fromCells(cells, header));
        lastWasBad = false;
      }
      cleanBytes = info.bytes;
    }
    // Only the last row can lack its line ending (a cut right after or inside its checksum): it is torn.
    if (lastCleanBytes > 0 && cleanBytes === fileBytes && !endsWithNewline(file, fileBytes)) {
      if (lastWasBad) quarantined.pop();
      else if (records.length) records.pop();
      cleanBytes = lastCleanBytes;
    }
  } catch (err) {
    if (err instanceof StoreError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    if (code && !code.startsWith('CSV_'))
      throw new StoreUnavailableError(`cannot read ${file}: ${(err as Error).message}`, { cause: err });
    // An unclosed quote or similar: the tail was torn; keep the clean prefix.
  } finally {
    parser.destroy();
  }
  return { records, cleanBytes, fileBytes, quarantined, isOldFormat: header.join(',') !== HEADER.join(',') };
}

/** Ours: `callId` first, `checksum` last, every other column one we know. */
function isOurHeader(record: string[]): boolean {
  const known = new Set<string>(CALL_LOG_COLUMNS);
  return (
    record[0] === 'callId' && record[record.length - 1] === 'checksum' && record.slice(0, -1).every((c) => known.has(c))
  );
}

function rowBytes(r: CallLogRecord): Buffer {
  const cells = toCells(r);
  // A lone CR is quoted too: csv-stringify quotes only the record delimiter, and a spreadsheet would split the row at it.
  return Buffer.from(csv().stringify([[...cells, checksum(cells)]], { record_delimiter: '\n', quoted_match: /\r/ }));
}

/** Writes a whole log to `file` atomically: temp file, fsync, rename, fsync of the directory. Returns its size. */
export function writeAtomically(file: string, records: CallLogRecord[]): number {
  const body = Buffer.concat([Buffer.from(csv().stringify([HEADER])), ...records.map(rowBytes)]);
  writePrivateFileAtomically(file, body);
  return body.length;
}

function endsWithNewline(file: string, offset: number): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, offset - 1);
    return b[0] === 0x0a;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The local call log: `calls.csv`, one row per call, each append written at the end of the
 * clean prefix and fsynced before it is acknowledged. A torn tail found on open is moved aside
 * to `calls.csv.torn-<time>` (never deleted) and the file is cut back to its clean prefix.
 */
export class CsvCallLog implements CallLogStore {
  private ids = new Set<string>();
  private queue: Promise<unknown> = Promise.resolve();
  private dirty = false;

  private constructor(
    private readonly file: string,
    private fh: fs.promises.FileHandle | undefined,
    private size: number,
    /** A snapshot reads its rows on first use (so a caller can overlap the read with other work). */
    private readonly isSnapshot: boolean,
  ) {}

  private snapshotRows: Promise<CallLogRecord[]> | undefined;

  private rows(): Promise<CallLogRecord[]> {
    this.snapshotRows ??= fs.existsSync(this.file) ? scan(this.file).then((r) => r.records) : Promise.resolve([]);
    return this.snapshotRows;
  }

  /** Opens for appending (the caller holds the directory lock). */
  static async open(file: string, onWarning: (msg: string) => void): Promise<CsvCallLog> {
    if (!fs.existsSync(file)) {
      fs.writeFileSync(file, csv().stringify([HEADER]), { flag: 'wx', mode: PRIVATE_FILE_MODE });
    }
    // calls.csv and what was moved aside from it, also when an older build made them readable by others.
    tightenFiles(path.dirname(file), [path.basename(file)], 'call log');
    const { records, cleanBytes, fileBytes, isOldFormat, quarantined } = await scan(file);
    if (cleanBytes === 0) {
      throw new StoreError(`${file} has no header row.`, 'Move the file away to start a new call log.');
    }
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    if (quarantined.length) {
      // Rows that cannot be trusted go to a side file, whole and never deleted; every other row stays.
      const aside = `${file}.quarantine-${stamp}`;
      const fd = fs.openSync(file, 'r');
      const parts = quarantined.map(({ start, end }) => {
        const b = Buffer.alloc(end - start);
        fs.readSync(fd, b, 0, b.length, start);
        return b;
      });
      fs.closeSync(fd);
      fs.writeFileSync(aside, Buffer.concat([Buffer.from(csv().stringify([HEADER])), ...parts]), {
        mode: PRIVATE_FILE_MODE,
      });
      onWarning(
        `${file}: ${quarantined.length} row(s) failed their checksum and were moved to ${aside}; the other ${records.length} row(s) are kept`,
      );
    }
    if (cleanBytes < fileBytes) {
      const aside = `${file}.torn-${stamp}`;
      const fd = fs.openSync(file, 'r');
      const tail = Buffer.alloc(fileBytes - cleanBytes);
      fs.readSync(fd, tail, 0, tail.length, cleanBytes);
      fs.closeSync(fd);
      fs.writeFileSync(aside, tail, { mode: PRIVATE_FILE_MODE });
      fs.truncateSync(file, cleanBytes);
      onWarning(`${file}: an unfinished last row (${tail.length} bytes) was moved to ${aside}`);
    }
    // An older column set is brought up to date before anything is appended; quarantined rows leave the file.
    const size = isOldFormat || quarantined.length ? writeAtomically(file, records) : cleanBytes;
    if (isOldFormat) onWarning(`${file}: converted ${records.length} rows to the current columns`);
    const fh = await fs.promises.open(file, 'r+');
    const log = new CsvCallLog(file, fh, size, false);
    for (const r of records) log.ids.add(r.callId);
    return log;
  }

  /** Reads the clean prefix of a log that another process may be appending to (on first use). */
  static async snapshot(file: string): Promise<CsvCallLog> {
    return new CsvCallLog(file, undefined, 0, true);
  }

  async has(callId: string): Promise<boolean> {
    if (this.isSnapshot) return (await this.rows()).some((r) => r.callId === callId);
    return this.ids.has(callId);
  }

  append(record: CallLogRecord): Promise<boolean> {
    const run = this.queue.then(() => this.appendNow(record));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async appendNow(record: CallLogRecord): Promise<boolean> {
    if (!this.fh) throw new StoreError('This command opened the call log read-only.');
    if (this.ids.has(record.callId)) return false;
    const row = rowBytes(record);
    try {
      // After a failed write, bytes past the clean prefix may be garbage: cut them first.
      if (this.dirty) {
        await this.fh.truncate(this.size);
        this.dirty = false;
      }
      this.dirty = true;
      const { bytesWritten } = await this.fh.write(row, 0, row.length, this.size);
      if (bytesWritten !== row.length) throw new Error(`short write (${bytesWritten} of ${row.length} bytes)`);
      await this.fh.datasync();
      this.dirty = false;
    } catch (err) {
      throw new StoreUnavailableError(`cannot append to ${this.file}: ${(err as Error).message}`, { cause: err });
    }
    this.size += row.length;
    this.ids.add(record.callId);
    return true;
  }

  async list(opts: CallLogQuery = {}): Promise<CallLogRecord[]> {
    const all = this.isSnapshot ? await this.rows() : (await scan(this.file)).records;
    const since = opts.since?.toISOString();
    const rows = all.filter(
      (r) =>
        (!since || (r.endedAt || r.receivedAt) >= since) &&
        (opts.callId === undefined || r.callId === opts.callId) &&
        (opts.customerIndex === undefined || (r.customerIndex !== '' && r.customerIndex === opts.customerIndex)),
    );
    rows.sort((a, b) => (b.endedAt || b.receivedAt).localeCompare(a.endedAt || a.receivedAt));
    return opts.limit ? rows.slice(0, opts.limit) : rows;
  }

  /** The CSV is read whole (it is the derived spreadsheet copy, not what commands query). */
  async *stream(opts: CallLogQuery = {}): AsyncIterable<CallLogRecord> {
    yield* await this.list(opts);
  }

  async totals(opts: { since?: Date; by: CallLogGrouping }): Promise<CallLogTotals[]> {
    return totalsOf(await this.list({ since: opts.since }), opts.by);
  }

  rewrite(transform: (r: CallLogRecord) => CallLogRecord | null): Promise<number> {
    const run = this.queue.then(async () => {
      if (!this.fh) throw new StoreError('This command opened the call log read-only.');
      const { records } = await scan(this.file);
      let changed = 0;
      const next: CallLogRecord[] = [];
      for (const r of records) {
        const t = transform(r);
        if (t === null) {
          this.ids.delete(r.callId);
          changed++;
          continue;
        }
        if (JSON.stringify(t) !== JSON.stringify(r)) changed++;
        next.push(t);
      }
      if (!changed) return 0;
      await this.fh.close();
      try {
        this.size = writeAtomically(this.file, next);
      } catch (err) {
        throw new StoreUnavailableError(`cannot rewrite ${this.file}: ${(err as Error).message}`, { cause: err });
      } finally {
        this.fh = await fs.promises.open(this.file, 'r+');
      }
      return changed;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Replaces every row with `records` (newest first, as `list` gives them), atomically. @throws StoreUnavailableError */
  replaceAll(records: CallLogRecord[]): Promise<void> {
    const run = this.queue.then(async () => {
      if (!this.fh) throw new StoreError('This command opened the call log read-only.');
      await this.fh.close();
      try {
        this.size = writeAtomically(this.file, [...records].reverse());
      } catch (err) {
        throw new StoreUnavailableError(`cannot rewrite ${this.file}: ${(err as Error).message}`, { cause: err });
      } finally {
        this.fh = await fs.promises.open(this.file, 'r+');
      }
      this.ids = new Set(records.map((r) => r.callId));
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.fh?.close();
    this.fh = undefined;
  }
}
