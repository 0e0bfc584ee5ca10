import { createHash } from 'node:crypto';
import type { BotConfig } from '../domain/clinic.js';
import { assistantForVapi } from './assistant-body.js';
import type { ResourceState, SyncState } from '../domain/vapi-records.js';

export type { ResourceState, SyncState };

export type ResourceKind = 'credential' | 'tool' | 'assistant' | 'phone-number';

export type Action = 'create' | 'update' | 'unchanged' | 'drifted';

export interface PlannedResource {
  kind: ResourceKind;
  /** Function name, the assistant's name, the credential's name or the phone number. */
  name: string;
  action: Action;
  id?: string;
  /** Found on Vapi by its marker (a fresh store, CI, a second laptop) rather than by a recorded id. */
  adopted?: boolean;
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
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
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
  if (
    Array.isArray(from) &&
    Array.isArray(to) &&
    from.length === to.length &&
    from.some((x) => x && typeof x === 'object')
  ) {
    return from.flatMap((x, i) => diff(x, to[i], `${path}[${i}]`));
  }
  return [{ path: path || '(whole)', from, to }];
}

/** Where the webhook is and how Vapi authenticates to it. */
export interface ServerTarget {
  /** The public webhook URL, e.g. https://x.ngrok.app/webhook */
  url: string;
  /** The webhook credential's id (or a placeholder while it is still to be created). */
  credentialId: string;
}

/**
 * How Vapi retries a server message that failed (spec `BackoffPlan`): 4 retries, 1 s, 2 s, 4 s, 8 s.
 * Vapi's default is no retry at all. What cannot succeed on a retry is excluded: 400 (malformed),
 * 401 (wrong credential), 413 (too large). `serve` answers 503 only for what a retry can fix.
 */
export const BACKOFF_PLAN = {
  type: 'exponential',
  maxRetries: 4,
  baseDelaySeconds: 1,
  excludedStatusCodes: [400, 401, 413],
} as const;

/** The `server` of every resource `sync` writes (spec `Server`): no secret in `headers`. */
export function serverOf(target: ServerTarget): Record<string, unknown> {
  return {
    url: target.url,
    timeoutSeconds: 20,
    credentialId: target.credentialId,
    backoffPlan: { ...BACKOFF_PLAN, excludedStatusCodes: [...BACKOFF_PLAN.excludedStatusCodes] },
  };
}

/** The marker in `assistant.metadata` by which `sync` finds its assistant again. */
export const MANAGED_BY = 'receptionist';

/** The body of each function tool as it should be on Vapi (`CreateFunctionToolDTO`). */
export function desiredTool(tool: BotConfig['tools'][number], target: ServerTarget): Record<string, unknown> {
  return { ...tool, server: serverOf(target) };
}

/**
 * The assistant as it should be on Vapi, with the synced tools attached by id (`CreateAssistantDTO`):
 * the clinic's clock and front desk applied ({@link assistantForVapi}); `compliancePlan.hipaaEnabled`
 * follows the clinic's `hipaaEnabled` setting.
 */
export function desiredAssistant(config: BotConfig, toolIds: string[], target: ServerTarget): Record<string, unknown> {
  const a = assistantForVapi(config);
  const model = (a.model ?? {}) as Record<string, unknown>;
  const compliance = (a.compliancePlan ?? {}) as Record<string, unknown>;
  return {
    ...a,
    model: { ...model, toolIds },
    compliancePlan: { ...compliance, hipaaEnabled: Boolean(config.clinic.hipaaEnabled) },
    server: serverOf(target),
    metadata: { ...((a.metadata as Record<string, unknown>) ?? {}), managedBy: MANAGED_BY },
  };
}

/**
 * The phone number pointed at `serve` (spec `UpdateVapiPhoneNumberDTO` and its siblings): no
 * assistant, squad or workflow, so Vapi sends `assistant-request` to `server.url` for every inbound call.
 */
export function desiredPhoneNumber(target: ServerTarget): Record<string, unknown> {
  return { assistantId: null, squadId: null, workflowId: null, server: serverOf(target) };
}

/**
 * `remote` cut down to the shape of `desired`: only the keys we send, arrays element by element.
 * Vapi adds defaults and server fields; those are not ours to compare. An absent value reads as null
 * where we send null (an unset field).
 */
export function project(remote: unknown, desired: unknown): unknown {
  if (desired === null) return remote === undefined ? null : remote;
  if (Array.isArray(desired))
    return Array.isArray(remote) && remote.length === desired.length
      ? remote.map((r, i) => project(r, desired[i]))
      : remote;
  if (desired && typeof desired === 'object') {
    if (!remote || typeof remote !== 'object' || Array.isArray(remote)) return remote;
    const r = remote as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(desired)
        .filter((k) => k in r || (desired as Record<string, unknown>)[k] === null)
        .map((k) => [k, project(r[k], (desired as Record<string, unknown>)[k])]),
    );
  }
  return remote;
}

/** A resource found on Vapi without a recorded state: unchanged when it already holds what we send. */
export function planAdopted(
  kind: ResourceKind,
  name: string,
  body: Record<string, unknown>,
  remote: Record<string, unknown>,
): PlannedResource {
  const changes = diff(project(remote, body), body);
  return {
    kind,
    name,
    action: changes.length ? 'update' : 'unchanged',
    id: String(remote.id),
    adopted: true,
    body,
    changes,
    remoteChanges: [],
  };
}

/** What to do with one resource, given what we would send, the recorded state and the remote object (null: gone). */
export function planResource(
  kind: ResourceKind,
  name: string,
  body: Record<string, unknown>,
  state: ResourceState | undefined,
  remote: Record<string, unknown> | null,
): PlannedResource {
  if (!state || !remote) return { kind, name, action: 'create', body, changes: diff({}, body), remoteChanges: [] };
  const remoteChanges = diff(normalise(state.received), normalise(remote));
  if (remoteChanges.length)
    return { kind, name, action: 'drifted', id: state.id, body, changes: diff(state.sent, body), remoteChanges };
  const changes = diff(state.sent, body);
  return {
    kind,
    name,
    action: changes.length ? 'update' : 'unchanged',
    id: state.id,
    body,
    changes,
    remoteChanges: [],
  };
}
