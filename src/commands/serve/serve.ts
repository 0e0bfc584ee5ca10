import net from 'node:net';
import { isSupportedCountry } from 'libphonenumber-js';
import type { Deps } from '../../deps.js';
import { AuthError, UsageError, UserError } from '../../errors.js';
import { resolveSetting } from '../../settings.js';
import { DEFAULT_AUTH, type AuthConfig } from '../../server/auth.js';
import { buildApp, DEFAULT_BODY_LIMIT, type WebhookEvent } from '../../server/app.js';
import { ReplyCache } from '../../server/replies.js';
import { CallEventWriter, type CallEvent, type SpoolEvent } from '../../server/call-events.js';
import { Spool } from '../../store/spool.js';
import { writeOnlySealer } from '../shared/sealer.js';
import type { GlobalOptions } from '../shared/globals.js';
import { openStore, requireBotConfig } from '../shared/store.js';
import type { ServeFlags } from './index.js';

export interface ServeOptions {
  port: number;
  host: string;
  bodyLimit: number;
  /** undefined with --insecure-no-auth */
  auth: AuthConfig | undefined;
  /** Overrides the clinic config's `defaultRegion` when set. */
  defaultRegion?: string;
}

/** Events `runServe` reports; the command renders them (stderr lines, or JSON lines with --json). */
export type ServeEvent =
  | { kind: 'ready'; url: string; webhookUrl: string; dataDir: string; auth: 'secret' | 'none'; secrets: number }
  | WebhookEvent
  | SpoolEvent
  | { kind: 'failure'; where: string; error: string; stack?: string }
  | { kind: 'stopping'; signal?: string }
  | { kind: 'stopped' };

/** How long first replies are kept for redeliveries (SEC-2, BOOK-2). */
const REPLY_RETENTION_DAYS = 2;

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/** Flags + env → validated options. @throws UsageError, AuthError */
export function parseServeOptions(flags: ServeFlags, deps: Pick<Deps, 'env'>): ServeOptions {
  const port = resolveSetting('port', flags.port, 'RECEPTIONIST_PORT', deps.env, '3000');
  if (!/^\d+$/.test(port.value) || Number(port.value) > 65535) throw new UsageError(`Invalid port "${port.value}" (from ${port.source})`, 'Use a number from 0 to 65535; 0 picks a free port.');
  const host = resolveSetting('host', flags.host, 'RECEPTIONIST_HOST', deps.env, '127.0.0.1');
  const bodyLimit = flags.bodyLimit === undefined ? DEFAULT_BODY_LIMIT : Number(flags.bodyLimit);
  if (!Number.isInteger(bodyLimit) || bodyLimit < 1024) throw new UsageError(`Invalid --body-limit "${flags.bodyLimit}"`, 'Give a size in bytes, at least 1024.');
  const region = resolveSetting('default-region', flags.defaultRegion, 'RECEPTIONIST_DEFAULT_REGION', deps.env);
  const defaultRegion = region?.value.toUpperCase();
  if (region && !isSupportedCountry(defaultRegion!)) {
    throw new UsageError(`Unknown region "${region.value}" (from ${region.source})`, 'Use a two-letter ISO 3166 code such as IN, US or GB.');
  }
  if (flags.insecureNoAuth) {
    if (!LOOPBACK.has(host.value)) {
      throw new UsageError(`--insecure-no-auth only binds to loopback, but the host is ${host.value} (from ${host.source})`, 'Drop --host, or set VAPI_SERVER_SECRET and drop --insecure-no-auth.');
    }
    return { port: Number(port.value), host: host.value, bodyLimit, auth: undefined, defaultRegion };
  }
  const secrets = [deps.env.get('VAPI_SERVER_SECRET'), deps.env.get('VAPI_SERVER_SECRET_PREVIOUS')].flatMap((s) => (s ? [s.value] : []));
  if (!secrets.length) {
    throw new AuthError('No webhook secret: serve refuses to accept unauthenticated requests.', 'Set VAPI_SERVER_SECRET (environment or .env), or pass --insecure-no-auth for a local test.');
  }
  if (secrets.some((s) => s.length < 16)) {
    throw new AuthError('The webhook secret is shorter than 16 characters.', 'Use a long random value, e.g. `openssl rand -hex 32`.');
  }
  const requireTs = deps.env.get('VAPI_HMAC_REQUIRE_TIMESTAMP')?.value;
  return {
    port: Number(port.value),
    host: host.value,
    bodyLimit,
    defaultRegion,
    auth: {
      ...DEFAULT_AUTH,
      secrets,
      payloadFormat: deps.env.get('VAPI_HMAC_PAYLOAD_FORMAT')?.value ?? DEFAULT_AUTH.payloadFormat,
      requireTimestamp: requireTs === undefined ? true : requireTs !== 'false',
    },
  };
}

/**
 * Runs the webhook server until `signal` aborts, then closes the server and the store.
 * @throws StoreError (locked, corrupt), UserError (not seeded, port in use)
 */
export async function runServe(
  opts: ServeOptions,
  g: GlobalOptions,
  deps: Deps,
  run: { signal: AbortSignal; onEvent: (e: ServeEvent) => void },
): Promise<void> {
  const store = await openStore(g, deps, { purpose: 'receptionist serve', latencySensitive: true });
  let app: ReturnType<typeof buildApp> | undefined;
  let pruneTimer: NodeJS.Timeout | undefined;
  let callEvents: CallEventWriter | undefined;
  try {
    const stored = await requireBotConfig(store);
    const config = opts.defaultRegion ? { ...stored, clinic: { ...stored.clinic, defaultRegion: opts.defaultRegion } } : stored;
    const sealer = await writeOnlySealer(store, deps);
    // Vapi's retries end within the hour; bookings and visits stay deduplicated by their own
    // sourceKey index after a reply is pruned. The local store keeps replies in memory.
    const replies = new ReplyCache(store.collection('replies'), deps.now);
    await replies.prune(REPLY_RETENTION_DAYS);
    pruneTimer = setInterval(() => void replies.prune(REPLY_RETENTION_DAYS).catch(() => undefined), 3_600_000).unref();
    // MongoDB can go away while serve runs: call-log events then wait in a local journal (DUR-2).
    // The embedded store's own files are that journal, so it needs none.
    const spool = store.kind === 'mongo' ? Spool.open<CallEvent>(g.dataDir.value, { purpose: 'receptionist serve (spool)', onWarning: (m) => deps.io.error(`Warning: ${m}`) }) : undefined;
    callEvents = new CallEventWriter(store, spool, run.onEvent);
    app = buildApp({
      store,
      callEvents,
      sealer,
      config,
      now: deps.now,
      auth: opts.auth,
      bodyLimit: opts.bodyLimit,
      onEvent: run.onEvent,
      onFailure: (where, err) =>
        run.onEvent({ kind: 'failure', where, error: err instanceof Error ? err.message : String(err), stack: g.debug ? (err as Error)?.stack : undefined }),
    });
    try {
      await app.listen({ port: opts.port, host: opts.host });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE') throw new UserError(`Port ${opts.port} on ${opts.host} is already in use.`, 'Pass --port 0 for a free port, or stop the other server.');
      if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`Cannot bind to host ${opts.host}.`, 'Pass --host with an address of this machine, e.g. 127.0.0.1.');
      throw err;
    }
    const address = app.server.address() as net.AddressInfo;
    const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${hostForUrl}:${address.port}`;
    run.onEvent({ kind: 'ready', url, webhookUrl: `${url}/webhook`, dataDir: store.location, auth: opts.auth ? 'secret' : 'none', secrets: opts.auth?.secrets.length ?? 0 });
    callEvents.start();
    await new Promise<void>((resolve) => {
      if (run.signal.aborted) return resolve();
      run.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    run.onEvent({ kind: 'stopping' });
  } finally {
    clearInterval(pruneTimer);
    await app?.close();
    await callEvents?.close();
    await store.close();
  }
  run.onEvent({ kind: 'stopped' });
}
