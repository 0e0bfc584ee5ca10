import type { Deps } from '../../deps.js';
import { UserError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import { activeSealingKey } from '../../domain/keyring.js';
import { createSealer, type FieldSealer } from '../../domain/sealer.js';
import { parseBlindIndexKey } from '../../crypto/blind-index.js';

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
  const key = await activeSealingKey(store);
  if (!key) {
    throw new UserError(
      "The store has no encryption keys, so patients' data could not be sealed.",
      'Create the first admin: `receptionist users add <username> --role admin`.',
    );
  }
  const blindKey = blindIndexKeyFromEnv(deps.env);
  if (!blindKey && opts.needsIndex === false) {
    return createSealer(key, Buffer.alloc(0), { indexUnavailable: 'RECEPTIONIST_BLIND_INDEX_KEY is not set' });
  }
  if (!blindKey) {
    throw new UserError(
      'RECEPTIONIST_BLIND_INDEX_KEY is not set, so callers cannot be looked up by phone.',
      'Restore it from your backup of .env, or run `receptionist keys reindex` to create a new one and rebuild the index.',
    );
  }
  return createSealer(key, blindKey);
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
