import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { listAudit, type AuditEntry } from '../../domain/audit.js';
import type { GlobalOptions } from '../shared/globals.js';
import { openStore } from '../shared/store.js';
import { parseLimit, parseSince } from '../shared/parse.js';
import { renderTable } from '../shared/table.js';

export async function runAudit(
  flags: { since?: string; limit?: string },
  g: GlobalOptions,
  deps: Deps,
): Promise<AuditEntry[]> {
  const since = parseSince(flags.since, deps.now());
  const limit = parseLimit(flags.limit);
  const store = await openStore(g, deps, { readOnly: true, purpose: 'receptionist audit' });
  try {
    return await listAudit(store, { since, limit });
  } finally {
    await store.close();
  }
}

export function renderAudit(rows: AuditEntry[], g: GlobalOptions, io: IO): void {
  if (g.json) return io.line(JSON.stringify(rows, null, 2));
  if (!rows.length) return io.info('No audit records yet.');
  const details = (r: AuditEntry) =>
    Object.entries(r.details)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(' ');
  if (io.isOutTTY) {
    const cells = rows.map((r) => [r.at.replace('T', ' ').slice(0, 19), r.user, r.action, details(r)]);
    return io.line(renderTable(['Time (UTC)', 'User', 'Action', 'Details'], cells, io, g.color));
  }
  for (const r of rows) io.line(`${r.at}  ${r.user.padEnd(12)}  ${r.action.padEnd(13)}  ${details(r)}`);
}
