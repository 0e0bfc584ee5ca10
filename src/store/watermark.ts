import fs from 'node:fs';
import path from 'node:path';
import { writePrivateFileAtomically } from './private-dir.js';

/**
 * What `serve` acknowledged, kept beside the store but outside SQLite's write-ahead log.
 * SQLite reads a WAL frame that fails its checksum (a flipped byte) as the end of the log,
 * so every commit after it vanishes without an error. The high-water marks of the append-only tables
 * (call logs, audit) only ever grow: lower at the next start means acknowledged records were lost.
 * File `<data-dir>/acknowledged.json`, mode 600, written atomically and fsynced.
 */
export interface HighWater {
  /** The call log's largest rowid. */
  callLogs: number;
  /** The audit log's largest sequence number. */
  audit: number;
}

export const WATERMARK_FILE = 'acknowledged.json';

/** The marks written last, or undefined when there are none (or the file does not read). */
export function readWatermark(dir: string): (HighWater & { at: string }) | undefined {
  try {
    const v = JSON.parse(fs.readFileSync(path.join(dir, WATERMARK_FILE), 'utf8')) as Partial<HighWater> & {
      at?: unknown;
    };
    if (typeof v.callLogs !== 'number' || typeof v.audit !== 'number' || typeof v.at !== 'string') return undefined;
    return { callLogs: v.callLogs, audit: v.audit, at: v.at };
  } catch {
    return undefined;
  }
}

/** Writes the marks (atomically: temp file, fsync, rename, fsync of the folder). */
export function writeWatermark(dir: string, marks: HighWater, at: Date): void {
  writePrivateFileAtomically(path.join(dir, WATERMARK_FILE), JSON.stringify({ ...marks, at: at.toISOString() }));
}

/** What went backwards since the marks were written, in words; empty when nothing did. */
export function wentBackwards(before: HighWater, now: HighWater): string[] {
  const out: string[] = [];
  if (now.callLogs < before.callLogs) out.push(`call logs (up to row ${before.callLogs} then, ${now.callLogs} now)`);
  if (now.audit < before.audit) out.push(`audit entries (up to ${before.audit} then, ${now.audit} now)`);
  return out;
}
