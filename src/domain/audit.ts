import { randomBytes } from 'node:crypto';
import type { Store } from '../store/types.js';

/** One audit record (collection `audit`): who did what, when. Holds no sensitive value. */
export interface AuditRecord {
  _id: string;
  /** ISO time */
  at: string;
  /** Acting admin */
  user: string;
  /** `decrypt`, `users.add`, `users.remove`, `users.passwd`, `keys.init`, `keys.rotate`, … */
  action: string;
  /** Non-sensitive details: the filter used (never a phone number in the clear), counts, names. */
  details: Record<string, unknown>;
  [k: string]: unknown;
}

/** Appends an audit record. @throws StoreUnavailableError */
export async function appendAudit(store: Store, entry: Pick<AuditRecord, 'at' | 'user' | 'action' | 'details'>): Promise<void> {
  await store.collection<AuditRecord>('audit').insertOne({ _id: `${entry.at}-${randomBytes(4).toString('hex')}`, ...entry });
}

export async function listAudit(store: Store, opts: { since?: Date; limit?: number } = {}): Promise<AuditRecord[]> {
  const query = opts.since ? { at: { $gte: opts.since.toISOString() } } : {};
  return store.collection<AuditRecord>('audit').find(query, { sort: { at: -1 }, limit: opts.limit });
}
