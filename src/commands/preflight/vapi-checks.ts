import type { Deps } from '../../deps.js';
import { firstFew } from '../../io.js';
import { resolveSetting } from '../../settings.js';
import type { BotConfig } from '../../domain/clinic.js';
import { vapiRequest } from '../../vapi/client.js';
import { planSync, resolveServerUrl } from '../../vapi/sync-remote.js';
import { credentialFingerprint, secretFingerprint } from '../../vapi/credential.js';
import { canCallRegion, readPhoneNumber } from '../../vapi/phone-numbers.js';
import { IMPORT_NUMBER_HINT } from '../shared/phone-number-hint.js';
import type { Check, CheckOutcome, PreflightState } from './preflight.js';

// The checks against the Vapi account: the key, then what `sync` would change and what Vapi holds
// (read back, not assumed): the credential, the secret, the numbers, the server URLs, the public health.

/** The Vapi key is accepted. */
export async function vapiKeyCheck(s: PreflightState): Promise<CheckOutcome> {
  const settings = (s.settings = s.ctx.vapiSettings());
  const vapi = (s.vapi = await s.ctx.vapi());
  await vapiRequest('check the API key', settings, () => vapi.assistants.list({ limit: 1 }));
  return { ok: true, detail: `accepted by ${settings.baseUrl.value}` };
}

type Plan = Awaited<ReturnType<typeof planSync>>;
type Servers = Array<[string, Record<string, unknown> | undefined]>;

/** What `sync` would change, and what the assistant, tools, credential and numbers on Vapi hold. */
export async function syncChecks(s: PreflightState): Promise<Check[]> {
  const config = s.config!;
  const vapi = s.vapi!;
  const settings = s.settings!;
  const secret = s.secret!;
  const publicSetting = resolveSetting('public-url', s.options.publicUrl, 'RECEPTIONIST_PUBLIC_URL', s.ctx.env);
  const planned = await planSync(
    config,
    {
      serverUrl: publicSetting?.value,
      phoneSelector: config.clinic.phoneNumber,
      secret,
      tunnel: config.vapi?.tunnel,
    },
    s.ctx,
    vapi,
    settings,
  );
  const { found, result } = planned;
  // Every server names the credential and posts to the public webhook URL.
  const servers: Servers = [
    ['assistant', found.assistant.remote?.server as Record<string, unknown> | undefined],
    ...Object.entries(found.tools).map(
      ([n, f]) => [`tool ${n}`, f.remote?.server] as [string, Record<string, unknown> | undefined],
    ),
    ...(found.phoneNumber
      ? [['phone number', found.phoneNumber.remote?.server] as [string, Record<string, unknown> | undefined]]
      : []),
  ];
  const publicWebhook = resolveServerUrl(publicSetting?.value, s.ctx, config.vapi?.serverUrl).value;
  return [
    ...inSync(planned),
    credentialAttached(servers, result.credentialId),
    ...secretMatches(planned, secret),
    ...inboundCalls(planned, publicWebhook),
    ...(await outboundCalls(s, planned, config)),
    serverUrls(servers, publicWebhook),
    await healthCheck(publicWebhook, s.ctx.fetch),
  ];
}

/** Per kind (credential, tools, assistant, phone number): in sync, or what differs. */
function inSync({ plan, result }: Plan): Check[] {
  const kinds = [
    ['credential', 'the webhook credential'],
    ['tool', 'the tools'],
    ['assistant', 'the assistant'],
    ['phone-number', 'the phone number'],
  ] as const;
  return kinds.map(([kind, label]): Check => {
    const items = plan.filter((p) => p.kind === kind);
    if (kind === 'phone-number' && !items.length)
      return {
        name: 'phone-number',
        ok: false,
        detail: 'no phone number points at serve, so inbound calls never reach assistant-request',
        fix: 'Run `receptionist sync --phone-number <E.164 or id>` (see `receptionist phone-numbers list`).',
      };
    const off = items.filter((p) => p.action !== 'unchanged');
    const what = (p: (typeof items)[number]) =>
      `${p.name}: ${
        p.action === 'create'
          ? 'not on Vapi'
          : p.action === 'drifted'
            ? 'changed on Vapi since the last sync'
            : `differs (${p.changes
                .map((c) => c.path)
                .slice(0, 3)
                .join(', ')})`
      }`;
    if (off.length)
      return {
        name: kind,
        ok: false,
        detail: `${label}: ${off.map(what).join('; ')}`,
        fix: off.some((p) => p.action === 'drifted')
          ? 'Fold the changes into the config, or run `receptionist sync --force`.'
          : 'Run `receptionist sync`.',
      };
    return {
      name: kind,
      ok: true,
      detail: `${label} ${items.length > 1 ? `(${items.length}) are` : 'is'} in sync${kind === 'credential' ? ` (${result.credentialId}, with the current secret)` : ''}`,
    };
  });
}

/** Every server (assistant, tools, number) names the credential. */
function credentialAttached(servers: Servers, credentialId: string | undefined): Check {
  const without = servers.filter(([, srv]) => !credentialId || srv?.credentialId !== credentialId).map(([n]) => n);
  return without.length
    ? {
        name: 'credential attached',
        ok: false,
        detail: `no credential on: ${without.join(', ')}`,
        fix: 'Run `receptionist sync`.',
      }
    : {
        name: 'credential attached',
        ok: true,
        detail: `every server (${servers.length}) uses credential ${credentialId}`,
      };
}

/** The credential on Vapi holds this machine's VAPI_SERVER_SECRET (by fingerprint). */
function secretMatches({ found }: Plan, secret: string): Check[] {
  if (!found.credential.remote) return [];
  const onVapi = credentialFingerprint(found.credential.remote);
  const mine = secretFingerprint(secret);
  return [
    onVapi === mine
      ? { name: 'secret matches', ok: true, detail: `the credential holds VAPI_SERVER_SECRET (fingerprint ${mine})` }
      : {
          name: 'secret matches',
          ok: false,
          detail: `the credential holds the secret ${onVapi ?? '(unknown)'}, VAPI_SERVER_SECRET here is ${mine}: a serve with this secret answers 401`,
          fix: 'Use the secret the credential holds, or rotate on purpose (README: "Rotating the webhook secret").',
        },
  ];
}

/** The clinic's number sends assistant-request to serve: nothing bound to it, our URL and credential. */
function inboundCalls({ found, result }: Plan, publicWebhook: string): Check[] {
  if (!found.phoneNumber) return [];
  const pn = found.phoneNumber.row;
  const srv = (pn.raw.server ?? {}) as { url?: string; credentialId?: string };
  const wrong = [
    ...(['assistantId', 'squadId', 'workflowId'] as const)
      .filter((k) => pn.raw[k])
      .map((k) => `${k.replace('Id', '')} ${String(pn.raw[k])} is bound to it (Vapi sends no assistant-request)`),
    ...(srv.url !== publicWebhook ? [`its server.url is ${srv.url ?? '(none)'}, not ${publicWebhook}`] : []),
    ...(srv.credentialId !== result.credentialId
      ? [`its server.credentialId is ${srv.credentialId ?? '(none)'}, not ${result.credentialId ?? 'ours'}`]
      : []),
  ];
  return [
    wrong.length
      ? {
          name: 'inbound calls',
          ok: false,
          detail: `calls to ${pn.number ?? pn.id} bypass serve: ${wrong.join('; ')}`,
          fix: `Run \`receptionist sync --phone-number ${pn.number ?? pn.id}\` (and remove any assistant from the number in the Vapi dashboard).`,
        }
      : {
          name: 'inbound calls',
          ok: true,
          detail: `calls to ${pn.number ?? pn.id} reach serve as assistant-request (read back from Vapi)`,
        },
  ];
}

/** The number reminder calls come from can call the clinic's region (a free Vapi number calls the US only). */
async function outboundCalls(s: PreflightState, { found }: Plan, config: BotConfig): Promise<Check[]> {
  const fromId = s.ctx.env.get('RECEPTIONIST_PHONE_NUMBER_ID')?.value ?? found.phoneNumber?.row.id;
  if (!fromId) return [];
  const from =
    fromId === found.phoneNumber?.row.id ? found.phoneNumber.row : await readPhoneNumber(s.vapi!, s.settings!, fromId);
  const region = config.clinic.defaultRegion;
  return [
    canCallRegion(from.callsOut, region)
      ? {
          name: 'outbound calls',
          ok: true,
          detail: `${from.number ?? from.id} (${from.provider}) can call ${region} numbers`,
        }
      : {
          name: 'outbound calls',
          ok: false,
          detail: `${from.number ?? from.id} is a free Vapi number: it calls US numbers only, so reminder calls and \`call\` to ${region} patients fail`,
          fix: IMPORT_NUMBER_HINT,
        },
  ];
}

/** Every server posts to the public webhook URL. */
function serverUrls(servers: Servers, publicWebhook: string): Check {
  const elsewhere = servers
    .filter(([, srv]) => srv?.url !== publicWebhook)
    .map(([n, srv]) => `${n} → ${String(srv?.url ?? '(none)')}`);
  return elsewhere.length
    ? {
        name: 'server urls',
        ok: false,
        detail: `not pointed at ${publicWebhook}: ${firstFew(elsewhere, 4)}`,
        fix: 'Run `receptionist sync --server-url <public URL>`, or `serve --update-assistant`.',
      }
    : { name: 'server urls', ok: true, detail: `every server (${servers.length}) posts to ${publicWebhook}` };
}

/** `GET <public origin>/health` through the tunnel or proxy, within 5 s. */
async function healthCheck(webhookUrl: string, fetch: Deps['fetch']): Promise<Check> {
  const url = new URL('/health', webhookUrl).toString();
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json().catch(() => undefined)) as { ok?: boolean } | undefined;
    if (res.ok && body?.ok) return { name: 'public health', ok: true, detail: `GET ${url} answers` };
    return {
      name: 'public health',
      ok: false,
      detail: `GET ${url} answered HTTP ${res.status}, not serve's {"ok":true}`,
      fix: 'Check that the tunnel forwards to `receptionist serve`.',
    };
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).name;
    return {
      name: 'public health',
      ok: false,
      detail: `GET ${url} did not answer (${cause})`,
      fix: 'Start `receptionist serve --tunnel` (or your tunnel to it), then check again.',
    };
  }
}
