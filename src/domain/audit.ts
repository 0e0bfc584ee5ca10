import type { AuditEntry, Store } from '../store/types.js';

export type { AuditEntry } from '../store/types.js';

/** Appends an audit record. @throws StoreUnavailableError */
export async function appendAudit(store: Store, entry: AuditEntry): Promise<void> {
  await store.audit.append(entry);
}

/** Audit records, newest first. */
export async function listAudit(store: Store, opts: { since?: Date; limit?: number } = {}): Promise<AuditEntry[]> {
  const since = opts.since?.toISOString();
  const rows = (await store.audit.list()).filter((e) => !since || e.at >= since).reverse();
  return opts.limit ? rows.slice(0, opts.limit) : rows;
}
