import { UserError } from '../../errors.js';
import { activeSealingKeys, hasKeyring, recordBlindIndexCheck, rotate as rotateKeys } from '../../domain/keyring.js';
import { pinOfKeys, sealerForStore } from '../../domain/sealer.js';
import { blindIndexKeyFromEnv, SEALING_KEY_PIN_VAR } from '../../domain/sealing-keys.js';
import { publicKeyOf } from '../../crypto/seal.js';
import { reindexPhones, sealExistingData, type SealMigrationResult } from '../../domain/seal-migration.js';
import { blindIndexCheck, parseBlindIndexKey } from '../../crypto/blind-index.js';
import { appendAudit } from '../../domain/audit.js';
import { implement, noFlags, type RenderContext } from '../shared/command.js';
import type { InitFlags } from './index.js';
import type { Context } from '../shared/context.js';
import { ensureBlindIndexKey, pinActiveKeys, setDotenvValue } from '../shared/credentials.js';
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
  /** The .env the new keys' pin was written to (unset when the environment carried it already). */
  pinFile?: string;
}

/** `keys rotate`. @throws AuthError, NeedsInputError */
export async function runKeysRotate(_o: unknown, ctx: Context): Promise<RotateResult> {
  const store = await ctx.store();
  const me = await ctx.keyring();
  const r = await rotateKeys(store, me, ctx.now());
  const blindKey = blindIndexKeyFromEnv(ctx.env);
  if (blindKey) await recordBlindIndexCheck(store, blindIndexCheck(blindKey));
  const { file: pinFile } = await pinActiveKeys(ctx, store);
  await appendAudit(store, { at: ctx.now().toISOString(), user: me.username, action: 'keys.rotate', details: r });
  return { ...r, by: me.username, pinFile };
}

/** What `keys pin` did (its `--json` output). */
export interface PinResult {
  by: string;
  keyId: string;
  pin: string;
  file: string;
}

/**
 * Pins the store's active key in .env after checking it against the acting admin's keyring: the
 * admin must hold its private key, and that key must be the pair of the public key `serve` would
 * seal to. A key put into the store by anyone else fails the check and is not pinned.
 * @throws AuthError, NeedsInputError, UserError (no keys; a key this admin cannot vouch for)
 */
export async function runKeysPin(_o: unknown, ctx: Context): Promise<PinResult> {
  const store = await ctx.store();
  const me = await ctx.keyring();
  const active = await activeSealingKeys(store);
  if (!active.admin)
    throw new UserError(
      'The store has no encryption keys yet.',
      'Create the first admin with `receptionist users add`.',
    );
  for (const k of [active.admin, active.receptionist]) {
    if (!k) continue;
    const held = me.dataKeys.get(k.keyId);
    if (!held || publicKeyOf(held.privateKey) !== k.publicKey)
      throw new UserError(
        `The store's active key ${k.keyId} is not one ${me.username}'s keyring holds: it was not made by an admin of this store, so it is not pinned.`,
        'Restore the store from a backup, or have an admin run `receptionist keys rotate` to make a new key.',
      );
  }
  const key = active.admin;
  const pin = pinOfKeys(active);
  const file = setDotenvValue(ctx, SEALING_KEY_PIN_VAR, pin);
  await appendAudit(store, {
    at: ctx.now().toISOString(),
    user: me.username,
    action: 'keys.pin',
    details: { keyId: key.keyId },
  });
  return { by: me.username, keyId: key.keyId, pin, file };
}

export function renderPin(r: PinResult, _o: unknown, { io, globals }: RenderContext): void {
  if (globals.json) return io.line(JSON.stringify(r));
  io.info(
    `Pinned key ${r.keyId} in ${r.file} (${SEALING_KEY_PIN_VAR}); serve seals only to it. Restart serve with this .env.`,
  );
}

export function renderRotate(r: RotateResult, _o: unknown, { io, globals }: RenderContext): void {
  if (globals.json) return io.line(JSON.stringify(r));
  io.info(
    `New records are sealed to key ${r.keyId}; retired ${r.retired.join(', ') || 'nothing'} (still used to read older records).`,
  );
  if (r.pinFile) io.info(`Pinned it in ${r.pinFile}: restart serve with that .env to seal to the new key.`);
}

/** What `keys reindex` did (its `--json` output). */
export interface ReindexResult {
  by: string;
  /** Set when a new key was written to this .env file. */
  blindIndexKeyFile?: string;
  callLogs: number;
  appointments: number;
  customers: number;
  /** Records whose plaintext sensitive fields were sealed in place (a store from an older version). */
  sealed: SealMigrationResult;
}

/** Rebuilds every blind index from the sealed numbers (admins can open them). @throws AuthError, NeedsInputError */
export async function runKeysReindex(_o: unknown, ctx: Context): Promise<ReindexResult> {
  const store = await ctx.store();
  const me = await ctx.keyring();
  const bik = ensureBlindIndexKey(ctx);
  const counts = await reindexPhones(store, me, parseBlindIndexKey(bik.key)!);
  // A store from an older version still holds names (and the like) in plaintext: sealed now, in place.
  const sealed = await sealExistingData(store, await sealerForStore(store, parseBlindIndexKey(bik.key)!));
  await recordBlindIndexCheck(store, blindIndexCheck(parseBlindIndexKey(bik.key)!));
  await appendAudit(store, {
    at: ctx.now().toISOString(),
    user: me.username,
    action: 'keys.reindex',
    details: { ...counts, newKey: Boolean(bik.file), sealed },
  });
  return { by: me.username, blindIndexKeyFile: bik.file, ...counts, sealed };
}

export function renderReindex(r: ReindexResult, _o: unknown, { io, globals }: RenderContext): void {
  if (globals.json) return io.line(JSON.stringify(r));
  io.info(
    `Rebuilt the blind index: ${r.callLogs} call logs, ${r.appointments} appointments, ${r.customers} customers.`,
  );
  const sealed = r.sealed.callLogs + r.sealed.appointments + r.sealed.customers;
  if (sealed)
    io.info(
      `Sealed what an older version left in plaintext: ${r.sealed.callLogs} call logs, ${r.sealed.appointments} appointments, ${r.sealed.customers} customers.`,
    );
  if (r.blindIndexKeyFile)
    io.error(
      `Warning: wrote a new RECEPTIONIST_BLIND_INDEX_KEY to ${r.blindIndexKeyFile}. Back it up, and restart serve with it.`,
    );
}

/** `keys init`. */
export const parseInit = (flags: InitFlags) => ({ username: flags.user });

export const init = implement({
  parse: parseInit,
  run: runKeysInit,
  render: (r, _o, out) => renderUsersResult(r, out),
});
export const rotate = implement({ parse: noFlags, run: runKeysRotate, render: renderRotate });
export const reindex = implement({ parse: noFlags, run: runKeysReindex, render: renderReindex });
export const pin = implement({ parse: noFlags, run: runKeysPin, render: renderPin });
