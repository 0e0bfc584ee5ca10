import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Env } from '../env.js';
import { AuthError, UsageError } from '../errors.js';
import { resolveSetting } from '../settings.js';
import { weakSecret } from '../domain/webhook-auth.js';
import type { BotConfig } from '../domain/clinic.js';
import { vapiRequest, vapiRest, type VapiSettings } from './client.js';
import {
  MANAGED_BY,
  desiredAssistant,
  desiredPhoneNumber,
  desiredTool,
  planAdopted,
  planResource,
  type PlannedResource,
  type ResourceKind,
  type ResourceState,
  type ServerTarget,
  type SyncState,
} from './sync-plan.js';
import { credentialName, desiredCredential, isOurCredential, withoutSecret } from './credential.js';
import { findPhoneNumber, listPhoneNumbers, readPhoneNumber, type PhoneNumberRow } from './phone-numbers.js';
import type { TunnelRecord } from './server-url.js';

/**
 * Reading what is on Vapi for `sync` and `preflight`: each resource by its recorded id, else found
 * by its marker (adopted), and the plan that turns it into what the config says.
 */

type Remote = Record<string, unknown>;

export interface SyncResult {
  baseUrl: string;
  serverUrl: string;
  /** Where the server URL came from (flag, env, the last sync, the assistant on Vapi). */
  serverUrlSource: string;
  plan: PlannedResource[];
  applied: boolean;
  assistantId?: string;
  credentialId?: string;
  phoneNumber?: string;
}

/** The webhook URL: a base URL gets `/webhook`. @throws UsageError when there is none or it is not http(s) */
export function resolveServerUrl(
  flag: string | undefined,
  deps: { env: Env },
  stored: string | undefined,
  onVapi?: string,
): { value: string; source: string } {
  const s =
    resolveSetting('server-url', flag, 'RECEPTIONIST_PUBLIC_URL', deps.env) ??
    (stored
      ? { value: stored, source: 'the last sync' }
      : onVapi
        ? { value: onVapi, source: 'the assistant on Vapi' }
        : undefined);
  if (!s)
    throw new UsageError('No server URL for the assistant and its tools.', undefined, { reason: 'no-server-url' });
  let url: URL;
  try {
    url = new URL(s.value);
  } catch {
    throw new UsageError(
      `Invalid server URL "${s.value}" (from ${s.source}).`,
      'Give an http(s) URL such as https://clinic.ngrok.app.',
    );
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UsageError(`Invalid server URL "${s.value}" (from ${s.source}).`, 'Give an http(s) URL.');
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/webhook';
  return { value: url.toString(), source: s.source };
}

/** `VAPI_SERVER_SECRET`, which becomes the credential's `secretKey`. @throws AuthError */
export function requireServerSecret(deps: { env: Env }): string {
  const secret = deps.env.get('VAPI_SERVER_SECRET');
  if (!secret)
    throw new AuthError(
      'No VAPI_SERVER_SECRET: sync makes it the key of the webhook credential that signs every server message.',
      'Set VAPI_SERVER_SECRET (environment or .env) to the secret `serve` runs with, e.g. `openssl rand -hex 32`.',
    );
  const weak = weakSecret(secret.value);
  if (weak)
    throw new AuthError(
      `The webhook secret (from ${secret.source}) ${weak}.`,
      'Use a long random value, e.g. `openssl rand -hex 32`.',
    );
  return secret.value;
}

const isNotFound = (err: unknown) =>
  (err as { statusCode?: number; cause?: { statusCode?: number } }).statusCode === 404 ||
  (err as { cause?: { statusCode?: number } }).cause?.statusCode === 404;

async function getOrNull(what: string, s: VapiSettings, fn: () => Promise<unknown>): Promise<Remote | null> {
  try {
    return (await fn()) as Remote;
  } catch (err) {
    if (isNotFound(err)) return null;
    return vapiRequest(what, s, () => Promise.reject(err));
  }
}

/** What is on Vapi now for each resource: by the recorded id, else found by its marker (adopted). */
export interface RemoteState {
  credential: { remote: Remote | null; adopted: boolean };
  tools: Record<string, { remote: Remote | null; adopted: boolean }>;
  assistant: { remote: Remote | null; adopted: boolean };
  phoneNumber?: { row: PhoneNumberRow; remote: Remote | null; adopted: boolean };
}

async function readRemote(
  config: BotConfig,
  state: SyncState,
  secret: string,
  phoneSelector: string | undefined,
  vapi: VapiClient,
  s: VapiSettings,
): Promise<RemoteState> {
  const byId = async (kind: 'tool' | 'assistant', id: string | undefined) =>
    id
      ? getOrNull(`read ${kind} ${id}`, s, () =>
          kind === 'tool' ? vapi.tools.get({ id }) : vapi.assistants.get({ id }),
        )
      : null;

  let credential = state.credential?.id
    ? await getOrNull('read the webhook credential', s, () =>
        vapiRest(s, 'read the webhook credential', 'GET', `/credential/${encodeURIComponent(state.credential!.id)}`),
      )
    : null;
  let credentialAdopted = false;
  if (!credential) {
    const all = await vapiRest<Remote[]>(s, 'list credentials', 'GET', '/credential?limit=1000');
    const ours = (Array.isArray(all) ? all : []).filter(isOurCredential);
    // The one that carries this secret, else the newest: its secret is then rotated to this one.
    credential = ours.find((c) => c.name === credentialName(secret)) ?? newest(ours);
    credentialAdopted = Boolean(credential);
  }

  const assistantName = String(config.assistant.name ?? 'assistant');
  let assistant = await byId('assistant', state.assistant?.id);
  let assistantAdopted = false;
  if (!assistant) {
    const all = (await vapiRequest('list assistants', s, () =>
      vapi.assistants.list({ limit: 1000 }),
    )) as unknown as Remote[];
    const managed = all.filter((a) => (a.metadata as Remote | undefined)?.managedBy === MANAGED_BY);
    assistant = newest(managed.filter((a) => a.name === assistantName)) ?? (managed.length === 1 ? managed[0]! : null);
    assistantAdopted = Boolean(assistant);
  }

  const tools: RemoteState['tools'] = {};
  let toolList: Remote[] | undefined;
  for (const tool of config.tools) {
    const name = tool.function.name;
    const remote = await byId('tool', state.tools?.[name]?.id);
    if (remote) {
      tools[name] = { remote, adopted: false };
      continue;
    }
    toolList ??= (await vapiRequest('list tools', s, () => vapi.tools.list({ limit: 1000 }))) as unknown as Remote[];
    const attached = new Set(((assistant?.model as Remote | undefined)?.toolIds as string[] | undefined) ?? []);
    const named = toolList.filter((t) => t.type === 'function' && (t.function as Remote | undefined)?.name === name);
    const found = named.find((t) => attached.has(String(t.id))) ?? newest(named);
    tools[name] = { remote: found, adopted: Boolean(found) };
  }

  let phoneNumber: RemoteState['phoneNumber'];
  if (phoneSelector) {
    // Found in the list, then read back by id: the list may lag, and what an inbound call reaches is
    // decided by the number as Vapi holds it now.
    const listed = findPhoneNumber(await listPhoneNumbers(vapi, s), phoneSelector);
    const row = await readPhoneNumber(vapi, s, listed.id);
    phoneNumber = { row, remote: row.raw, adopted: state.phoneNumber?.id !== row.id };
  }
  return {
    credential: { remote: credential, adopted: credentialAdopted },
    tools,
    assistant: { remote: assistant, adopted: assistantAdopted },
    phoneNumber,
  };
}

function newest(list: Remote[]): Remote | null {
  return [...list].sort((a, b) => String(b.createdAt ?? '').localeCompare(String(a.createdAt ?? '')))[0] ?? null;
}

function planOne(
  kind: ResourceKind,
  name: string,
  body: Remote,
  st: ResourceState | undefined,
  found: { remote: Remote | null; adopted: boolean },
): PlannedResource {
  if (found.remote && (found.adopted || !st)) return planAdopted(kind, name, body, found.remote);
  return planResource(kind, name, body, st, found.remote);
}

/**
 * What `sync` would do, from the config and what is on Vapi (read only): one planned resource each
 * for the credential, the tools, the assistant and, when one is chosen, the phone number. `preflight`
 * uses it too. @throws UsageError (no server URL; a bad phone number), UserError (no such phone number), NetworkError, AuthError
 */
export async function planSync(
  config: BotConfig,
  o: { serverUrl?: string; phoneSelector?: string; secret: string; tunnel?: TunnelRecord },
  deps: { env: Env },
  vapi: VapiClient,
  settings: VapiSettings,
): Promise<{ plan: PlannedResource[]; found: RemoteState; result: SyncResult }> {
  const state: SyncState = config.vapi?.sync ?? {};
  const found = untunnelled(
    await readRemote(config, state, o.secret, o.phoneSelector, vapi, settings),
    o.tunnel,
    state,
  );
  const serverUrl = resolveServerUrl(
    o.serverUrl,
    deps,
    config.vapi?.serverUrl,
    (found.assistant.remote?.server as Remote | undefined)?.url as string | undefined,
  );
  const target: ServerTarget = {
    url: serverUrl.value,
    credentialId: String(found.credential.remote?.id ?? '(new credential)'),
  };
  const credentialBody = withoutSecret(desiredCredential(o.secret));
  const plan: PlannedResource[] = [
    planOne('credential', String(credentialBody.name), credentialBody, state.credential, {
      ...found.credential,
      remote: found.credential.remote && withoutSecret(found.credential.remote),
    }),
  ];
  for (const tool of config.tools) {
    const name = tool.function.name;
    plan.push(planOne('tool', name, desiredTool(tool, target), state.tools?.[name], found.tools[name]!));
  }
  const toolIds = config.tools.map((t) =>
    String(found.tools[t.function.name]?.remote?.id ?? `(new ${t.function.name})`),
  );
  const assistantName = String(config.assistant.name ?? 'assistant');
  plan.push(
    planOne('assistant', assistantName, desiredAssistant(config, toolIds, target), state.assistant, found.assistant),
  );
  if (found.phoneNumber)
    plan.push(
      planOne(
        'phone-number',
        found.phoneNumber.row.number ?? found.phoneNumber.row.id,
        desiredPhoneNumber(target),
        state.phoneNumber,
        found.phoneNumber,
      ),
    );
  const result: SyncResult = {
    baseUrl: settings.baseUrl.value,
    serverUrl: target.url,
    serverUrlSource: serverUrl.source,
    plan,
    applied: false,
    assistantId: found.assistant.remote ? String(found.assistant.remote.id) : undefined,
    credentialId: found.credential.remote ? String(found.credential.remote.id) : undefined,
    phoneNumber: found.phoneNumber?.row.number,
  };
  return { plan, found, result };
}

/**
 * Remote resources as if they were not pointed at a live or dead `serve`'s tunnel: a `server.url`
 * equal to the tunnel's reads as the URL last synced, so it is neither drift nor a change.
 */
function untunnelled(found: RemoteState, tunnel: TunnelRecord | undefined, state: SyncState): RemoteState {
  if (!tunnel) return found;
  const fix = (remote: Remote | null, st: ResourceState | undefined): Remote | null => {
    const server = remote?.server as Remote | undefined;
    if (!remote || server?.url !== tunnel.url) return remote;
    return { ...remote, server: { ...server, url: (st?.received.server as { url?: string } | undefined)?.url } };
  };
  return {
    ...found,
    assistant: { ...found.assistant, remote: fix(found.assistant.remote, state.assistant) },
    tools: Object.fromEntries(
      Object.entries(found.tools).map(([n, f]) => [n, { ...f, remote: fix(f.remote, state.tools?.[n]) }]),
    ),
    phoneNumber: found.phoneNumber && {
      ...found.phoneNumber,
      remote: fix(found.phoneNumber.remote, state.phoneNumber),
    },
  };
}
