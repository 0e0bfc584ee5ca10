import type { IO } from '../../io.js';
import type { Store } from '../../store/types.js';
import type { GlobalOptions } from './globals.js';
import { initKeyring, recordBlindIndexCheck } from '../../domain/keyring.js';
import { appendAudit } from '../../domain/audit.js';
import { sealerForStore } from '../../domain/sealer.js';
import { sealExistingData, type SealMigrationResult } from '../../domain/seal-migration.js';
import { blindIndexCheck, parseBlindIndexKey } from '../../crypto/blind-index.js';
import type { Context } from './context.js';
import { ensureBlindIndexKey, pinActiveKeys } from './credentials.js';

/** What `users add|passwd|remove` and `keys init` did (their `--json` output). */
export interface UsersResult {
  action: 'keys.init' | 'users.add' | 'users.passwd' | 'users.remove';
  username: string;
  /** The new user's role (`users add`). */
  role?: 'admin' | 'receptionist';
  by?: string;
  keyId?: string;
  /** Set when a blind-index key was written to this .env file. */
  blindIndexKeyFile?: string;
  /** Records sealed in place by `keys init` (written before the keys existed). */
  sealed?: SealMigrationResult;
}

/**
 * Creates the keyring with its first admin: the data key, and the blind-index key in .env; seals
 * whatever was stored in plaintext before. @throws UsageError (bad username, short password), NeedsInputError
 */
export async function createFirstAdmin(store: Store, username: string, ctx: Context): Promise<UsersResult> {
  const password = await (await ctx.credentials()).newPassword(`Password for ${username}`);
  const { keyId } = await initKeyring(store, username, password, ctx.now());
  const bik = ensureBlindIndexKey(ctx);
  await recordBlindIndexCheck(store, blindIndexCheck(parseBlindIndexKey(bik.key)!));
  // The key serve may seal to, pinned outside the store.
  await pinActiveKeys(ctx, store);
  const sealed = await sealExistingData(store, await sealerForStore(store, parseBlindIndexKey(bik.key)!));
  await appendAudit(store, {
    at: ctx.now().toISOString(),
    user: username,
    action: 'keys.init',
    details: { keyId, sealed },
  });
  return { action: 'keys.init', username, keyId, blindIndexKeyFile: bik.file, sealed };
}

/** What `users add|passwd|remove` and `keys init` did, and the warning to back up a new blind-index key. */
export function renderUsersResult(r: UsersResult, { io, globals: g }: { io: IO; globals: GlobalOptions }): void {
  if (g.json) io.line(JSON.stringify(r));
  else {
    const what = {
      'keys.init': `Created admin ${r.username} and encryption key ${r.keyId}.${r.sealed && r.sealed.callLogs + r.sealed.appointments + r.sealed.customers ? ` Sealed existing records in place: ${r.sealed.callLogs} call logs, ${r.sealed.appointments} appointments, ${r.sealed.customers} customers.` : ''}`,
      'users.add': `Added ${r.role ?? 'admin'} ${r.username}.`,
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
