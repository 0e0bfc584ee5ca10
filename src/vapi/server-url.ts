import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Vapi } from '@vapi-ai/server-sdk';
import type { BotConfig } from '../domain/clinic.js';
import type { Store } from '../store/types.js';
import { thisProcess } from '../deps.js';
import { vapiRequest, type VapiSettings } from './client.js';
import type { TunnelRecord, VapiServer } from '../domain/vapi-records.js';

export type { TunnelRecord, VapiServer };

async function setServer(
  kind: 'assistant' | 'tool' | 'phone-number',
  id: string,
  server: VapiServer | undefined,
  vapi: VapiClient,
  s: VapiSettings,
): Promise<void> {
  if (!server) return;
  await vapiRequest<unknown>(`point ${kind} ${id}`, s, async () => {
    // Our server record is the spec's `Server` (url, credentialId, backoffPlan, timeoutSeconds, headers).
    const srv = server as Vapi.Server;
    if (kind === 'tool') return vapi.tools.update({ id, body: { type: 'function', server: srv } });
    if (kind === 'phone-number')
      return vapi.phoneNumbers.update({ id, body: { server: srv } as Vapi.UpdatePhoneNumbersRequestBody });
    return vapi.assistants.update({ id, server: srv });
  });
}

/**
 * Points the synced assistant, tools and phone number at `webhookUrl`, keeping each one's other server
 * settings (headers, credential, timeout). The record (with the previous servers) is saved
 * before anything on Vapi changes, so an interrupted run can always be undone. With an
 * existing record of this process (the tunnel URL changed), the original previous servers are kept.
 * @throws UserError (never synced), NetworkError / VapiApiError from Vapi
 */
export async function pointServerUrls(
  webhookUrl: string,
  config: BotConfig,
  vapi: VapiClient,
  s: VapiSettings,
  store: Store,
  now: Date,
): Promise<TunnelRecord> {
  const sync = config.vapi?.sync;
  const existing = config.vapi?.tunnel as TunnelRecord | undefined;
  let previous = existing?.pid === thisProcess.pid ? existing.previous : undefined;
  if (!previous) {
    previous = { tools: {} };
    if (sync?.assistant) {
      const a = (await vapiRequest('read the assistant', s, () =>
        vapi.assistants.get({ id: sync.assistant!.id }),
      )) as unknown as { server?: VapiServer };
      previous.assistant = { id: sync.assistant.id, server: a.server };
    }
    for (const [name, st] of Object.entries(sync?.tools ?? {})) {
      const t = (await vapiRequest(`read tool ${name}`, s, () => vapi.tools.get({ id: st.id }))) as unknown as {
        server?: VapiServer;
      };
      previous.tools[name] = { id: st.id, server: t.server };
    }
    if (sync?.phoneNumber) {
      const n = (await vapiRequest('read the phone number', s, () =>
        vapi.phoneNumbers.get({ id: sync.phoneNumber!.id }),
      )) as unknown as { server?: VapiServer };
      previous.phoneNumber = { id: sync.phoneNumber.id, server: n.server };
    }
  }
  const record: TunnelRecord = { url: webhookUrl, pid: thisProcess.pid, since: now.toISOString(), previous };
  await store.collection('bot_configs').updateOne({ _id: 'default' }, { $set: { 'vapi.tunnel': record } });
  const at = (server: VapiServer | undefined): VapiServer => ({
    timeoutSeconds: 20,
    ...(server ?? {}),
    url: webhookUrl,
  });
  for (const t of Object.values(previous.tools)) await setServer('tool', t.id, at(t.server), vapi, s);
  if (previous.assistant) await setServer('assistant', previous.assistant.id, at(previous.assistant.server), vapi, s);
  if (previous.phoneNumber)
    await setServer('phone-number', previous.phoneNumber.id, at(previous.phoneNumber.server), vapi, s);
  return record;
}

/**
 * Puts back the servers a tunnel record replaced, then removes the record.
 * @throws NetworkError / VapiApiError (the record stays, for the next try)
 */
export async function restoreServerUrls(
  record: TunnelRecord,
  vapi: VapiClient,
  s: VapiSettings,
  store: Store,
): Promise<void> {
  if (record.previous.assistant)
    await setServer('assistant', record.previous.assistant.id, record.previous.assistant.server, vapi, s);
  for (const t of Object.values(record.previous.tools)) await setServer('tool', t.id, t.server, vapi, s);
  if (record.previous.phoneNumber)
    await setServer('phone-number', record.previous.phoneNumber.id, record.previous.phoneNumber.server, vapi, s);
  await store.collection('bot_configs').updateOne({ _id: 'default' }, { $unset: { 'vapi.tunnel': true } });
}
