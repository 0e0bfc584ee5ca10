import { createHash } from 'node:crypto';
import type { BotConfig } from '../domain/clinic.js';

/**
 * Sync state recorded in the bot config after each successful write, per resource:
 * the id, the body we sent, and what Vapi returned. Comparing what we would send now with
 * what we sent decides updates; comparing what Vapi holds now with what it returned then
 * detects edits made elsewhere (drift). Vapi's own defaults never count as a change.
 */
export interface ResourceState {
  id: string;
  sent: Record<string, unknown>;
  received: Record<string, unknown>;
}

export interface SyncState {
  assistant?: ResourceState;
  /** By function name. */
  tools?: Record<string, ResourceState>;
}

export type Action = 'create' | 'update' | 'unchanged' | 'drifted';

export interface PlannedResource {
  kind: 'tool' | 'assistant';
  /** Function name, or the assistant's name. */
  name: string;
  action: Action;
  id?: string;
  body: Record<string, unknown>;
  /** What changes locally (dotted paths), for update and create. */
  changes: FieldChange[];
  /** What changed on Vapi since the last sync (drifted). */
  remoteChanges: FieldChange[];
}

export interface FieldChange {
  path: string;
  from: unknown;
  to: unknown;
}

/** Fields Vapi generates; they never count as a change. */
const SERVER_FIELDS = new Set(['id', 'orgId', 'createdAt', 'updatedAt', 'isServerUrlSecretSet']);

export function normalise(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => !SERVER_FIELDS.has(k)));
}

export function hashOf(body: unknown): string {
  return createHash('sha256').update(stableJson(body)).digest('hex').slice(0, 16);
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Dotted-path differences between two JSON values (arrays of scalars compared whole). */
export function diff(from: unknown, to: unknown, path = ''): FieldChange[] {
  if (stableJson(from) === stableJson(to)) return [];
  const isObj = (x: unknown): x is Record<string, unknown> => !!x && typeof x === 'object' && !Array.isArray(x);
  if (isObj(from) && isObj(to)) {
    const keys = [...new Set([...Object.keys(from), ...Object.keys(to)])].sort();
    return keys.flatMap((k) => diff(from[k], to[k], path ? `${path}.${k}` : k));
  }
  if (Array.isArray(from) && Array.isArray(to) && from.length === to.length && from.some((x) => x && typeof x === 'object')) {
    return from.flatMap((x, i) => diff(x, to[i], `${path}[${i}]`));
  }
  return [{ path: path || '(whole)', from, to }];
}

/** Where the webhook is and how Vapi authenticates to it. */
export interface ServerTarget {
  /** The public webhook URL, e.g. https://x.ngrok.app/webhook */
  url: string;
  /** Sent as X-Vapi-Secret (the legacy `server.secret` header; `serve` accepts it). */
  secret?: string;
}

function server(target: ServerTarget): Record<string, unknown> {
  return { url: target.url, timeoutSeconds: 20, ...(target.secret ? { headers: { 'X-Vapi-Secret': target.secret } } : {}) };
}

/** The body of each function tool as it should be on Vapi (`CreateFunctionToolDTO`). */
export function desiredTool(tool: BotConfig['tools'][number], target: ServerTarget): Record<string, unknown> {
  return { ...tool, server: server(target) };
}

/** The assistant as it should be on Vapi, with the synced tools attached by id (`CreateAssistantDTO`). */
export function desiredAssistant(config: BotConfig, toolIds: string[], target: ServerTarget): Record<string, unknown> {
  const a = config.assistant as Record<string, unknown>;
  const model = (a.model ?? {}) as Record<string, unknown>;
  return {
    ...a,
    model: { ...model, toolIds },
    server: server(target),
    metadata: { ...((a.metadata as Record<string, unknown>) ?? {}), managedBy: 'receptionist' },
  };
}

/** What to do with one resource, given what we would send, the recorded state and the remote object (null: gone). */
export function planResource(kind: 'tool' | 'assistant', name: string, body: Record<string, unknown>, state: ResourceState | undefined, remote: Record<string, unknown> | null): PlannedResource {
  if (!state || !remote) return { kind, name, action: 'create', body, changes: diff({}, body), remoteChanges: [] };
  const remoteChanges = diff(normalise(state.received), normalise(remote));
  if (remoteChanges.length) return { kind, name, action: 'drifted', id: state.id, body, changes: diff(state.sent, body), remoteChanges };
  const changes = diff(state.sent, body);
  return { kind, name, action: changes.length ? 'update' : 'unchanged', id: state.id, body, changes, remoteChanges: [] };
}
