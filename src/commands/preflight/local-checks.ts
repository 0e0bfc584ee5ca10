import fs from 'node:fs';
import path from 'node:path';
import { secretBits } from '../../server/auth.js';
import { documentId, documentProblem } from '../../store/schemas.js';
import { printable } from '../../io.js';
import { thisProcess } from '../../deps.js';
import { UserError } from '../../errors.js';
import { packageRoot, templatesDir } from '../../paths.js';
import { loadBotConfig, type BotConfig } from '../../domain/clinic.js';
import { activeSealingKey, listUsers, storedBlindIndexCheck } from '../../domain/keyring.js';
import { blindIndexCheck } from '../../crypto/blind-index.js';
import { namedBadRecords, type Store } from '../../store/types.js';
import { blindIndexKeyFromEnv } from '../../domain/sealing-keys.js';
import { requireServerSecret } from '../../vapi/sync-remote.js';
import { utcClockUses } from '../../vapi/assistant-body.js';
import type { Check, CheckOutcome, PreflightState } from './preflight.js';

// The checks of this machine and its store, each a function of what the earlier ones found.

/** The store under test, or a failed check when it could not be opened. */
function storeOf(s: PreflightState): Store {
  if (!s.store) throw new UserError('no store');
  return s.store;
}

/** `>=22.13` from package.json against this Node. */
export function nodeCheck(): Check {
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

/** The store opens, holds a bot config, and can be written (SQLite: and passes its integrity check). */
export async function storeCheck(s: PreflightState): Promise<CheckOutcome> {
  const store = (s.store = await s.ctx.store({ readOnly: true }));
  s.config = (await loadBotConfig(store.collection('bot_configs'))) ?? undefined;
  if (!s.config)
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
  await probe.updateOne({ _id: 'preflight-probe' }, { $set: { at: s.ctx.now().toISOString() } }, { upsert: true });
  await probe.deleteMany({ _id: 'preflight-probe' });
  return { ok: true, detail: `${store.location} is writable` };
}

/**
 * Every stored record reads. What older builds accepted and the commands now skip by name counts
 * too: a call status at an impossible time, a call log with an impossible duration or cost.
 */
export async function storedRecordsCheck(s: PreflightState): Promise<CheckOutcome> {
  const store = storeOf(s);
  const bad: Array<{ collection: string; id: string; reason: string }> = [...((await store.badRecords?.()) ?? [])];
  for (const st of await store.collection('call_status').find({}, { unchecked: true })) {
    const problem = documentProblem('call_status', st);
    if (problem) bad.push({ collection: 'call_status', id: documentId(st), reason: problem });
  }
  for (const t of await store.callLogs.totals({ by: 'endedReason' }))
    for (const id of t.outOfRange) bad.push({ collection: 'call_logs', id, reason: 'an impossible duration or cost' });
  if (bad.length)
    return {
      ok: false,
      detail: `${bad.length} record(s) no read can use, each skipped (every other record is served): ${namedBadRecords(bad, 5)}`,
      fix: 'Restore each from the last backup, or fix or remove the record; `receptionist backup` still copies all the others.',
    };
  return { ok: true, detail: store.badRecords ? 'every stored record reads' : 'not checked on MongoDB' };
}

/** Every doctor's record reads (the tools leave out one that does not). */
export async function doctorsCheck(s: PreflightState): Promise<CheckOutcome> {
  const all = await storeOf(s).collection('doctors').find({});
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
}

/** An admin exists, so there are keys to seal patients' data to. */
export async function keysCheck(s: PreflightState): Promise<CheckOutcome> {
  const store = storeOf(s);
  const admins = (await listUsers(store)).filter((u) => u.role === 'admin');
  const key = await activeSealingKey(store);
  if (!admins.length || !key)
    return {
      ok: false,
      detail: 'no admin, so no encryption keys: patients’ data cannot be sealed',
      fix: 'Run `receptionist users add <name> --role admin`.',
    };
  return { ok: true, detail: `${admins.length} admin(s); records are sealed to key ${key.keyId}` };
}

/** The blind-index key is set and is the one the store's indexes were made with. */
export async function blindIndexKeyCheck(s: PreflightState): Promise<CheckOutcome> {
  const store = storeOf(s);
  const key = blindIndexKeyFromEnv(s.ctx.env);
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
}

/** VAPI_SERVER_SECRET is set and strong (≥ 128 bits). */
export async function webhookSecretCheck(s: PreflightState): Promise<CheckOutcome> {
  const secret = (s.secret = requireServerSecret(s.ctx));
  const bits = secretBits(secret);
  if (bits < 128)
    return {
      ok: false,
      detail: `VAPI_SERVER_SECRET has about ${bits} bits; it needs at least 128`,
      fix: 'Use `openssl rand -hex 32`, then run `receptionist sync` to put it in the credential.',
    };
  return { ok: true, detail: `VAPI_SERVER_SECRET has about ${bits} bits` };
}

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
export function frontDeskCheck(config: BotConfig): Check {
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
export function clockCheck(config: BotConfig): Check {
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
