import type { Deps } from '../../deps.js';
import type { IO } from '../../io.js';
import { AuthError, StoreError, UserError } from '../../errors.js';
import { SealError } from '../../crypto/seal.js';
import type { Store } from '../../store/types.js';
import {
  activeSealingKey,
  hasKeyring,
  initKeyring,
  KeyringAuthError,
  KeyringError,
  recordBlindIndexCheck,
  unlock,
  type Unlocked,
} from '../../domain/keyring.js';
import { appendAudit } from '../../domain/audit.js';
import { createSealer } from '../../domain/sealer.js';
import { sealExistingData, type SealMigrationResult } from '../../domain/seal-migration.js';
import { blindIndexCheck, parseBlindIndexKey } from '../../crypto/blind-index.js';
import type { GlobalOptions } from './globals.js';
import { openStore } from './store.js';
import { Credentials, ensureBlindIndexKey } from './credentials.js';

/**
 * What the commands that act as an admin share (`users`, `keys`, `logs --decrypt`): the store
 * opened for the keyring, the acting admin unlocked, keyring errors as the errors a user sees.
 */
export interface UsersResult {
  action: 'keys.init' | 'users.add' | 'users.passwd' | 'users.remove';
  username: string;
  by?: string;
  keyId?: string;
  /** Set when a blind-index key was written to this .env file. */
  blindIndexKeyFile?: string;
  /** Records sealed in place by `keys init` (written before the keys existed). */
  sealed?: SealMigrationResult;
}

/** Runs `fn` with the store open for writing, mapping keyring errors to user errors. */
export async function withKeyring<T>(
  g: GlobalOptions,
  deps: Deps,
  purpose: string,
  fn: (store: Store) => Promise<T>,
): Promise<T> {
  const store = await openStore(g, deps, { purpose });
  try {
    return await fn(store);
  } catch (err) {
    throw asUserFacing(err);
  } finally {
    await store.close();
  }
}

/** Keyring and sealing failures as the errors a user sees (exit 5 for credentials, 1 or 3 otherwise). */
export function asUserFacing(err: unknown): unknown {
  if (err instanceof KeyringAuthError)
    return new AuthError(err.message, 'Check the username and password; `receptionist users list` shows the admins.');
  if (err instanceof KeyringError) return new UserError(err.message);
  if (err instanceof SealError)
    return new StoreError(`A sealed record failed authentication: ${err.message}.`, 'Restore the store from a backup.');
  return err;
}

/** Prompts for (or reads) the acting admin's credentials and unlocks their keys. */
export async function unlockActing(
  store: Store,
  creds: Credentials,
  usernameFlag: string | undefined,
): Promise<Unlocked> {
  if (!(await hasKeyring(store)))
    throw new UserError(
      'There are no admins yet.',
      'Create the first one with `receptionist users add <username> --role admin`.',
    );
  const username = await creds.username(usernameFlag);
  return unlock(store, username, await creds.password());
}

/** Creates the keyring with its first admin: the data key, and the blind-index key in .env. */
export async function createFirstAdmin(
  store: Store,
  username: string,
  creds: Credentials,
  deps: Deps,
): Promise<UsersResult> {
  const password = await creds.newPassword(`Password for ${username}`);
  const { keyId } = await initKeyring(store, username, password, deps.now());
  const bik = ensureBlindIndexKey(deps);
  await recordBlindIndexCheck(store, blindIndexCheck(parseBlindIndexKey(bik.key)!));
  // Whatever was stored in plaintext before the keys existed is sealed now.
  const sealed = await sealExistingData(
    store,
    createSealer((await activeSealingKey(store))!, parseBlindIndexKey(bik.key)!),
  );
  await appendAudit(store, {
    at: deps.now().toISOString(),
    user: username,
    action: 'keys.init',
    details: { keyId, sealed },
  });
  return { action: 'keys.init', username, keyId, blindIndexKeyFile: bik.file, sealed };
}

/** The admin's keys, after the username and password (prompts, --password-stdin or env). @throws UserError (no admins), AuthError, NeedsInputError */
export async function unlockForDecrypt(
  store: Store,
  opts: { username?: string; passwordStdin?: boolean },
  deps: Deps,
): Promise<Unlocked> {
  if (!(await hasKeyring(store)))
    throw new UserError(
      'There are no admins, so nothing can be decrypted.',
      'Create the first admin with `receptionist users add <username> --role admin`.',
    );
  const creds = new Credentials(deps, Boolean(opts.passwordStdin));
  const username = await creds.username(opts.username);
  return unlock(store, username, await creds.password());
}

/** What `users add|passwd|remove` and `keys init` did, and the warning to back up a new blind-index key. */
export function renderUsersResult(r: UsersResult, g: GlobalOptions, io: IO): void {
  if (g.json) io.line(JSON.stringify(r));
  else {
    const what = {
      'keys.init': `Created admin ${r.username} and encryption key ${r.keyId}.${r.sealed && r.sealed.callLogs + r.sealed.appointments + r.sealed.customers ? ` Sealed existing records in place: ${r.sealed.callLogs} call logs, ${r.sealed.appointments} appointments, ${r.sealed.customers} customers.` : ''}`,
      'users.add': `Added admin ${r.username}.`,
      'users.passwd': `Changed the password of ${r.username}; nothing was re-encrypted.`,
      'users.remove': `Removed admin ${r.username}.`,
    }[r.action];
    io.info(what);
  }
  if (r.blindIndexKeyFile) {
    io.error(
      `Warning: wrote RECEPTIONIST_BLIND_INDEX_KEY to ${r.blindIndexKeyFile}. Back it up with the server's secrets:`,
    );
    io.error(
      '  without it callers cannot be looked up by phone (sealed data stays readable by admins; `receptionist keys reindex` rebuilds the index).',
    );
  }
}
