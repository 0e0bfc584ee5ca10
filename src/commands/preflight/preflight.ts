import { secretBits } from '../../server/auth.js';
import { documentId, documentProblem } from '../../store/schemas.js';
import { firstFew, printable } from '../../io.js';
import fs from 'node:fs';
import path from 'node:path';
import chalk, { Chalk } from 'chalk';
import { thisProcess, type Deps } from '../../deps.js';
import { PartialFailureError, UserError } from '../../errors.js';
import { packageRoot } from '../../paths.js';
import { resolveSetting } from '../../settings.js';
import { loadBotConfig, type BotConfig } from '../../domain/clinic.js';
import { activeSealingKey, listUsers, storedBlindIndexCheck } from '../../domain/keyring.js';
import { blindIndexCheck } from '../../crypto/blind-index.js';
import { vapiRequest, type VapiSettings } from '../../vapi/client.js';
import type { VapiClient } from '@vapi-ai/server-sdk';
import { namedBadRecords, type Store } from '../../store/types.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { PreflightFlags } from './index.js';
import { toUserError } from '../shared/user-errors.js';
import type { Context } from '../shared/context.js';
import { blindIndexKeyFromEnv } from '../shared/sealer.js';
import { planSync, requireServerSecret, resolveServerUrl } from '../../vapi/sync-remote.js';
import { templatesDir } from '../../paths.js';
import { utcClockUses } from '../../vapi/assistant-body.js';
import { credentialFingerprint, secretFingerprint } from '../../vapi/credential.js';
import { canCallRegion, readPhoneNumber } from '../../vapi/phone-numbers.js';
import { IMPORT_NUMBER_HINT } from '../shared/vapi.js';

/** The template's sample front-desk number: a clinic that still has it transfers callers to nobody it knows. */
function sampleFrontDesk(): string | undefined {
  try {
    return (
      JSON.parse(fs.readFileSync(path.join(templatesDir(), 'bot-config', 'clinic.json'), 'utf8')) as {
        frontDeskNumber?: string;
      }
    ).frontDeskNumber;
  } catch {
    return undefined;
  }
}

/** Transfers go to the clinic's own front desk: set, not the template's sample, not the line itself. */
function frontDeskCheck(config: BotConfig): Check {
  const number = config.clinic.frontDeskNumber;
  const fix = 'Run `receptionist config set clinic.frontDeskNumber <E.164>`, then `receptionist sync`.';
  if (!number)
    return {
      name: 'front desk',
      ok: false,
      detail: 'clinic.frontDeskNumber is not set: a caller asking for a person cannot be transferred',
      fix,
    };
  if (number === sampleFrontDesk())
    return {
      name: 'front desk',
      ok: false,
      detail: `clinic.frontDeskNumber is still the template's sample ${number}: transfers would ring it`,
      fix,
    };
  const line = config.vapi?.phoneNumber?.number;
  if (line && line === number)
    return {
      name: 'front desk',
      ok: false,
      detail: `clinic.frontDeskNumber ${number} is the clinic's Vapi number itself: a transfer would call the assistant again`,
      fix,
    };
  return { name: 'front desk', ok: true, detail: `transfers go to ${number}` };
}

/** The prompt, first message and reminder message read the clinic's clock, not Vapi's UTC one. */
function clockCheck(config: BotConfig): Check {
  const uses = utcClockUses(config);
  return uses.length
    ? {
        name: 'prompt clock',
        ok: false,
        detail: `${uses.join('; ')}: Vapi fills these in UTC, not in ${config.clinic.timeZone}`,
        fix: 'Use {{clinic.date}}, {{clinic.time}} or {{clinic.now}} instead (`receptionist config set systemPrompt @prompt.txt`), then `receptionist sync`.',
      }
    : {
        name: 'prompt clock',
        ok: true,
        detail: `the assistant's date and time are the clinic's (${config.clinic.timeZone})`,
      };
}

export interface PreflightOptions {
  /** `--public-url` */
  publicUrl?: string;
}

export function parsePreflightOptions(flags: PreflightFlags): PreflightOptions {
  return { publicUrl: flags.publicUrl };
}

/** One line of the report. */
export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when it failed. */
  fix?: string;
}

export { secretBits };

export interface PreflightResult {
  ok: boolean;
  checks: Check[];
}

/** `>=22.13` from package.json against this Node. */
function nodeCheck(): Check {
  const engines =
    (JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as { engines?: { node?: string } })
      .engines?.node ?? '>=22.13';
  const [wantMajor, wantMinor] = (/(\d+)\.(\d+)/.exec(engines) ?? ['', '22', '13']).slice(1).map(Number) as [
    number,
    number,
  ];
  const [major, minor] = thisProcess.nodeVersion.split('.').map(Number) as [number, number];
  const ok = major > wantMajor || (major === wantMajor && minor >= wantMinor);
  return {
    name: 'node',
    ok,
    detail: `Node ${thisProcess.nodeVersion} (receptionist needs ${engines})`,
    fix: ok ? undefined : 'Install Node 22 or 24 LTS.',
  };
}

/**
 * Runs every check; never throws for a failed check (each becomes a ✗ line), only for a store that
 * cannot be opened at all. Reads only.
 */
export async function runPreflight(flags: PreflightOptions, ctx: Context): Promise<PreflightResult> {
  const deps: Deps = ctx;
  const checks: Check[] = [nodeCheck()];
  const attempt = async (name: string, fn: () => Promise<Omit<Check, 'name'> | Array<Check>>) => {
    try {
      const r = await fn();
      if (Array.isArray(r)) checks.push(...r);
      else checks.push({ name, ...r });
    } catch (thrown) {
      const e = toUserError(thrown) as UserError;
      checks.push({ name, ok: false, detail: e.message, fix: e instanceof UserError ? e.hint : undefined });
    }
  };

  let store: Store | undefined;
  let config: BotConfig | null = null;
  await attempt('store', async () => {
    store = await ctx.store({ readOnly: true });
    config = await loadBotConfig(store.collection('bot_configs'));
    if (!config)
      return { ok: false, detail: `the store at ${store.location} has no bot config`, fix: 'Run `receptionist seed`.' };
    if (store.kind === 'local') {
      fs.accessSync(store.location, fs.constants.W_OK);
      const problems = (await store.integrity?.()) ?? [];
      if (problems.length)
        return {
          ok: false,
          detail: `${store.location} fails SQLite's integrity check: ${problems.slice(0, 3).join('; ')}`,
          fix: 'Stop serve and restore the store from a backup (or copy what reads with `receptionist migrate`).',
        };
      return { ok: true, detail: `${store.location} is writable and passes SQLite's integrity check` };
    }
    // MongoDB: a write that leaves nothing behind proves the user may write (the readWrite role).
    const probe = store.collection('replies');
    await probe.updateOne({ _id: 'preflight-probe' }, { $set: { at: deps.now().toISOString() } }, { upsert: true });
    await probe.deleteMany({ _id: 'preflight-probe' });
    return { ok: true, detail: `${store.location} is writable` };
  });
  await attempt('stored records', async () => {
    if (!store) throw new UserError('no store');
    const bad: Array<{ collection: string; id: string; reason: string }> = [...((await store.badRecords?.()) ?? [])];
    // What older builds accepted and the commands now skip by name: a call status at an impossible
    // time, a call log with an impossible duration or cost.
    for (const st of await store.collection('call_status').find({}, { unchecked: true })) {
      const problem = documentProblem('call_status', st);
      if (problem) bad.push({ collection: 'call_status', id: documentId(st), reason: problem });
    }
    for (const t of await store.callLogs.totals({ by: 'endedReason' }))
      for (const id of t.outOfRange)
        bad.push({ collection: 'call_logs', id, reason: 'an impossible duration or cost' });
    if (bad.length)
      return {
        ok: false,
        detail: `${bad.length} record(s) no read can use, each skipped (every other record is served): ${namedBadRecords(bad, 5)}`,
        fix: 'Restore each from the last backup, or fix or remove the record; `receptionist backup` still copies all the others.',
      };
    return { ok: true, detail: store.badRecords ? 'every stored record reads' : 'not checked on MongoDB' };
  });
  await attempt('doctors', async () => {
    if (!store) throw new UserError('no store');
    const all = await store.collection('doctors').find({});
    const bad = all.flatMap((d) => {
      const problem = documentProblem('doctors', d);
      return problem ? [`${printable(documentId(d))}: ${printable(problem)}`] : [];
    });
    if (bad.length)
      return {
        ok: false,
        detail: `${bad.length} of ${all.length} doctor record(s) cannot be read, so the tools leave them out: ${bad.slice(0, 3).join('; ')}`,
        fix: 'Fix the doctor in templates/ and run `receptionist seed --force`, or edit the record.',
      };
    return { ok: true, detail: `${all.length} doctor(s), each with readable weekly hours` };
  });
  await attempt('keys', async () => {
    if (!store) throw new UserError('no store');
    const admins = (await listUsers(store)).filter((u) => u.role === 'admin');
    const key = await activeSealingKey(store);
    if (!admins.length || !key)
      return {
        ok: false,
        detail: 'no admin, so no encryption keys: patients’ data cannot be sealed',
        fix: 'Run `receptionist users add <name> --role admin`.',
      };
    return { ok: true, detail: `${admins.length} admin(s); records are sealed to key ${key.keyId}` };
  });
  const loaded = config as BotConfig | null;
  if (loaded) checks.push(frontDeskCheck(loaded), clockCheck(loaded));
  await attempt('blind-index key', async () => {
    if (!store) throw new UserError('no store');
    const key = blindIndexKeyFromEnv(deps.env);
    if (!key)
      return {
        ok: false,
        detail: 'RECEPTIONIST_BLIND_INDEX_KEY is not set: callers cannot be recognised',
        fix: 'Restore it from your backup of .env, or run `receptionist keys reindex`.',
      };
    const stored = await storedBlindIndexCheck(store);
    if (!stored)
      return {
        ok: false,
        detail: 'the store has no check value for the blind-index key (made before it was recorded)',
        fix: 'Run `receptionist keys reindex` once; it records one.',
      };
    if (stored !== blindIndexCheck(key))
      return {
        ok: false,
        detail:
          'RECEPTIONIST_BLIND_INDEX_KEY is not the key the store’s indexes were made with: no caller would be recognised',
        fix: 'Restore the right .env, or run `receptionist keys reindex` to rebuild the indexes with this key.',
      };
    return { ok: true, detail: 'RECEPTIONIST_BLIND_INDEX_KEY matches the store' };
  });

  let secret: string | undefined;
  await attempt('webhook secret', async () => {
    secret = requireServerSecret(deps);
    const bits = secretBits(secret);
    if (bits < 128)
      return {
        ok: false,
        detail: `VAPI_SERVER_SECRET has about ${bits} bits; it needs at least 128`,
        fix: 'Use `openssl rand -hex 32`, then run `receptionist sync` to put it in the credential.',
      };
    return { ok: true, detail: `VAPI_SERVER_SECRET has about ${bits} bits` };
  });

  let settings: VapiSettings | undefined;
  let vapi: VapiClient | undefined;
  await attempt('vapi key', async () => {
    settings = ctx.vapiSettings();
    vapi = await ctx.vapi();
    await vapiRequest('check the API key', settings, () => vapi!.assistants.list({ limit: 1 }));
    return { ok: true, detail: `accepted by ${settings.baseUrl.value}` };
  });

  const synced = config as BotConfig | null;
  if (synced && secret && vapi && settings) {
    const publicSetting = resolveSetting('public-url', flags.publicUrl, 'RECEPTIONIST_PUBLIC_URL', deps.env);
    await attempt('sync', async () => {
      const { plan, found, result } = await planSync(
        synced,
        {
          serverUrl: publicSetting?.value,
          phoneSelector: synced.clinic.phoneNumber,
          secret: secret!,
          tunnel: synced.vapi?.tunnel,
        },
        deps,
        vapi!,
        settings!,
      );
      const out: Check[] = [];
      const kinds = [
        ['credential', 'the webhook credential'],
        ['tool', 'the tools'],
        ['assistant', 'the assistant'],
        ['phone-number', 'the phone number'],
      ] as const;
      for (const [kind, label] of kinds) {
        const items = plan.filter((p) => p.kind === kind);
        if (kind === 'phone-number' && !items.length) {
          out.push({
            name: 'phone-number',
            ok: false,
            detail: 'no phone number points at serve, so inbound calls never reach assistant-request',
            fix: 'Run `receptionist sync --phone-number <E.164 or id>` (see `receptionist phone-numbers list`).',
          });
          continue;
        }
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
        out.push(
          off.length
            ? {
                name: kind,
                ok: false,
                detail: `${label}: ${off.map(what).join('; ')}`,
                fix: off.some((p) => p.action === 'drifted')
                  ? 'Fold the changes into the config, or run `receptionist sync --force`.'
                  : 'Run `receptionist sync`.',
              }
            : {
                name: kind,
                ok: true,
                detail: `${label} ${items.length > 1 ? `(${items.length}) are` : 'is'} in sync${kind === 'credential' ? ` (${result.credentialId}, with the current secret)` : ''}`,
              },
        );
      }
      // Every server names the credential and posts to the public webhook URL.
      const servers: Array<[string, Record<string, unknown> | undefined]> = [
        ['assistant', found.assistant.remote?.server as Record<string, unknown> | undefined],
        ...Object.entries(found.tools).map(
          ([n, f]) => [`tool ${n}`, f.remote?.server] as [string, Record<string, unknown> | undefined],
        ),
        ...(found.phoneNumber
          ? [['phone number', found.phoneNumber.remote?.server] as [string, Record<string, unknown> | undefined]]
          : []),
      ];
      const credentialId = result.credentialId;
      const noCredential = servers
        .filter(([, srv]) => !credentialId || srv?.credentialId !== credentialId)
        .map(([n]) => n);
      out.push(
        noCredential.length
          ? {
              name: 'credential attached',
              ok: false,
              detail: `no credential on: ${noCredential.join(', ')}`,
              fix: 'Run `receptionist sync`.',
            }
          : {
              name: 'credential attached',
              ok: true,
              detail: `every server (${servers.length}) uses credential ${credentialId}`,
            },
      );
      const onVapi = credentialFingerprint(found.credential.remote);
      const mine = secretFingerprint(secret!);
      if (found.credential.remote)
        out.push(
          onVapi === mine
            ? {
                name: 'secret matches',
                ok: true,
                detail: `the credential holds VAPI_SERVER_SECRET (fingerprint ${mine})`,
              }
            : {
                name: 'secret matches',
                ok: false,
                detail: `the credential holds the secret ${onVapi ?? '(unknown)'}, VAPI_SERVER_SECRET here is ${mine}: a serve with this secret answers 401`,
                fix: 'Use the secret the credential holds, or rotate on purpose (README: "Rotating the webhook secret").',
              },
        );
      const publicWebhook = resolveServerUrl(publicSetting?.value, deps, synced.vapi?.serverUrl).value;
      if (found.phoneNumber) {
        const pn = found.phoneNumber.row;
        const srv = (pn.raw.server ?? {}) as { url?: string; credentialId?: string };
        const wrong = [
          ...(['assistantId', 'squadId', 'workflowId'] as const)
            .filter((k) => pn.raw[k])
            .map((k) => `${k.replace('Id', '')} ${String(pn.raw[k])} is bound to it (Vapi sends no assistant-request)`),
          ...(srv.url !== publicWebhook ? [`its server.url is ${srv.url ?? '(none)'}, not ${publicWebhook}`] : []),
          ...(srv.credentialId !== credentialId
            ? [`its server.credentialId is ${srv.credentialId ?? '(none)'}, not ${credentialId ?? 'ours'}`]
            : []),
        ];
        out.push(
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
        );
      }
      const fromId = deps.env.get('RECEPTIONIST_PHONE_NUMBER_ID')?.value ?? found.phoneNumber?.row.id;
      if (fromId) {
        const from =
          fromId === found.phoneNumber?.row.id
            ? found.phoneNumber.row
            : await readPhoneNumber(vapi!, settings!, fromId);
        const region = synced.clinic.defaultRegion;
        out.push(
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
        );
      }
      const elsewhere = servers
        .filter(([, srv]) => srv?.url !== publicWebhook)
        .map(([n, srv]) => `${n} → ${String(srv?.url ?? '(none)')}`);
      out.push(
        elsewhere.length
          ? {
              name: 'server urls',
              ok: false,
              detail: `not pointed at ${publicWebhook}: ${firstFew(elsewhere, 4)}`,
              fix: 'Run `receptionist sync --server-url <public URL>`, or `serve --update-assistant`.',
            }
          : { name: 'server urls', ok: true, detail: `every server (${servers.length}) posts to ${publicWebhook}` },
      );
      out.push(await healthCheck(publicWebhook, ctx.fetch));
      return out;
    });
  }
  return { ok: checks.every((c) => c.ok), checks };
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

/** One line per check on stdout (or one JSON object); exit 1 when any failed. @throws PartialFailureError */
export function renderPreflight(r: PreflightResult, _o: unknown, { io, globals: g }: RenderContext): void {
  const c = g.color ? chalk : new Chalk({ level: 0 });
  if (g.json) io.line(JSON.stringify(r));
  else
    for (const check of r.checks) {
      io.line(`${check.ok ? c.green('✓') : c.red('✗')} ${check.name.padEnd(19)} ${check.detail}`);
      if (!check.ok && check.fix) io.line(`  ${''.padEnd(19)} ${c.dim('→')} ${check.fix}`);
    }
  const failed = r.checks.filter((x) => !x.ok).length;
  if (failed) throw new PartialFailureError(`${failed} of ${r.checks.length} checks failed.`);
}

export const preflight = implement({ parse: parsePreflightOptions, run: runPreflight, render: renderPreflight });
