import fs from 'node:fs';
import { StoreUnavailableError } from '../types.js';
import type { AuditLog, AuditEntry } from '../types.js';

/**
 * `audit.jsonl`: one JSON object per line, appended with O_APPEND and fsynced. Appends from
 * several processes (a running `serve` holds the store lock; `logs --decrypt` only reads the
 * store) interleave whole lines, so the audit trail needs no lock. A torn last line is skipped.
 */
export class JsonlAuditLog implements AuditLog {
  constructor(private readonly file: string) {}

  async append(entry: AuditEntry): Promise<void> {
    try {
      const fh = await fs.promises.open(this.file, 'a', 0o600);
      try {
        await fh.write(`${JSON.stringify(entry)}\n`);
        await fh.datasync();
      } finally {
        await fh.close();
      }
    } catch (err) {
      throw new StoreUnavailableError(`cannot append to ${this.file}: ${(err as Error).message}`, { cause: err });
    }
  }

  async list(): Promise<AuditEntry[]> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch {
      return [];
    }
    const out: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as AuditEntry);
      } catch {
        // A line being written right now, or torn by a crash: never acknowledged.
      }
    }
    return out;
  }
}
