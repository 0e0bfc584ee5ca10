import type { Deps } from '../deps.js';
import type { Store } from '../store/types.js';
import { activeSealingKeys, storedBlindIndexCheck } from './keyring.js';
import { createSealer, pinOfKeys, type FieldSealer } from './sealer.js';
import { compareBlindIndexCheck, parseBlindIndexKey } from '../crypto/blind-index.js';

/** Where the fingerprint of the key `serve` may seal to is kept: beside the blind-index key, outside the store. */
export const SEALING_KEY_PIN_VAR = 'RECEPTIONIST_SEALING_KEY_PIN';

/**
 * Why nothing can be sealed, or no caller recognised: no keys yet; no pin, or keys that are not
 * the pinned ones; the blind-index key missing, malformed, stale, or the indexes of an older
 * version. The kernel's error table says what to do about each (src/commands/shared/user-errors.ts).
 */
export class SealingKeysError extends Error {
  constructor(
    readonly kind:
      'no-keys' | 'no-pin' | 'not-pinned' | 'no-blind-key' | 'bad-blind-key' | 'stale-blind-key' | 'old-indexes',
    message: string,
    /** Where the value came from (`.env`, the environment), when it matters. */
    readonly source?: string,
  ) {
    super(message);
    this.name = 'SealingKeysError';
  }
}

/**
 * The sealer `serve` holds: the active public key from the store and the blind-index key from
 * the environment. No private key is ever loaded here (ENC-3). The store's active key must be
 * the one the admins made, as pinned in .env: one put in its place (by whoever can write the
 * store) is never sealed to.
 * @throws SealingKeysError
 */
export async function writeOnlySealer(
  store: Store,
  deps: Pick<Deps, 'env'>,
  opts: { needsIndex?: boolean } = {},
): Promise<FieldSealer> {
  const active = await activeSealingKeys(store);
  const key = active.admin;
  if (!key)
    throw new SealingKeysError('no-keys', "The store has no encryption keys, so patients' data could not be sealed.");
  const pin = deps.env.get(SEALING_KEY_PIN_VAR);
  if (!pin)
    throw new SealingKeysError(
      'no-pin',
      `${SEALING_KEY_PIN_VAR} is not set, so there is no telling whether the keys in the store are the ones your admins made.`,
    );
  if (pin.value !== pinOfKeys(active)) {
    const keyIds = [active.admin, active.receptionist].flatMap((k) => (k ? [k.keyId] : [])).join(', ');
    throw new SealingKeysError(
      'not-pinned',
      `The store's active encryption keys (${keyIds}) are not the ones pinned in ${pin.source}: one may have been put there by someone else, so nothing is sealed to them.`,
      pin.source,
    );
  }
  const blindKey = blindIndexKeyFromEnv(deps.env);
  if (!blindKey && opts.needsIndex === false) {
    return createSealer(key, Buffer.alloc(0), {
      indexUnavailable: 'RECEPTIONIST_BLIND_INDEX_KEY is not set',
      receptionistKey: active.receptionist,
    });
  }
  if (!blindKey)
    throw new SealingKeysError(
      'no-blind-key',
      'RECEPTIONIST_BLIND_INDEX_KEY is not set, so callers cannot be looked up by phone.',
    );
  // A stale key (after a reindex elsewhere), or indexes of the version before the memory-hard one.
  const stored = await storedBlindIndexCheck(store);
  const verdict = stored ? compareBlindIndexCheck(stored, blindKey) : 'current';
  if (verdict === 'other-key')
    throw new SealingKeysError(
      'stale-blind-key',
      'RECEPTIONIST_BLIND_INDEX_KEY is not the key the store’s indexes were made with (stale after `keys reindex`?): no caller would be recognised.',
    );
  if (verdict === 'older-version')
    throw new SealingKeysError(
      'old-indexes',
      'The store’s blind indexes were made by an older receptionist (a plain HMAC, cheap to brute-force).',
    );
  return createSealer(key, blindKey, { receptionistKey: active.receptionist });
}

/**
 * The blind-index key from the environment or .env, or undefined when it is not set.
 * @throws SealingKeysError (`bad-blind-key`) when it is set but not 32 bytes of base64url
 */
export function blindIndexKeyFromEnv(env: Deps['env']): Buffer | undefined {
  const raw = env.get('RECEPTIONIST_BLIND_INDEX_KEY');
  if (!raw) return undefined;
  const key = parseBlindIndexKey(raw.value);
  if (!key)
    throw new SealingKeysError(
      'bad-blind-key',
      `RECEPTIONIST_BLIND_INDEX_KEY (from ${raw.source}) is not 32 bytes of base64url.`,
      raw.source,
    );
  return key;
}
