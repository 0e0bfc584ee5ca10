import type { Deps } from '../../deps.js';
import type { Store } from '../../store/types.js';
import { UserError } from '../../errors.js';
import { loadBotConfig, type BotConfig } from '../../domain/clinic.js';
import type { GlobalOptions } from './globals.js';

/**
 * Opens the configured store: MongoDB when --mongodb-uri / MONGODB_URI is set, else the
 * embedded one. Lazily imported so `--help` loads no store code.
 * @throws StoreError (locked, corrupt, unreachable, bad URI)
 */
export async function openStore(g: GlobalOptions, deps: Deps, opts: { readOnly?: boolean; purpose: string }): Promise<Store> {
  if (g.mongodbUri) {
    const { openMongoStore } = await import('../../store/mongo/index.js');
    return openMongoStore({ uri: g.mongodbUri.value, dbName: deps.env.get('MONGODB_DB')?.value });
  }
  const { openLocalStore } = await import('../../store/local/index.js');
  return openLocalStore({ dir: g.dataDir.value, readOnly: opts.readOnly, purpose: opts.purpose, onWarning: (m) => deps.io.error(`Warning: ${m}`) });
}

/** The stored bot config. @throws UserError naming the store, with `hint` (default: run seed) */
export async function requireBotConfig(store: Store, hint = 'Run `receptionist seed` first.'): Promise<BotConfig> {
  const config = await loadBotConfig(store.collection('bot_configs'));
  if (!config) throw new UserError(`The store at ${store.location} has no bot config.`, hint);
  return config;
}
