import fs from 'node:fs';
import type { Vapi } from '@vapi-ai/server-sdk';
import path from 'node:path';
import ora from 'ora';
import type { VapiClient } from '@vapi-ai/server-sdk';
import { thisProcess, type Deps } from '../../deps.js';
import { PendingChangesError, RefusedError, UsageError, UserError } from '../../errors.js';
import { loadBotConfig, type BotConfig } from '../../domain/clinic.js';
import { validateImportedConfig } from '../../vapi/bot-config-edit.js';
import { vapiRequest, vapiRest, type VapiSettings } from '../../vapi/client.js';
import { readPhoneNumber } from '../../vapi/phone-numbers.js';
import { planSync, requireServerSecret, type RemoteState, type SyncResult } from '../../vapi/sync-remote.js';
import {
  desiredAssistant,
  desiredPhoneNumber,
  desiredTool,
  type PlannedResource,
  type ResourceState,
  type ServerTarget,
  type SyncState,
} from '../../vapi/sync-plan.js';
import {
  credentialFingerprint,
  credentialName,
  desiredCredential,
  secretFingerprint,
  withoutSecret,
  type CredentialRecord,
  type SecretRotation,
} from '../../vapi/credential.js';
import { DEFAULT_HMAC_PLAN } from '../../server/auth.js';
import type { Store } from '../../store/types.js';
import { restoreServerUrls, type TunnelRecord, type VapiServer } from '../../vapi/server-url.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { progress } from '../shared/vapi.js';
import { implement } from '../shared/command.js';
import { renderPlan, renderSynced } from './render.js';
import { testBeforePublishing } from '../shared/assistant-tests/gate.js';
import type { SyncFlags } from './index.js';
import type { Context } from '../shared/context.js';

export interface SyncOptions {
  serverUrl?: string;
  /** `--phone-number`: E.164 or a Vapi phone number id. */
  phoneNumber?: string;
  /** `--config <file>` */
  config?: string;
  dryRun: boolean;
  check: boolean;
  force: boolean;
  /** `--rotate-secret`: move the credential to `VAPI_SERVER_SECRET` from `VAPI_SERVER_SECRET_PREVIOUS`. */
  rotateSecret: boolean;
  /** `--test` (true), `--no-test` (false), else `clinic.testBeforeSync`: the tests first, nothing published if one fails. */
  test?: boolean;
}

/** @throws UsageError (--dry-run with --check) */
export function parseSyncOptions(flags: SyncFlags): SyncOptions {
  if (flags.dryRun && flags.check)
    throw new UsageError(
      '--dry-run and --check both only plan; give one.',
      '--check also exits 7 when anything differs.',
    );
  return {
    serverUrl: flags.serverUrl,
    phoneNumber: flags.phoneNumber,
    config: flags.config,
    dryRun: flags.dryRun === true,
    check: flags.check === true,
    force: flags.force === true,
    rotateSecret: flags.rotateSecret === true,
    test: flags.test,
  };
}

export type { SyncResult };

type Remote = Record<string, unknown>;

/** `sync --config <file>`: a file written by `config export`. @throws UsageError */
function readConfigFile(file: string, deps: Pick<Deps, 'cwd'>): Pick<BotConfig, 'clinic' | 'assistant' | 'tools'> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(path.resolve(deps.cwd, file), 'utf8'));
  } catch (err) {
    throw new UsageError(
      `Cannot read --config ${file}: ${(err as Error).message}`,
      'Give a JSON file written by `receptionist config export`.',
    );
  }
  try {
    return validateImportedConfig(parsed);
  } catch (err) {
    throw new UsageError(
      `--config ${file}: ${(err as Error).message}`,
      'Give a JSON file written by `receptionist config export`.',
    );
  }
}

/**
 * Plans, then (unless --dry-run/--check) applies, in this order: the webhook credential, the tools,
 * the assistant with their ids, the phone number. Each server gets the credential and the backoff plan.
 * @throws AuthError (no key or secret), UsageError, PendingChangesError (--check, exit 7), UserError (drift), NetworkError
 */
export async function runSync(flags: SyncOptions, ctx: Context): Promise<SyncResult> {
  const deps: Deps = ctx;
  const g = ctx.globals;
  const onPlan = (r: SyncResult) => renderPlan(r, flags, ctx);
  const settings = ctx.vapiSettings();
  const secret = requireServerSecret(deps);
  const isPlanOnly = Boolean(flags.dryRun || flags.check);
  const fromFile = flags.config ? readConfigFile(flags.config, deps) : undefined;
  // With --config, a fresh checkout has no store yet: the ids are found on Vapi.
  const store = await ctx.store({ readOnly: isPlanOnly, allowMissing: Boolean(fromFile) });
  const spinner = progress(g, deps.io, 'Reading the assistant and tools on Vapi…');
  try {
    const storedConfig = await loadBotConfig(store.collection('bot_configs'));
    let config: BotConfig = fromFile
      ? { _id: 'default', ...(storedConfig ?? {}), ...fromFile }
      : await requireBotConfig(store);
    const vapi = await ctx.vapi();
    // `serve --update-assistant` points the assistant at its tunnel: that URL is not drift. If that
    // serve died without putting the previous URL back, do it now.
    let tunnel = config.vapi?.tunnel;
    if (tunnel && !thisProcess.isAlive(tunnel.pid) && !isPlanOnly) {
      await restoreServerUrls(tunnel, vapi, settings, store);
      deps.io.info(`Put back the server URL that serve (pid ${tunnel.pid}) had pointed at ${tunnel.url}.`);
      config = { ...config, vapi: (await requireBotConfig(store)).vapi };
      tunnel = undefined;
    }
    const liveTunnel = tunnel && thisProcess.isAlive(tunnel.pid) ? tunnel : undefined;
    const phoneSelector = flags.phoneNumber ?? config.clinic.phoneNumber;
    spinner.start();
    const planned = await planSync(
      config,
      { serverUrl: flags.serverUrl, phoneSelector, secret, tunnel },
      deps,
      vapi,
      settings,
    );
    spinner.stop();
    const { plan, found, result } = planned;
    onPlan(result);
    const rotating = secretGate(found, secret, deps, config, flags);

    const pending = plan.filter((p) => p.action !== 'unchanged');
    if (flags.check) {
      if (pending.length)
        throw new PendingChangesError(
          `${pending.length} resource(s) on Vapi differ from the ${fromFile ? `config in ${flags.config}` : 'stored config'}.`,
          'Run `receptionist sync` to apply them.',
        );
      return result;
    }
    if (flags.dryRun) return result;
    const drifted = plan.filter((p) => p.action === 'drifted');
    if (drifted.length && !flags.force) {
      throw new UserError(
        `${drifted.length} resource(s) were changed on Vapi since the last sync (shown above); sync refuses to overwrite them.`,
        'Fold those changes into the stored config (`receptionist config set …`), or re-run with --force to overwrite them.',
      );
    }
    if (!pending.length && !plan.some((p) => p.adopted) && !fromFile && !flags.phoneNumber) {
      await finishRotation(config, secret, deps, store);
      return result;
    }
    if (flags.test ?? config.clinic.testBeforeSync) await testBeforePublishing(config, ctx);
    const applied = await apply({
      config,
      plan,
      found,
      secret,
      serverUrl: result.serverUrl,
      phoneSelector,
      fromFile: Boolean(fromFile),
      vapi,
      s: settings,
      store,
      spinner,
      liveTunnel,
    });
    if (rotating) {
      const rotation: SecretRotation = {
        from: rotating.from,
        to: secretFingerprint(secret),
        at: deps.now().toISOString(),
        credentialId: String(applied.credentialId),
      };
      await store.collection('bot_configs').updateOne({ _id: 'default' }, { $set: { 'vapi.rotation': rotation } });
      deps.io.info(
        `Rotated: the credential now holds the secret ${rotation.to} (was ${rotation.from}). Keep VAPI_SERVER_SECRET_PREVIOUS ` +
          'on serve until Vapi has switched (a few minutes), then remove it, restart serve and run `receptionist sync` to finish.',
      );
    } else await finishRotation(config, secret, deps, store);
    return {
      ...result,
      applied: pending.length > 0,
      assistantId: applied.assistantId,
      credentialId: applied.credentialId,
    };
  } finally {
    spinner.stop();
  }
}

/**
 * Whether this secret may go to the credential on Vapi. Vapi does not retry a 401, so a credential
 * switched to a secret the live `serve` does not hold drops every message: a different secret is
 * refused (exit 8) unless `--rotate-secret`, and a rotation needs `VAPI_SERVER_SECRET_PREVIOUS` to be
 * the secret the credential holds now (the one `serve` verifies), so that `serve` restarted with both
 * accepts messages signed with either while Vapi switches. Returns the rotation to record, if any.
 * @throws RefusedError (exit 8)
 */
function secretGate(
  found: RemoteState,
  secret: string,
  deps: Pick<Deps, 'env'>,
  config: BotConfig,
  flags: SyncOptions,
): { from: string } | undefined {
  const credential = found.credential.remote;
  const mine = secretFingerprint(secret);
  const theirs = credential ? credentialFingerprint(credential) : undefined;
  const previous = deps.env.get('VAPI_SERVER_SECRET_PREVIOUS');
  const steps = 'See "Rotating the webhook secret" in the README.';
  if (!credential) {
    if (flags.rotateSecret)
      throw new RefusedError(
        'There is no webhook credential on Vapi to rotate (it was deleted, or never made).',
        'Run `receptionist sync` without --rotate-secret: it creates one with VAPI_SERVER_SECRET.',
      );
    return undefined;
  }
  const id = String(credential.id);
  if (theirs === mine) {
    if (!flags.rotateSecret) return undefined;
    const done = config.vapi?.rotation;
    throw new RefusedError(
      done?.to === mine
        ? `This rotation was already done: the credential ${id} has held the secret ${mine} since ${done.at}.`
        : `The credential ${id} already holds VAPI_SERVER_SECRET (fingerprint ${mine}): there is nothing to rotate.`,
      done?.to === mine
        ? 'To finish it, remove VAPI_SERVER_SECRET_PREVIOUS, restart serve and run `receptionist sync`.'
        : `To rotate, set the new secret as VAPI_SERVER_SECRET and this one as VAPI_SERVER_SECRET_PREVIOUS. ${steps}`,
    );
  }
  const holds = theirs
    ? `holds another secret (fingerprint ${theirs}) than VAPI_SERVER_SECRET here (fingerprint ${mine})`
    : `has a secret sync cannot identify (its name "${String(credential.name)}" carries no fingerprint)`;
  if (!flags.rotateSecret)
    throw new RefusedError(
      `The webhook credential on Vapi (${id}) ${holds}: it is the secret of the serve that answers your line. ` +
        'Syncing would switch it, and that serve would answer 401 to every message (Vapi does not retry a 401).',
      `Use that machine's VAPI_SERVER_SECRET here, or change it on purpose with --rotate-secret. ${steps}`,
    );
  const prev = previous ? secretFingerprint(previous.value) : undefined;
  if (!theirs || prev !== theirs)
    throw new RefusedError(
      `--rotate-secret needs VAPI_SERVER_SECRET_PREVIOUS to be the secret the credential ${id} holds now${theirs ? ` (fingerprint ${theirs})` : ''}; ` +
        (previous ? `it is ${prev}.` : 'it is not set.'),
      `Set it to the secret serve runs with now, restart serve with both, then rotate. ${steps}`,
    );
  return { from: theirs };
}

/** A rotation whose previous secret is no longer set anywhere here: recorded as finished. */
async function finishRotation(config: BotConfig, secret: string, deps: Deps, store: Store): Promise<void> {
  const rotation = config.vapi?.rotation;
  if (!rotation || rotation.to !== secretFingerprint(secret)) return;
  if (deps.env.get('VAPI_SERVER_SECRET_PREVIOUS')) {
    deps.io.info(
      `The rotation to ${rotation.to} is not finished: remove VAPI_SERVER_SECRET_PREVIOUS, restart serve, then run sync again.`,
    );
    return;
  }
  await store.collection('bot_configs').updateOne({ _id: 'default' }, { $unset: { 'vapi.rotation': true } });
  deps.io.info(`Rotation finished: the credential and serve use only the secret ${rotation.to}.`);
}

interface ApplyInput {
  config: BotConfig;
  plan: PlannedResource[];
  found: RemoteState;
  secret: string;
  serverUrl: string;
  phoneSelector?: string;
  fromFile: boolean;
  vapi: VapiClient;
  s: VapiSettings;
  store: Store;
  spinner: ReturnType<typeof ora>;
  liveTunnel?: TunnelRecord;
}

/**
 * Creates or updates one resource on Vapi and returns what to record of it (a credential without
 * its secret). While a serve's tunnel is live, Vapi keeps sending to it: what is sent points at the
 * tunnel, what is recorded is the synced URL, and the tunnel record puts that back when serve stops.
 * @throws VapiError, UserError (the credential deleted on Vapi while sync ran)
 */
async function writeResource(x: ApplyInput, p: PlannedResource, body: Remote): Promise<ResourceState> {
  const { vapi, s, spinner, liveTunnel } = x;
  const configs = x.store.collection('bot_configs');
  spinner.start(`${p.action === 'create' ? 'Creating' : 'Updating'} ${p.kind} ${p.name}…`);
  const what = `${p.action} ${p.kind} ${p.name}`;
  // While a serve's tunnel is live, Vapi keeps sending to it; what is recorded is the synced URL,
  // and the tunnel record will put that back when serve stops.
  const pointed = liveTunnel && p.kind !== 'credential';
  const sent = pointed ? { ...body, server: { ...(body.server as object), url: liveTunnel.url } } : body;
  const isCreate = p.action === 'create';
  const remote = (await vapiRequest(what, s, async () => {
    switch (p.kind) {
      case 'credential':
        if (isCreate) return vapiRest(s, what, 'POST', '/credential', sent);
        return vapiRest(s, what, 'PATCH', `/credential/${encodeURIComponent(p.id!)}`, sent).catch((err) => {
          if ((err as { cause?: { statusCode?: number } }).cause?.statusCode !== 404) throw err;
          throw new UserError(
            `The webhook credential ${p.id} was deleted on Vapi while sync ran; nothing else was changed.`,
            'Run `receptionist sync` again (without --rotate-secret): it creates a new credential with VAPI_SERVER_SECRET.',
          );
        });
      case 'tool':
        // The bodies are built from the config, which the tests validate against Vapi's spec (schema names below).
        return isCreate
          ? vapi.tools.create(sent as unknown as Vapi.CreateToolsRequest)
          : vapi.tools.update({ id: p.id!, body: sent as unknown as Vapi.UpdateToolsRequestBody });
      case 'assistant':
        return isCreate
          ? vapi.assistants.create(sent as unknown as Vapi.CreateAssistantDto)
          : vapi.assistants.update({ id: p.id!, ...(sent as unknown as Omit<Vapi.UpdateAssistantDto, 'id'>) });
      case 'phone-number':
        return vapi.phoneNumbers.update({ id: p.id!, body: sent as unknown as Vapi.UpdatePhoneNumbersRequestBody });
    }
  })) as unknown as Remote;
  const received = pointed ? { ...remote, server: { ...(remote.server as object), url: x.serverUrl } } : remote;
  if (pointed) {
    const previous = { id: String(remote.id), server: body.server as VapiServer };
    if (p.kind === 'tool') liveTunnel.previous.tools[p.name] = previous;
    else if (p.kind === 'assistant') liveTunnel.previous.assistant = previous;
    else liveTunnel.previous.phoneNumber = previous;
    await configs.updateOne({ _id: 'default' }, { $set: { 'vapi.tunnel': liveTunnel } });
  }
  return {
    id: String(remote.id),
    sent: p.kind === 'credential' ? withoutSecret(body) : body,
    received: p.kind === 'credential' ? withoutSecret(received) : received,
  };
}

async function apply(x: ApplyInput): Promise<{ assistantId?: string; credentialId?: string }> {
  const { config, plan, vapi, s, store, spinner } = x;
  const sync: SyncState = { ...(config.vapi?.sync ?? {}), tools: { ...(config.vapi?.sync?.tools ?? {}) } };
  const vapiState: NonNullable<BotConfig['vapi']> = { ...(config.vapi ?? {}), serverUrl: x.serverUrl, sync };
  const configs = store.collection('bot_configs');
  if (!(await loadBotConfig(configs)))
    await configs.insertOne({
      _id: 'default',
      clinic: config.clinic,
      assistant: config.assistant,
      tools: config.tools,
    } as BotConfig);
  if (x.fromFile)
    await configs.updateOne(
      { _id: 'default' },
      { $set: { clinic: config.clinic, assistant: config.assistant, tools: config.tools } },
    );
  if (x.phoneSelector) await configs.updateOne({ _id: 'default' }, { $set: { 'clinic.phoneNumber': x.phoneSelector } });
  // Each success is recorded at once, so a failure half-way loses no id.
  const record = async () => {
    vapiState.toolIds = Object.fromEntries(Object.entries(sync.tools ?? {}).map(([n, st]) => [n, st.id]));
    vapiState.assistantId = sync.assistant?.id;
    // Field by field: `vapi.tunnel` belongs to a running serve and is not ours to overwrite.
    const { serverUrl, toolIds, assistantId, credential, phoneNumber } = vapiState;
    await configs.updateOne(
      { _id: 'default' },
      {
        $set: {
          'vapi.serverUrl': serverUrl,
          'vapi.sync': sync,
          'vapi.toolIds': toolIds,
          'vapi.assistantId': assistantId,
          'vapi.credential': credential,
          'vapi.phoneNumber': phoneNumber,
        },
      },
    );
  };
  const adoptedState = (p: PlannedResource, remote: Remote): ResourceState => ({
    id: String(remote.id),
    sent: p.body,
    received: remote,
  });
  const write = (p: PlannedResource, body: Remote) => writeResource(x, p, body);
  /** Writes what changed (bodies are rebuilt with the real ids); an adopted resource that needs no write is recorded as found. */
  const step = async (p: PlannedResource, body: Remote, remote: Remote | null): Promise<ResourceState | undefined> => {
    const compared = p.kind === 'credential' ? withoutSecret(body) : body;
    const needsWrite = p.action !== 'unchanged' || JSON.stringify(compared) !== JSON.stringify(p.body);
    if (needsWrite) return write({ ...p, action: p.action === 'unchanged' ? 'update' : p.action }, body);
    return p.adopted && remote ? adoptedState(p, remote) : undefined;
  };

  // 1. The credential: every server below names it.
  const credentialPlan = plan.find((p) => p.kind === 'credential')!;
  const credentialState = await step(
    credentialPlan,
    desiredCredential(x.secret),
    x.found.credential.remote && withoutSecret(x.found.credential.remote),
  );
  if (credentialState) {
    sync.credential = credentialState;
    const credential: CredentialRecord = {
      id: credentialState.id,
      name: credentialName(x.secret),
      plan: DEFAULT_HMAC_PLAN,
    };
    vapiState.credential = credential;
    await record();
  }
  const credentialId = sync.credential?.id ?? String(x.found.credential.remote?.id);
  const target: ServerTarget = { url: x.serverUrl, credentialId };

  // 2. Tools, then 3. the assistant with their ids.
  for (const tool of config.tools) {
    const p = plan.find((q) => q.kind === 'tool' && q.name === tool.function.name)!;
    const st = await step(p, desiredTool(tool, target), x.found.tools[p.name]?.remote ?? null);
    if (st) {
      sync.tools![p.name] = st;
      await record();
    }
  }
  const assistantPlan = plan.find((p) => p.kind === 'assistant')!;
  const toolIds = config.tools.map(
    (t) => sync.tools![t.function.name]?.id ?? String(x.found.tools[t.function.name]?.remote?.id),
  );
  const assistantState = await step(assistantPlan, desiredAssistant(config, toolIds, target), x.found.assistant.remote);
  if (assistantState) {
    sync.assistant = assistantState;
    await record();
  }

  // 4. The phone number: inbound calls reach `serve` as assistant-request.
  const phonePlan = plan.find((p) => p.kind === 'phone-number');
  if (phonePlan && x.found.phoneNumber) {
    const body = desiredPhoneNumber(target);
    const st = await step(phonePlan, body, x.found.phoneNumber.remote);
    if (st) {
      // Read back: a field sent as null that Vapi kept (an assistant still bound) means inbound calls
      // never reach serve, whatever the PATCH answered.
      const back = await readPhoneNumber(vapi, s, x.found.phoneNumber.row.id);
      sync.phoneNumber = { ...st, received: back.raw };
      vapiState.phoneNumber = { id: back.id, number: back.number };
      await record();
      const kept = Object.keys(body).filter((k) => body[k] === null && back.raw[k] != null);
      if (kept.length)
        throw new UserError(
          `Vapi kept ${kept.map((k) => `${k} ${JSON.stringify(back.raw[k])}`).join(', ')} on the phone number ${back.number ?? back.id} though sync sent null: inbound calls go there, not to serve.`,
          `Remove it from the number in the Vapi dashboard (Phone Numbers → ${back.number ?? back.id}), then run \`receptionist preflight\`.`,
        );
    }
  }
  spinner.stop();
  return { assistantId: sync.assistant?.id, credentialId };
}

export const sync = implement({ parse: parseSyncOptions, run: runSync, render: renderSynced });
