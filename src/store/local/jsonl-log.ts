import fs from 'node:fs';
import { appendDurably } from './append.js';
import type { AppendLog } from '../types.js';

/**
 * An append-only JSON Lines file (`audit.jsonl`, `chats.jsonl`): appended with O_APPEND and
 * fsynced. Appends from several processes (a running `serve` holds the store lock; `logs
 * --decrypt` and `chat` only read the store) interleave whole lines, so no lock is needed.
 * A torn last line is skipped.
 */
export class JsonlLog<T> implements AppendLog<T> {
  constructor(private readonly file: string) {}

  append(entry: T): Promise<void> {
    return appendDurably(this.file, `${JSON.stringify(entry)}\n`);
  }

  async list(): Promise<T[]> {
    let text: string;
    try {
      text = await fs.promises.readFile(this.file, 'utf8');
    } catch {
      return [];
    }
    const out: T[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      try {
        out.push(JSON.parse(line) as T);
      } catch {
        // A line being written right now, or torn by a crash: never acknowledged.
      }
    }
    return out;
  }
}
