import type { Command } from 'commander';
import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Deps } from '../../deps.js';
import type { Store } from '../../store/types.js';
import type { Unlocked } from '../../domain/keyring.js';
import { createVapiClient, resolveVapiSettings, type VapiSettings } from '../../vapi/client.js';
import type { GlobalOptions } from './globals.js';
import type { Credentials } from './credentials.js';

/** How a command wants the store: read-only takes a snapshot; `latencySensitive` is serve's (DUR-2). */
export interface StoreMode {
  readOnly?: boolean;
  latencySensitive?: boolean;
  /** Reading a data dir that holds no store is not an error (sync --config). */
  allowMissing?: boolean;
  /**
   * This backend instead of the configured one (`migrate` opens both). `nedb`: the files of the
   * NeDB version in `dir`, read into memory, read-only (`migrate --from nedb`, `--cleanup`).
   */
  backend?: 'local' | 'mongo' | 'nedb';
  /** The folder of a `nedb` backend. */
  dir?: string;
}

/** The shared connection flags the kernel reads for every command that defines them. */
export interface ConnectionFlags {
  /** `--vapi-key` */
  vapiKey?: string;
  /** `--username`: the acting admin. */
  username?: string;
  /** `--password-stdin` */
  passwordStdin?: boolean;
}

/**
 * One invocation's world: {@link Deps}, the global options, and lazy, memoized providers of the
 * store, the Vapi client and the acting admin's keys. `main` calls {@link Context.close} in its
 * `finally`, so no command opens or closes any of them itself.
 */
export interface Context extends Deps {
  readonly globals: GlobalOptions;
  /** "receptionist logs": names the command in the store's lock file. */
  readonly commandPath: string;
  /** The root commander program (`completion` walks it). */
  readonly program: Command;
  /**
   * The store, opened on first use (later calls get the same one; a backend is opened once).
   * @throws StoreError (missing, locked, corrupt), UsageError (bad --log-to, bad MongoDB URI),
   *   AuthError, NetworkError (MongoDB unreachable); an internal Error when a writer is asked of a
   *   store opened read-only
   */
  store(mode?: StoreMode): Promise<Store>;
  /** Vapi key and base URL from `--vapi-key` and the environment. @throws AuthError (no key), UsageError */
  vapiSettings(): VapiSettings;
  /** The Vapi SDK client, built on first use. @throws like {@link vapiSettings} */
  vapi(): Promise<VapiClient>;
  /** Where passwords come from (`--password-stdin`, the environment, prompts). */
  credentials(): Promise<Credentials>;
  /**
   * The acting admin (`username`, else `--username`, `$RECEPTIONIST_USERNAME` or a prompt) with
   * their keys unlocked, in the store. @throws UserError (no admins yet), AuthError, NeedsInputError
   */
  keyring(username?: string): Promise<Unlocked>;
  /** Closes what was opened, newest first; unlocked keys are wiped. Safe to call twice. */
  close(): Promise<void>;
  /**
   * Who acts, for the audit records of changes that ask for no password: the user signed in to
   * `receptionist studio`. Absent on the command line, where it is the OS user (`os:<name>`).
   */
  readonly actor?: string;
}

/** Builds the context of one command run. Nothing connects until a provider is called. */
export function createContext(
  deps: Deps,
  init: { globals: GlobalOptions; commandPath: string; program: Command; connection: ConnectionFlags },
): Context {
  const stores = new Map<string, { store: Promise<Store>; readOnly: boolean }>();
  const closers: Array<() => Promise<void> | void> = [];
  let settings: VapiSettings | undefined;
  let client: Promise<VapiClient> | undefined;
  let creds: Promise<Credentials> | undefined;
  let unlocked: Promise<Unlocked> | undefined;
  const ctx: Context = {
    ...deps,
    globals: init.globals,
    commandPath: init.commandPath,
    program: init.program,
    store(mode = {}) {
      const key = `${mode.backend ?? 'configured'}${mode.dir ? `:${mode.dir}` : ''}`;
      const open = stores.get(key);
      if (open) {
        if (open.readOnly && !mode.readOnly) throw new Error(`${init.commandPath} opened the store read-only`);
        return open.store;
      }
      const store = (async () => {
        if (mode.backend === 'nedb') {
          const { openNedbSnapshot } = await import('../../store/sqlite/index.js');
          const s = await openNedbSnapshot(mode.dir ?? init.globals.dataDir.value);
          closers.push(() => s.close());
          return s;
        }
        const { openStore } = await import('./store.js');
        const globals =
          mode.backend === undefined
            ? init.globals
            : {
                ...init.globals,
                logTo: undefined,
                mongodbUri: mode.backend === 'mongo' ? init.globals.mongodbUri : undefined,
              };
        const s = await openStore(globals, deps, { ...mode, purpose: init.commandPath });
        closers.push(() => s.close());
        return s;
      })();
      stores.set(key, { store, readOnly: Boolean(mode.readOnly) });
      return store;
    },
    vapiSettings() {
      settings ??= resolveVapiSettings(init.connection, deps.env);
      return settings;
    },
    async vapi() {
      client ??= createVapiClient(ctx.vapiSettings());
      return client;
    },
    credentials() {
      creds ??= import('./credentials.js').then((m) => new m.Credentials(deps, Boolean(init.connection.passwordStdin)));
      return creds;
    },
    keyring(username) {
      unlocked ??= (async () => {
        const [{ hasKeyring, unlock }, { UserError }] = await Promise.all([
          import('../../domain/keyring.js'),
          import('../../errors.js'),
        ]);
        // The store the command opened (read-only for logs --decrypt), else one for writing.
        const store = await (stores.get('configured')?.store ?? ctx.store());
        if (!(await hasKeyring(store)))
          throw new UserError(
            'There are no admins yet, so nothing can be decrypted or changed.',
            'Create the first one with `receptionist users add <username> --role admin`.',
          );
        const c = await ctx.credentials();
        const me = await unlock(store, await c.username(username ?? init.connection.username), await c.password(), {
          now: deps.now(),
          sleep: deps.sleep,
          command: init.commandPath.replace(/^receptionist /, ''),
        });
        closers.push(() => wipe(me));
        return me;
      })();
      return unlocked;
    },
    async close() {
      const errors: unknown[] = [];
      for (const fn of closers.splice(0).reverse()) {
        try {
          await fn();
        } catch (err) {
          errors.push(err);
        }
      }
      // A store that failed to open has nothing to close; anything else that failed is reported.
      if (errors.length) throw errors[0];
    },
  };
  return ctx;
}

import { wipe } from '../../domain/keyring.js';
export { wipe };
