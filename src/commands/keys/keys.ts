import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { UserError } from '../../errors.js';
import { hasKeyring, recordBlindIndexCheck, rotate } from '../../domain/keyring.js';
import { blindIndexKeyFromEnv } from '../shared/sealer.js';
import { reindexPhones } from '../../domain/seal-migration.js';
import { blindIndexCheck, parseBlindIndexKey } from '../../crypto/blind-index.js';
import { appendAudit } from '../../domain/audit.js';
import type { GlobalOptions } from '../shared/globals.js';
import { Credentials, ensureBlindIndexKey } from '../shared/credentials.js';
import { createFirstAdmin, unlockActing, withKeyring, type UsersResult } from '../shared/admin.js';
import type { KeysFlags } from './index.js';

export async function runKeysInit(
  username: string,
  flags: KeysFlags,
  g: GlobalOptions,
  deps: Deps,
): Promise<UsersResult> {
  const creds = new Credentials(deps, Boolean(flags.passwordStdin));
  return withKeyring(g, deps, 'receptionist keys init', async (store) => {
    if (await hasKeyring(store))
      throw new UserError(
        'The keys exist already.',
        'Add admins with `receptionist users add`, or rotate with `receptionist keys rotate`.',
      );
    return createFirstAdmin(store, username, creds, deps);
  });
}

export interface RotateResult {
  keyId: string;
  retired: string[];
  by: string;
}

export async function runKeysRotate(flags: KeysFlags, g: GlobalOptions, deps: Deps): Promise<RotateResult> {
  const creds = new Credentials(deps, Boolean(flags.passwordStdin));
  return withKeyring(g, deps, 'receptionist keys rotate', async (store) => {
    const me = await unlockActing(store, creds, flags.username);
    const r = await rotate(store, me, deps.now());
    const blindKey = blindIndexKeyFromEnv(deps.env);
    if (blindKey) await recordBlindIndexCheck(store, blindIndexCheck(blindKey));
    await appendAudit(store, { at: deps.now().toISOString(), user: me.username, action: 'keys.rotate', details: r });
    return { ...r, by: me.username };
  });
}

export function renderRotate(r: RotateResult, g: GlobalOptions, io: IO): void {
  if (g.json) return io.line(JSON.stringify(r));
  io.info(
    `New records are sealed to key ${r.keyId}; retired ${r.retired.join(', ') || 'nothing'} (still used to read older records).`,
  );
  io.info('A running `serve` picks the new key up when it restarts.');
}

export interface ReindexResult {
  by: string;
  /** Set when a new key was written to this .env file. */
  blindIndexKeyFile?: string;
  callLogs: number;
  appointments: number;
  customers: number;
}

/** Rebuilds every blind index from the sealed numbers (admins can open them). */
export async function runKeysReindex(flags: KeysFlags, g: GlobalOptions, deps: Deps): Promise<ReindexResult> {
  const creds = new Credentials(deps, Boolean(flags.passwordStdin));
  return withKeyring(g, deps, 'receptionist keys reindex', async (store) => {
    const me = await unlockActing(store, creds, flags.username);
    const bik = ensureBlindIndexKey(deps);
    const counts = await reindexPhones(store, me, parseBlindIndexKey(bik.key)!);
    await recordBlindIndexCheck(store, blindIndexCheck(parseBlindIndexKey(bik.key)!));
    await appendAudit(store, {
      at: deps.now().toISOString(),
      user: me.username,
      action: 'keys.reindex',
      details: { ...counts, newKey: Boolean(bik.file) },
    });
    return { by: me.username, blindIndexKeyFile: bik.file, ...counts };
  });
}

export function renderReindex(r: ReindexResult, g: GlobalOptions, io: IO): void {
  if (g.json) return io.line(JSON.stringify(r));
  io.info(
    `Rebuilt the blind index: ${r.callLogs} call logs, ${r.appointments} appointments, ${r.customers} customers.`,
  );
  if (r.blindIndexKeyFile)
    io.error(
      `Warning: wrote a new RECEPTIONIST_BLIND_INDEX_KEY to ${r.blindIndexKeyFile}. Back it up, and restart serve with it.`,
    );
}
