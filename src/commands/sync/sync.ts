import ora from 'ora';
import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { PendingChangesError, UsageError, UserError } from '../../errors.js';
import { resolveSetting } from '../../settings.js';
import { loadBotConfig, type BotConfig } from '../../domain/clinic.js';
import { createVapiClient, resolveVapiSettings, vapiRequest, type VapiSettings } from '../../vapi/client.js';
import { desiredAssistant, desiredTool, planResource, type PlannedResource, type ResourceState, type ServerTarget, type SyncState } from '../../vapi/sync-plan.js';
import type { Store } from '../../store/types.js';
import { isAlive } from '../../store/local/lock.js';
import { restoreServerUrls, type TunnelRecord, type VapiServer } from '../../vapi/server-url.js';
import type { GlobalOptions } from '../shared/globals.js';
import { openStore, requireBotConfig } from '../shared/store.js';
import { progress } from '../shared/vapi.js';
import type { SyncFlags } from './index.js';

export interface SyncResult {
  baseUrl: string;
  serverUrl: string;
  plan: PlannedResource[];
  applied: boolean;
  assistantId?: string;
}

/** The webhook URL: a base URL gets `/webhook`. @throws UsageError when there is none or it is not http(s) */
export function resolveServerUrl(flag: string | undefined, deps: Pick<Deps, 'env'>, stored: string | undefined): string {
  const s = resolveSetting('server-url', flag, 'RECEPTIONIST_PUBLIC_URL', deps.env) ?? (stored ? { value: stored, source: 'the last sync' } : undefined);
  if (!s) throw new UsageError('No server URL for the assistant and its tools.', 'Pass --server-url with the public URL of `receptionist serve` (e.g. from `serve --tunnel`), or set RECEPTIONIST_PUBLIC_URL.');
  let url: URL;
  try {
    url = new URL(s.value);
  } catch {
    throw new UsageError(`Invalid server URL "${s.value}" (from ${s.source}).`, 'Give an http(s) URL such as https://clinic.ngrok.app.');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`Invalid server URL "${s.value}" (from ${s.source}).`, 'Give an http(s) URL.');
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/webhook';
  return url.toString();
}

async function fetchRemote(kind: 'tool' | 'assistant', id: string | undefined, vapi: VapiClient, s: VapiSettings): Promise<Record<string, unknown> | null> {
  if (!id) return null;
  try {
    return (await (kind === 'tool' ? vapi.tools.get({ id }) : vapi.assistants.get({ id }))) as unknown as Record<string, unknown>;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return null;
    return vapiRequest(`read ${kind} ${id}`, s, () => Promise.reject(err));
  }
}

/** Plans, then (unless --dry-run/--check) applies: tools first, then the assistant with their ids. */
export async function runSync(flags: SyncFlags, g: GlobalOptions, deps: Deps, onPlan: (r: SyncResult) => void): Promise<SyncResult> {
  const settings = resolveVapiSettings(flags, deps.env);
  const isPlanOnly = Boolean(flags.dryRun || flags.check);
  const store = await openStore(g, deps, { readOnly: isPlanOnly, purpose: 'receptionist sync' });
  const spinner = progress(g, deps.io, 'Reading the assistant and tools on Vapi…');
  try {
    let config = await requireBotConfig(store);
    const target: ServerTarget = { url: resolveServerUrl(flags.serverUrl, deps, config.vapi?.serverUrl), secret: deps.env.get('VAPI_SERVER_SECRET')?.value };
    const vapi = await createVapiClient(settings);
    // `serve --update-assistant` points the assistant at its tunnel: that URL is not drift. If that
    // serve died without putting the previous URL back, do it now.
    let tunnel = config.vapi?.tunnel;
    if (tunnel && !isAlive(tunnel.pid) && !isPlanOnly) {
      await restoreServerUrls(tunnel, vapi, settings, store);
      deps.io.info(`Put back the server URL that serve (pid ${tunnel.pid}) had pointed at ${tunnel.url}.`);
      config = await requireBotConfig(store);
      tunnel = undefined;
    }
    const liveTunnel = tunnel && isAlive(tunnel.pid) ? tunnel : undefined;
    const state: SyncState = config.vapi?.sync ?? {};
    const remoteOf = async (kind: 'tool' | 'assistant', st: ResourceState | undefined) => withoutTunnelUrl(await fetchRemote(kind, st?.id, vapi, settings), tunnel?.url, st);
    spinner.start();
    const plan: PlannedResource[] = [];
    for (const tool of config.tools) {
      const name = tool.function.name;
      const st = state.tools?.[name];
      plan.push(planResource('tool', name, desiredTool(tool, target), st, await remoteOf('tool', st)));
    }
    const toolIds = config.tools.map((t) => state.tools?.[t.function.name]?.id ?? `(new ${t.function.name})`);
    const assistantName = String((config.assistant as { name?: string }).name ?? 'assistant');
    plan.push(planResource('assistant', assistantName, desiredAssistant(config, toolIds, target), state.assistant, await remoteOf('assistant', state.assistant)));
    spinner.stop();
    const result: SyncResult = { baseUrl: settings.baseUrl.value, serverUrl: target.url, plan, applied: false, assistantId: state.assistant?.id };
    onPlan(result);

    const pending = plan.filter((p) => p.action !== 'unchanged');
    if (flags.check) {
      if (pending.length) throw new PendingChangesError(`${pending.length} resource(s) on Vapi differ from the stored config.`, 'Run `receptionist sync` to apply them.');
      return result;
    }
    if (flags.dryRun || !pending.length) return result;
    const drifted = plan.filter((p) => p.action === 'drifted');
    if (drifted.length && !flags.force) {
      throw new UserError(`${drifted.length} resource(s) were changed on Vapi since the last sync (shown above); sync refuses to overwrite them.`, 'Fold those changes into the stored config (`receptionist config set …`), or re-run with --force to overwrite them.');
    }
    await apply(config, plan, target, vapi, settings, store, spinner, liveTunnel);
    const saved = (await loadBotConfig(store.collection('bot_configs')))!;
    return { ...result, applied: true, assistantId: saved.vapi?.assistantId };
  } finally {
    spinner.stop();
    await store.close();
  }
}

/**
 * A remote resource as if it were not pointed at the tunnel: a `server.url` equal to the
 * tunnel's is read as the URL last synced, so it is neither drift nor a change.
 */
function withoutTunnelUrl(remote: Record<string, unknown> | null, tunnelUrl: string | undefined, st: ResourceState | undefined): Record<string, unknown> | null {
  const server = remote?.server as Record<string, unknown> | undefined;
  if (!remote || !tunnelUrl || server?.url !== tunnelUrl) return remote;
  return { ...remote, server: { ...server, url: (st?.received.server as { url?: string } | undefined)?.url } };
}

async function apply(config: BotConfig, plan: PlannedResource[], target: ServerTarget, vapi: VapiClient, s: VapiSettings, store: Store, spinner: ReturnType<typeof ora>, liveTunnel?: TunnelRecord): Promise<void> {
  const vapiState = { ...(config.vapi ?? {}), serverUrl: target.url, sync: { ...(config.vapi?.sync ?? {}), tools: { ...(config.vapi?.sync?.tools ?? {}) } } };
  // Each success is recorded at once, so a failure half-way loses no id.
  const record = async () => {
    vapiState.toolIds = Object.fromEntries(Object.entries(vapiState.sync.tools).map(([n, st]) => [n, st.id]));
    vapiState.assistantId = vapiState.sync.assistant?.id;
    // Field by field: `vapi.tunnel` belongs to a running serve and is not ours to overwrite.
    const { serverUrl, sync, toolIds, assistantId } = vapiState;
    await store.collection('bot_configs').updateOne({ _id: 'default' }, { $set: { 'vapi.serverUrl': serverUrl, 'vapi.sync': sync, 'vapi.toolIds': toolIds, 'vapi.assistantId': assistantId } });
  };
  const write = async (p: PlannedResource, body: Record<string, unknown>): Promise<ResourceState> => {
    spinner.start(`${p.action === 'create' ? 'Creating' : 'Updating'} ${p.kind} ${p.name}…`);
    const what = `${p.action} ${p.kind} ${p.name}`;
    // While a serve's tunnel is live, Vapi keeps sending to it; what is recorded is the synced URL,
    // and the tunnel record will put that back when serve stops.
    const sent = liveTunnel ? { ...body, server: { ...(body.server as object), url: liveTunnel.url } } : body;
    const remote = (await vapiRequest(what, s, async () => {
      if (p.kind === 'tool') {
        return p.action === 'create' ? vapi.tools.create(sent as never) : vapi.tools.update({ id: p.id!, body: sent } as never);
      }
      return p.action === 'create' ? vapi.assistants.create(sent as never) : vapi.assistants.update({ id: p.id!, ...sent } as never);
    })) as unknown as Record<string, unknown>;
    const received = liveTunnel ? { ...remote, server: { ...(remote.server as object), url: target.url } } : remote;
    if (liveTunnel) {
      const previous = { id: String(remote.id), server: body.server as VapiServer };
      if (p.kind === 'tool') liveTunnel.previous.tools[p.name] = previous;
      else liveTunnel.previous.assistant = previous;
      await store.collection('bot_configs').updateOne({ _id: 'default' }, { $set: { 'vapi.tunnel': liveTunnel } });
    }
    return { id: String(remote.id), sent: body, received };
  };
  for (const p of plan.filter((x) => x.kind === 'tool')) {
    if (p.action === 'unchanged') continue;
    vapiState.sync.tools[p.name] = await write(p, p.body);
    await record();
  }
  const assistant = plan.find((x) => x.kind === 'assistant')!;
  const toolIds = config.tools.map((t) => vapiState.sync.tools[t.function.name]!.id);
  const body = desiredAssistant(config, toolIds, target);
  const needsWrite = assistant.action !== 'unchanged' || JSON.stringify(body) !== JSON.stringify(assistant.body);
  if (needsWrite) {
    vapiState.sync.assistant = await write({ ...assistant, action: assistant.action === 'unchanged' ? 'update' : assistant.action }, body);
    await record();
  }
  spinner.stop();
}

const SYMBOL: Record<PlannedResource['action'], string> = { create: '+', update: '~', unchanged: '=', drifted: '!' };

function short(v: unknown): string {
  const text = v === undefined ? '(unset)' : JSON.stringify(v);
  return text.length > 60 ? `${text.slice(0, 57)}…` : text;
}

export function renderPlan(r: SyncResult, g: GlobalOptions, io: IO): void {
  if (g.json) return io.line(JSON.stringify({ ...r, plan: r.plan.map(({ body: _b, ...p }) => p) }));
  io.line(`Plan for Vapi at ${r.baseUrl}, webhook ${r.serverUrl}:`);
  for (const p of r.plan) {
    io.line(`  ${SYMBOL[p.action]} ${p.kind.padEnd(9)} ${p.name.padEnd(26)} ${p.action === 'drifted' ? 'changed on Vapi since the last sync' : p.action}`);
    if (p.action === 'update' || p.action === 'drifted') for (const c of p.changes.slice(0, 12)) io.line(`      ${c.path}: ${short(c.from)} → ${short(c.to)}`);
    if (p.action === 'drifted') for (const c of p.remoteChanges.slice(0, 12)) io.line(`      on Vapi: ${c.path}: ${short(c.from)} → ${short(c.to)}`);
  }
  const count = (a: string) => r.plan.filter((p) => p.action === a).length;
  io.line(`${count('create')} to create, ${count('update')} to update, ${count('unchanged')} unchanged, ${count('drifted')} changed on Vapi.`);
}
