import chalk, { Chalk } from 'chalk';
import { PartialFailureError, UserError } from '../../errors.js';
import type { BotConfig } from '../../domain/clinic.js';
import type { VapiSettings } from '../../vapi/client.js';
import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Store } from '../../store/types.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { PreflightFlags } from './index.js';
import { toUserError } from '../shared/user-errors.js';
import type { Context } from '../shared/context.js';
import {
  blindIndexKeyCheck,
  clockCheck,
  doctorsCheck,
  frontDeskCheck,
  keysCheck,
  nodeCheck,
  storeCheck,
  storedRecordsCheck,
  webhookSecretCheck,
} from './local-checks.js';
import { syncChecks, vapiKeyCheck } from './vapi-checks.js';

export { secretBits } from '../../server/auth.js';

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

export interface PreflightResult {
  ok: boolean;
  checks: Check[];
}

/** A check's verdict (its name comes from the table), or several named lines. */
export type CheckOutcome = Omit<Check, 'name'> | Check[];

/** What the checks found so far: a later check uses what an earlier one opened. */
export interface PreflightState {
  ctx: Context;
  options: PreflightOptions;
  store?: Store;
  config?: BotConfig;
  secret?: string;
  settings?: VapiSettings;
  vapi?: VapiClient;
}

/**
 * The checks, in order. `when`: run only when the earlier ones found what it needs (else it is
 * left out, as its cause already failed). A check that throws fails with the error's message and fix.
 */
const CHECKS: Array<{
  name: string;
  run: (s: PreflightState) => Promise<CheckOutcome>;
  when?: (s: PreflightState) => boolean;
}> = [
  { name: 'node', run: async () => [nodeCheck()] },
  { name: 'store', run: storeCheck },
  { name: 'stored records', run: storedRecordsCheck },
  { name: 'doctors', run: doctorsCheck },
  { name: 'keys', run: keysCheck },
  { name: 'front desk', run: async (s) => [frontDeskCheck(s.config!)], when: (s) => Boolean(s.config) },
  { name: 'prompt clock', run: async (s) => [clockCheck(s.config!)], when: (s) => Boolean(s.config) },
  { name: 'blind-index key', run: blindIndexKeyCheck },
  { name: 'webhook secret', run: webhookSecretCheck },
  { name: 'vapi key', run: vapiKeyCheck },
  { name: 'sync', run: syncChecks, when: (s) => Boolean(s.config && s.secret && s.vapi && s.settings) },
];

/**
 * Runs every check; never throws for a failed check (each becomes a ✗ line), only for a store that
 * cannot be opened at all. Reads only.
 */
export async function runPreflight(options: PreflightOptions, ctx: Context): Promise<PreflightResult> {
  const state: PreflightState = { ctx, options };
  const checks: Check[] = [];
  for (const check of CHECKS) {
    if (check.when && !check.when(state)) continue;
    try {
      const r = await check.run(state);
      if (Array.isArray(r)) checks.push(...r);
      else checks.push({ name: check.name, ...r });
    } catch (thrown) {
      const e = toUserError(thrown) as UserError;
      checks.push({ name: check.name, ok: false, detail: e.message, fix: e instanceof UserError ? e.hint : undefined });
    }
  }
  return { ok: checks.every((c) => c.ok), checks };
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
