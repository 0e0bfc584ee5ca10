import type { PlannedResource } from '../../vapi/sync-plan.js';
import type { SyncResult } from '../../vapi/sync-remote.js';
import type { RenderContext } from '../shared/command.js';
import type { SyncOptions } from './sync.js';

// How `sync` shows its plan and what it did.

const SYMBOL: Record<PlannedResource['action'], string> = { create: '+', update: '~', unchanged: '=', drifted: '!' };

function short(v: unknown): string {
  const text = v === undefined ? '(unset)' : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

/** The plan (printed before anything is applied); with --json one object {…, plan: [...]}. */
export function renderPlan(r: SyncResult, _o: unknown, { io, globals: g }: RenderContext): void {
  if (g.json) return io.line(JSON.stringify({ ...r, plan: r.plan.map(({ body: _b, ...p }) => p) }));
  io.line(`Plan for Vapi at ${r.baseUrl}, webhook ${r.serverUrl} (from ${r.serverUrlSource}):`);
  for (const p of r.plan) {
    const what =
      p.action === 'drifted'
        ? 'changed on Vapi since the last sync'
        : `${p.action}${p.adopted ? ` (found on Vapi: ${p.id})` : ''}`;
    io.line(`  ${SYMBOL[p.action]} ${p.kind.padEnd(12)} ${p.name.padEnd(26)} ${what}`);
    if (p.action === 'update' || p.action === 'drifted')
      for (const c of p.changes.slice(0, 12)) io.line(`      ${c.path}: ${short(c.from)} → ${short(c.to)}`);
    if (p.action === 'drifted')
      for (const c of p.remoteChanges.slice(0, 12))
        io.line(`      on Vapi: ${c.path}: ${short(c.from)} → ${short(c.to)}`);
  }
  const count = (a: string) => r.plan.filter((p) => p.action === a).length;
  io.line(
    `${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${count('drifted')} changed on Vapi.`,
  );
}

/** What was done, on stderr, after the plan. */
export function renderSynced(r: SyncResult, flags: SyncOptions, { io }: RenderContext): void {
  const tools = r.plan.filter((p) => p.kind === 'tool').length;
  if (r.applied)
    io.info(
      `Synced: assistant ${r.assistantId} with ${tools} tools, credential ${r.credentialId}${r.phoneNumber ? `, phone number ${r.phoneNumber}` : ''}, webhook ${r.serverUrl}.`,
    );
  else if (!flags.dryRun && !flags.check) io.info('Nothing to change.');
}
