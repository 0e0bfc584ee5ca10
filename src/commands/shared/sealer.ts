import type { Deps } from '../../deps.js';
import { UserError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import { activeSealingKeys, storedBlindIndexCheck } from '../../domain/keyring.js';
import { createSealer, pinOfKeys, type FieldSealer } from '../../domain/sealer.js';
import { compareBlindIndexCheck, parseBlindIndexKey } from '../../crypto/blind-index.js';

/** Where the fingerprint of the key `serve` may seal to is kept: beside the blind-index key, outside the store. */
export const SEALING_KEY_PIN_VAR = 'RECEPTIONIST_SEALING_KEY_PIN';

/**
 * The sealer `serve` holds: the active public key from the store and the blind-index key from
 * the environment. No private key is ever loaded here (ENC-3).
 * @throws UserError when there are no keys yet or the blind-index key is missing or malformed
 */
export async function writeOnlySealer(
  store: Store,
  deps: Pick<Deps, 'env'>,
  opts: { needsIndex?: boolean } = {},
): Promise<FieldSealer> {
  const active = await activeSealingKeys(store);
  const key = active.admin;
  if (!key) {
    throw new UserError(
      "The store has no encryption keys, so patients' data could not be sealed.",
      'Create the first admin: `receptionist users add <username> --role admin`.',
    );
  }
  // Key pinning: the store's active key must be the one the admins made, as
  // pinned in .env; one put in its place (by whoever can write the store) is never sealed to.
  const pin = deps.env.get(SEALING_KEY_PIN_VAR);
  if (!pin)
    throw new UserError(
      `${SEALING_KEY_PIN_VAR} is not set, so there is no telling whether the keys in the store are the ones your admins made.`,
      'An admin runs `receptionist keys pin --username <admin>` once (it checks the key against their keyring and writes the pin to .env).',
    );
  if (pin.value !== pinOfKeys(active)) {
    const keyIds = [active.admin, active.receptionist].flatMap((k) => (k ? [k.keyId] : [])).join(', ');
    throw new UserError(
      `The store's active encryption keys (${keyIds}) are not the ones pinned in ${pin.source}: one may have been put there by someone else, so nothing is sealed to them.`,
      'If an admin rotated the key, run `receptionist keys pin --username <admin>` (or copy the pin from their .env); otherwise restore the store from a backup and find out who changed the keys.',
    );
  }
  const blindKey = blindIndexKeyFromEnv(deps.env);
  if (!blindKey && opts.needsIndex === false) {
    return createSealer(key, Buffer.alloc(0), {
      indexUnavailable: 'RECEPTIONIST_BLIND_INDEX_KEY is not set',
      receptionistKey: active.receptionist,
    });
  }
  if (!blindKey) {
    throw new UserError(
      'RECEPTIONIST_BLIND_INDEX_KEY is not set, so callers cannot be looked up by phone.',
      'Restore it from your backup of .env, or run `receptionist keys reindex` to create a new one and rebuild the index.',
    );
  }
  // A stale key (after `keys reindex` elsewhere), or indexes of the version before the memory-hard one.
  const stored = await storedBlindIndexCheck(store);
  const verdict = stored ? compareBlindIndexCheck(stored, blindKey) : 'current';
  if (verdict === 'other-key')
    throw new UserError(
      'RECEPTIONIST_BLIND_INDEX_KEY is not the key the store’s indexes were made with (stale after `keys reindex`?): no caller would be recognised.',
      'Use the .env the last `receptionist keys reindex` wrote, or run `receptionist keys reindex` again.',
    );
  if (verdict === 'older-version')
    throw new UserError(
      'The store’s blind indexes were made by an older receptionist (a plain HMAC, cheap to brute-force).',
      'Run `receptionist keys reindex --username <admin>` once: it rebuilds them memory-hard with the same key.',
    );
  return createSealer(key, blindKey, { receptionistKey: active.receptionist });
}

/**
 * The blind-index key from the environment or .env, or undefined when it is not set.
 * @throws UserError when it is set but not 32 bytes of base64url
 */
export function blindIndexKeyFromEnv(env: Deps['env']): Buffer | undefined {
  const raw = env.get('RECEPTIONIST_BLIND_INDEX_KEY');
  if (!raw) return undefined;
  const key = parseBlindIndexKey(raw.value);
  if (!key)
    throw new UserError(
      `RECEPTIONIST_BLIND_INDEX_KEY (from ${raw.source}) is not 32 bytes of base64url.`,
      'Restore it from your backup of .env, or remove it to have a new one created.',
    );
  return key;
}
