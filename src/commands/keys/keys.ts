import { UserError } from '../../errors.js';
import { hasKeyring, recordBlindIndexCheck, rotate as rotateKeys } from '../../domain/keyring.js';
import { blindIndexKeyFromEnv } from '../shared/sealer.js';
import { reindexPhones } from '../../domain/seal-migration.js';
import { blindIndexCheck, parseBlindIndexKey } from '../../crypto/blind-index.js';
import { appendAudit } from '../../domain/audit.js';
import { implement, type Flags, type RenderContext } from '../shared/command.js';
import type { Context } from '../shared/context.js';
import { ensureBlindIndexKey } from '../shared/credentials.js';
import { createFirstAdmin, renderUsersResult, type UsersResult } from '../shared/admin.js';

/** `keys init <user>`. @throws UserError (keys exist already), UsageError, NeedsInputError */
export async function runKeysInit({ username }: { username: string }, ctx: Context): Promise<UsersResult> {
  const store = await ctx.store();
  if (await hasKeyring(store))
    throw new UserError(
      'The keys exist already.',
      'Add admins with `receptionist users add`, or rotate with `receptionist keys rotate`.',
    );
  return createFirstAdmin(store, username, ctx);
}

/** What `keys rotate` did (its `--json` output). */
export interface RotateResult {
  keyId: string;
  retired: string[];
  by: string;
}

/** `keys rotate`. @throws AuthError, NeedsInputError */
export async function runKeysRotate(_o: unknown, ctx: Context): Promise<RotateResult> {
  const store = await ctx.store();
  const me = await ctx.keyring();
  const r = await rotateKeys(store, me, ctx.now());
  const blindKey = blindIndexKeyFromEnv(ctx.env);
  if (blindKey) await recordBlindIndexCheck(store, blindIndexCheck(blindKey));
  await appendAudit(store, { at: ctx.now().toISOString(), user: me.username, action: 'keys.rotate', details: r });
  return { ...r, by: me.username };
}

export function renderRotate(r: RotateResult, _o: unknown, { io, globals }: RenderContext): void {
  if (globals.json) return io.line(JSON.stringify(r));
  io.info(
    `New records are sealed to key ${r.keyId}; retired ${r.retired.join(', ') || 'nothing'} (still used to read older records).`,
  );
  io.info('A running `serve` picks the new key up when it restarts.');
}

/** What `keys reindex` did (its `--json` output). */
export interface ReindexResult {
  by: string;
  /** Set when a new key was written to this .env file. */
  blindIndexKeyFile?: string;
  callLogs: number;
  appointments: number;
  customers: number;
}

/** Rebuilds every blind index from the sealed numbers (admins can open them). @throws AuthError, NeedsInputError */
export async function runKeysReindex(_o: unknown, ctx: Context): Promise<ReindexResult> {
  const store = await ctx.store();
  const me = await ctx.keyring();
  const bik = ensureBlindIndexKey(ctx);
  const counts = await reindexPhones(store, me, parseBlindIndexKey(bik.key)!);
  await recordBlindIndexCheck(store, blindIndexCheck(parseBlindIndexKey(bik.key)!));
  await appendAudit(store, {
    at: ctx.now().toISOString(),
    user: me.username,
    action: 'keys.reindex',
    details: { ...counts, newKey: Boolean(bik.file) },
  });
  return { by: me.username, blindIndexKeyFile: bik.file, ...counts };
}

export function renderReindex(r: ReindexResult, _o: unknown, { io, globals }: RenderContext): void {
  if (globals.json) return io.line(JSON.stringify(r));
  io.info(
    `Rebuilt the blind index: ${r.callLogs} call logs, ${r.appointments} appointments, ${r.customers} customers.`,
  );
  if (r.blindIndexKeyFile)
    io.error(
      `Warning: wrote a new RECEPTIONIST_BLIND_INDEX_KEY to ${r.blindIndexKeyFile}. Back it up, and restart serve with it.`,
    );
}

const none = () => undefined;
export const init = implement({
  parse: (flags: Flags) => ({ username: flags.user as string }),
  run: runKeysInit,
  render: (r, _o, out) => renderUsersResult(r, out),
});
export const rotate = implement({ parse: none, run: runKeysRotate, render: renderRotate });
export const reindex = implement({ parse: none, run: runKeysReindex, render: renderReindex });
