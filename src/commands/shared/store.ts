import type { Deps } from '../../deps.js';
import type { Store } from '../../store/types.js';
import { StoreError, UsageError } from '../../errors.js';
import { loadBotConfig } from '../../domain/clinic.js';
import type { GlobalOptions } from './globals.js';
import type { Context } from './context.js';

/**
 * Opens the configured store: MongoDB when --mongodb-uri / MONGODB_URI is set, else the
 * embedded one. Lazily imported so `--help` loads no store code.
 * @throws StoreError (locked, corrupt), and for MongoDB UsageError (bad URI), AuthError, NetworkError (unreachable)
 */
export async function openStore(
  g: GlobalOptions,
  deps: Deps,
  opts: {
    readOnly?: boolean;
    purpose: string;
    latencySensitive?: boolean;
    allowMissing?: boolean;
    /** MongoDB: how long opening keeps trying to reach a server, ms (0: one attempt). @default 5000 */
    openWithinMS?: number;
  },
): Promise<Store> {
  const logTo = g.logTo?.value.toLowerCase();
  if (g.logTo && logTo !== 'mongo' && logTo !== 'csv')
    throw new UsageError(
      `Invalid log target "${g.logTo.value}" (from ${g.logTo.source}).`,
      'Use --log-to mongo or --log-to csv.',
    );
  if (logTo === 'mongo' && !g.mongodbUri)
    throw new UsageError(
      `Call logs cannot go to MongoDB (from ${g.logTo!.source}): no MongoDB is configured.`,
      'Set MONGODB_URI or pass --mongodb-uri, or use --log-to csv.',
    );
  const warn = (m: string) => deps.io.error(`Warning: ${m}`);
  const embedded = await import('../../store/embedded.js');
  const csv = (store: Store) =>
    embedded
      .withCsvCallLogs(store, g.dataDir.value, { ...opts, onWarning: warn, eager: opts.latencySensitive })
      .catch(async (err: unknown) => {
        await store.close();
        throw err;
      });
  if (g.mongodbUri) {
    const { openMongoStore } = await import('../../store/mongo/index.js');
    const store = await openMongoStore({
      uri: g.mongodbUri.value,
      source: g.mongodbUri.source,
      dbName: deps.env.get('MONGODB_DB')?.value,
      onWarning: opts.readOnly ? undefined : warn,
      // serve: a tool call must answer within 1.5 s while the database is down (DUR-2).
      ...(opts.latencySensitive ? { serverSelectionTimeoutMS: 1000, socketTimeoutMS: 1200 } : {}),
      openWithinMS: opts.openWithinMS,
    });
    return logTo === 'csv' ? csv(store) : store;
  }
  // Reading a folder that holds no store is a typo or the wrong folder, not an empty store.
  if (opts.readOnly && !opts.allowMissing && !embedded.holdsEmbeddedStore(g.dataDir.value)) {
    throw new StoreError(
      `There is no store at ${g.dataDir.value} (from ${g.dataDir.source}).`,
      g.dataDir.source === 'default'
        ? 'Run `receptionist seed` in the project folder first, or pass --data-dir (or set RECEPTIONIST_DATA_DIR) to where the store is.'
        : 'Check the path, or run `receptionist seed` there first.',
    );
  }
  const store = await embedded.openEmbeddedStore({
    dir: g.dataDir.value,
    readOnly: opts.readOnly,
    // serve: a tool call must answer within 1.5 s even when another process holds the write lock (DUR-2).
    busyTimeoutMs: opts.latencySensitive ? 1000 : undefined,
    onWarning: warn,
  });
  return logTo === 'csv' ? csv(store) : store;
}

/** Rows a person reads, with the clinic's IANA time zone their times are shown in. */
export interface ZonedRows<T> {
  rows: T[];
  timeZone: string;
}

/**
 * The store read-only (a snapshot: safe while `serve` writes), and the clinic's IANA time zone in
 * which a person reads its times (UTC before `seed`). @throws like {@link openStore}
 */
export async function readWithClinicZone(ctx: Context): Promise<{ store: Store; timeZone: string }> {
  const store = await ctx.store({ readOnly: true });
  return { store, timeZone: (await loadBotConfig(store.collection('bot_configs')))?.clinic.timeZone ?? 'UTC' };
}
