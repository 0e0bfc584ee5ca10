import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Deps } from '../../deps.js';
import { CancelledError, NetworkError, UsageError, UserError } from '../../errors.js';
import {
  SHUTDOWN_DEADLINE_MS,
  Services,
  startRuntime,
  type ServeEvent,
  type ServeOptions,
} from '../../server/runtime.js';
import { readWatermark, wentBackwards } from '../../store/watermark.js';
import type { BotConfig } from '../../domain/clinic.js';
import type { FieldSealer } from '../../domain/sealer.js';
import { writeOnlySealer } from '../../domain/sealing-keys.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { implement } from '../shared/command.js';
import { toUserError } from '../shared/user-errors.js';
import type { Context } from '../shared/context.js';
import { boundedServeEvents } from './render.js';
import { LOCAL_COPY_FILE, openLocalCopy, saveLocalCopy, type LocalCopy } from './local-copy.js';
import { notificationChannels, parseServeOptions, resolveAuth } from './options.js';
import { WatchedStore, type WatchedStoreOptions } from '../../store/watched.js';
import { redactUri } from '../../store/mongo/index.js';
import { StoreUnavailableError, type Store } from '../../store/types.js';

// `receptionist serve`: opens the store and the keys, runs the services of src/server/runtime.ts
// until a signal, and renders their events.

export type { ServeEvent, ServeOptions } from '../../server/runtime.js';
export { notificationChannels, parseServeOptions } from './options.js';

/**
 * Runs the webhook server until `signal` aborts, then stops its services in reverse (within the
 * deadline) and closes the store. With MongoDB unreachable at start it starts from the local copy
 * and connects in the background; when MongoDB then answers with a failure that will not pass, it
 * stops and throws that.
 * @throws StoreError (locked, corrupt), UserError (not seeded, port in use, keys not the pinned
 *   ones), NetworkError (MongoDB unreachable and no local copy), AuthError (credentials rejected)
 */
export async function runServe(
  opts: ServeOptions,
  ctx: Context,
  run: {
    signal: AbortSignal;
    onEvent: (e: ServeEvent) => void;
    /** A second Ctrl-C: skip what is left of the cleanup. */
    force?: AbortSignal;
    /** The whole cleanup may take at most this long, ms. @default SHUTDOWN_DEADLINE_MS */
    deadlineMs?: number;
  },
): Promise<void> {
  const dataDir = ctx.globals.dataDir.value;
  const warn = (message: string) => run.onEvent({ kind: 'warning', message });
  // The store failing for good after serve started without it (credentials rejected, keys not the
  // pinned ones): serve stops, then ends the command with that error.
  let fatal: unknown;
  const stop = new AbortController();
  run.signal.addEventListener('abort', () => stop.abort(), { once: true });
  // Set below, before the first attempt to connect can finish (it is scheduled 1 s on); until
  // then a store that answers is refused (retried), never used unchecked.
  let onConnected: (s: Store) => Promise<void> = async () => {
    throw new StoreUnavailableError('serve is still starting');
  };
  const { store, copy } = await openServeStore(ctx, {
    onEvent: run.onEvent,
    onConnected: (s) => onConnected(s),
    onFatal: (err) => {
      fatal ??= err;
      stop.abort();
    },
  });
  const services = new Services();
  services.add({
    stopping: 'closing the store',
    stop: async () => {
      await store.close();
      await ctx.close();
    },
  });
  try {
    // The bot config and the keys to seal to: from the store, or from the local copy when
    // MongoDB did not answer; either way checked against the pin in .env.
    const { stored, sealer } = await readStartup(copy ?? store, store.location, ctx);
    const config = opts.defaultRegion
      ? { ...stored, clinic: { ...stored.clinic, defaultRegion: opts.defaultRegion } }
      : stored;
    const keepCopy = (s: Store) => keepLocalCopy(s, dataDir, ctx.now(), warn);
    if (copy)
      warn(
        `Started from the local copy of the bot config and keys saved ${copy.savedAt} (${copy.file}); tool calls get the spoken apology and call-log events are spooled until MongoDB answers.`,
      );
    else {
      await keepCopy(store);
      await checkAcknowledged(store, dataDir, warn);
    }
    // Resolves once the store that was unreachable at start has been checked and is in use.
    const connected = copy
      ? new Promise<void>((resolve) => {
          onConnected = async (s) => {
            await adoptLateStore(s, { stored, savedAt: copy.savedAt, ctx, keepCopy, warn });
            // The store is in place once onConnected returns.
            setImmediate(resolve);
          };
        })
      : undefined;
    const auth = opts.auth
      ? resolveAuth(opts.auth, opts.authSource, stored, opts.publicUrl ? [opts.publicUrl] : [])
      : undefined;
    try {
      await startRuntime(
        {
          store,
          stored,
          config,
          sealer,
          opts,
          auth,
          notifications: notificationChannels(opts, config, ctx.now),
          connected,
          dataDir,
          debug: ctx.globals.debug,
          deps: ctx,
          onEvent: run.onEvent,
          stop: stop.signal,
        },
        services,
      );
    } catch (err) {
      throw listenError(err, opts);
    }
    await new Promise<void>((resolve) => {
      if (stop.signal.aborted) return resolve();
      stop.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    run.onEvent({ kind: 'stopping' });
  } finally {
    // Also when serve stops on an error: the tunnel is told first that its end is expected.
    stop.abort();
    // Reverse order: the assistant's URL first (while Vapi can still reach us), then the tunnel, the
    // server, the store. What the deadline or a second Ctrl-C skips is said, and the next serve or
    // sync puts the assistant's URL back.
    await services.stopAll({
      deadlineMs: run.deadlineMs ?? SHUTDOWN_DEADLINE_MS,
      force: run.force,
      onSkipped: (what, why) =>
        run.onEvent({
          kind: 'failure',
          where: 'stopping',
          error: `${why === 'forced' ? 'Stopped at once (second signal)' : 'Cleanup took too long'} while ${what}; the rest was skipped. The next \`receptionist serve\` or \`receptionist sync\` puts the assistant's server URL back.`,
        }),
    });
  }
  run.onEvent({ kind: 'stopped' });
  if (fatal) throw fatal;
}

/**
 * MongoDB answers at last, after serve started from the local copy: its keys must be the pinned ones
 * too, and the config the one serve runs (else a warning: restart to use it).
 */
async function adoptLateStore(
  s: Store,
  o: {
    stored: BotConfig;
    savedAt: string;
    ctx: Context;
    keepCopy: (s: Store) => Promise<void>;
    warn: (m: string) => void;
  },
): Promise<void> {
  await writeOnlySealer(s, o.ctx);
  if (!isDeepStrictEqual(await requireBotConfig(s), o.stored))
    o.warn(
      `The bot config in MongoDB differs from the local copy serve started with (saved ${o.savedAt}); restart serve to use it.`,
    );
  await o.keepCopy(s);
}

/** The server's listen error as the user reads it, with the flag that fixes it. */
function listenError(err: unknown, opts: Pick<ServeOptions, 'port' | 'host'>): unknown {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new UserError(
      `Port ${opts.port} on ${opts.host} is already in use.`,
      'Pass --port 0 for a free port, or stop the other server.',
    );
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
    return new UsageError(
      `Cannot bind to host ${opts.host}.`,
      'Pass --host with an address of this machine, e.g. 127.0.0.1.',
    );
  return err;
}

/** MongoDB's bot config and keys, saved beside the store so that serve can start while MongoDB is down. */
async function keepLocalCopy(s: Store, dataDir: string, now: Date, warn: (m: string) => void): Promise<void> {
  if (s.kind !== 'mongo') return;
  await saveLocalCopy(s, dataDir, now).catch((err: unknown) =>
    warn(`${(err as Error).message}; serve could not start from it while MongoDB is down.`),
  );
}

/**
 * What serve acknowledged before, against what the store holds: a write-ahead
 * log damaged since loses the commits after the damage silently; the marks kept outside it tell.
 */
async function checkAcknowledged(store: Store, dataDir: string, warn: (m: string) => void): Promise<void> {
  if (!store.highWater) return;
  const before = readWatermark(dataDir);
  const now = await store.highWater();
  const lost = before ? wentBackwards(before, now) : [];
  if (lost.length)
    warn(
      `The store holds fewer ${lost.join(' and fewer ')} than serve had acknowledged by ${before!.at}: records Vapi was told were kept are gone, most likely because the write-ahead log (receptionist.db-wal) was damaged and SQLite stopped reading it there. Stop serve, keep a copy of the data directory, and restore the last backup (\`receptionist restore\`); \`receptionist logs\` shows what is left.`,
    );
}

/**
 * The bot config and the sealer, from the store or the local copy (closed after), both checked
 * as always (the pin). @throws UserError; NetworkError when the local copy does not pass
 */
async function readStartup(
  from: Store | LocalCopy,
  location: string,
  deps: Deps,
): Promise<{ stored: BotConfig; sealer: FieldSealer }> {
  const copy = 'savedAt' in from ? from : undefined;
  const store = copy?.store ?? (from as Store);
  try {
    return { stored: await requireBotConfig(store), sealer: await writeOnlySealer(store, deps) };
  } catch (thrown) {
    const err = toUserError(thrown);
    // Keys rotated since the copy was saved, say: what is wrong is first that MongoDB is unreachable.
    if (copy && err instanceof UserError)
      throw new NetworkError(
        `${location} is unreachable, and serve's local copy (saved ${copy.savedAt}) cannot be used instead: ${err.message}`,
        `${err.hint ?? ''} Or start serve while MongoDB answers: it refreshes the copy.`.trim(),
        { cause: err },
      );
    throw err;
  } finally {
    await copy?.store.close();
  }
}

/**
 * serve's store, watched (its state is `/health`'s). MongoDB unreachable at start (no server
 * answered; not a malformed URI, an unknown host or rejected credentials, which still fail at
 * once): the local copy of the bot config and keys to start from, and the store opened in the
 * background.
 * @throws what opening the store throws; that NetworkError, with the way out, when there is no local copy
 */
async function openServeStore(
  ctx: Context,
  hooks: Pick<WatchedStoreOptions, 'onEvent' | 'onConnected' | 'onFatal'>,
): Promise<{ store: WatchedStore; copy?: LocalCopy }> {
  const g = ctx.globals;
  const unreachable = (err: unknown) => err instanceof NetworkError && err.reason === 'store-unreachable';
  try {
    const opened = await ctx.store({ latencySensitive: true });
    return { store: new WatchedStore({ initial: opened, kind: opened.kind, location: opened.location, ...hooks }) };
  } catch (err) {
    if (!unreachable(err) || !g.mongodbUri) throw err;
    let copy: LocalCopy | undefined;
    try {
      copy = await openLocalCopy(g.dataDir.value);
    } catch (copyErr) {
      (err as NetworkError).hint = `${(copyErr as UserError).message} ${(copyErr as UserError).hint ?? ''}`.trim();
      throw err;
    }
    if (!copy) {
      (err as NetworkError).hint =
        `${(err as NetworkError).hint ?? ''} serve starts without MongoDB only from the local copy of the bot config and keys that it writes to ${path.join(g.dataDir.value, LOCAL_COPY_FILE)} each time it starts with MongoDB: start it once while MongoDB answers.`.trim();
      throw err;
    }
    const { openStore } = await import('../shared/store.js');
    const store = new WatchedStore({
      kind: 'mongo',
      location: redactUri(g.mongodbUri.value),
      reason: ((err as Error).cause as Error | undefined)?.message ?? (err as Error).message,
      // One attempt each time (about 1 s: serve's server selection timeout), with backoff between.
      connect: () => openStore(g, ctx, { latencySensitive: true, purpose: ctx.commandPath, openWithinMS: 0 }),
      isTransient: unreachable,
      ...hooks,
    });
    return { store, copy };
  }
}

/**
 * `serve` until SIGINT/SIGTERM: the first one stops cleanly (within the deadline), a second one at
 * once (exit 130); a fatal error stops cleanly, then ends the command with that error (exit 70).
 * Events are printed as they come (stderr lines, or NDJSON on stdout with --json).
 */
export async function serveUntilSignalled(opts: ServeOptions, ctx: Context): Promise<void> {
  const controller = new AbortController();
  let fatal: unknown;
  const force = new AbortController();
  let forced = false;
  const off = ctx.onShutdown((reason, error) => {
    if (reason === 'fatal') fatal = error ?? new Error('fatal error');
    if (controller.signal.aborted && reason !== 'fatal') {
      forced = true;
      force.abort();
    }
    controller.abort();
  });
  try {
    await runServe(opts, ctx, {
      signal: controller.signal,
      force: force.signal,
      onEvent: boundedServeEvents(ctx.globals, ctx.io, ctx.now),
    });
  } finally {
    off();
  }
  // Cleaned up (the assistant's URL restored); now the fatal error ends the command (exit 70).
  if (fatal) throw fatal;
  if (forced) throw new CancelledError();
}

export const serve = implement({ parse: parseServeOptions, run: serveUntilSignalled });
