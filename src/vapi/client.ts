import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Env } from '../env.js';
import { AuthError, NetworkError, UsageError, UserError } from '../errors.js';
import { resolveSetting, type Resolved } from '../settings.js';

/** How to reach Vapi: key and base URL with where they came from. */
export interface VapiSettings {
  apiKey: Resolved<string>;
  baseUrl: Resolved<string>;
  /** Timeout of one request once connected, seconds (`VAPI_TIMEOUT_SECONDS`). @default 30 */
  timeoutSeconds: number;
  /** Connecting (DNS, TCP, TLS) must finish within this, so an unreachable Vapi fails fast, ms (`VAPI_CONNECT_TIMEOUT_MS`). @default 3000 */
  connectTimeoutMs: number;
  /** Retries of a 429 or 5xx answer (never of a connection failure or another status). @default 2 */
  maxRetries: number;
  /** First retry delay, ms; doubled each time, `Retry-After` honoured up to 10 s. @default 500 */
  retryBaseMs: number;
}

export const DEFAULT_VAPI_BASE_URL = 'https://api.vapi.ai';

/** Flags + env → settings. @throws AuthError without a key, UsageError for a bad URL or timeout */
export function resolveVapiSettings(flags: { vapiKey?: string }, env: Env): VapiSettings {
  const apiKey = resolveSetting('vapi-key', flags.vapiKey, 'VAPI_API_KEY', env);
  if (!apiKey) throw new AuthError('No Vapi API key.', undefined, { reason: 'no-vapi-key' });
  const baseUrl = resolveSetting('base-url', undefined, 'VAPI_BASE_URL', env, DEFAULT_VAPI_BASE_URL);
  if (!/^https?:\/\/[^\s]+$/.test(baseUrl.value))
    throw new UsageError(
      `Invalid Vapi base URL "${baseUrl.value}" (from ${baseUrl.source}).`,
      'Use e.g. https://api.vapi.ai or https://api.eu.vapi.ai.',
    );
  const timeout = env.get('VAPI_TIMEOUT_SECONDS');
  const timeoutSeconds = timeout ? Number(timeout.value) : 30;
  if (!(timeoutSeconds > 0))
    throw new UsageError(`Invalid VAPI_TIMEOUT_SECONDS "${timeout?.value}" (from ${timeout?.source}).`);
  const connect = env.get('VAPI_CONNECT_TIMEOUT_MS');
  const connectTimeoutMs = connect ? Number(connect.value) : 3000;
  if (!(connectTimeoutMs > 0))
    throw new UsageError(`Invalid VAPI_CONNECT_TIMEOUT_MS "${connect?.value}" (from ${connect?.source}).`);
  return {
    apiKey,
    baseUrl: { ...baseUrl, value: baseUrl.value.replace(/\/+$/, '') },
    timeoutSeconds,
    connectTimeoutMs,
    maxRetries: 2,
    retryBaseMs: 500,
  };
}

/** Builds the SDK client (loaded on first use, so `--help` never loads it). Its requests go through {@link vapiFetch}. */
export async function createVapiClient(s: VapiSettings): Promise<VapiClient> {
  const { VapiClient } = await import('@vapi-ai/server-sdk');
  const fetch = await vapiFetch(s);
  // The SDK's own retries (408, 429, 5xx, 1 s × 2^n) are off: vapiFetch retries 429 and 5xx only.
  return new VapiClient({
    token: s.apiKey.value,
    baseUrl: s.baseUrl.value,
    timeoutInSeconds: s.timeoutSeconds,
    maxRetries: 0,
    fetch,
  });
}

const fetchers = new WeakMap<VapiSettings, typeof globalThis.fetch>();

/**
 * The fetch every Vapi request uses (undici, with a connect timeout): a host that does not answer
 * fails within `connectTimeoutMs` with a message naming the cause; a 429 or 5xx is retried
 * `maxRetries` times with exponential backoff (`Retry-After` honoured, at most 10 s); nothing else is retried.
 */
export async function vapiFetch(s: VapiSettings): Promise<typeof globalThis.fetch> {
  const cached = fetchers.get(s);
  if (cached) return cached;
  const { Agent, fetch: undiciFetch } = await import('undici');
  const dispatcher = new Agent({ connect: { timeout: s.connectTimeoutMs } });
  const sleep = (ms: number, signal?: AbortSignal | null) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });
  const fn = async (input: unknown, init: Record<string, unknown> = {}) => {
    const { cache: _cache, credentials: _credentials, ...rest } = init;
    for (let attempt = 0; ; attempt++) {
      let res: Response;
      try {
        // undici's own RequestInit (with its dispatcher) and Response, bridged to the DOM types the SDK uses.
        res = (await undiciFetch(
          input as string,
          { ...rest, dispatcher } as Parameters<typeof undiciFetch>[1],
        )) as unknown as Response;
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        throw new Error(`fetch failed: ${networkCause(err, s)}`, { cause: err });
      }
      if (
        !(res.status === 429 || res.status >= 500) ||
        attempt >= s.maxRetries ||
        (init.signal as AbortSignal | undefined)?.aborted
      )
        return res;
      await res.body?.cancel().catch(() => undefined);
      await sleep(
        retryDelay(res.headers.get('retry-after'), s.retryBaseMs * 2 ** attempt),
        init.signal as AbortSignal | undefined,
      );
    }
  };
  const f = fn as unknown as typeof globalThis.fetch;
  fetchers.set(s, f);
  return f;
}

function retryDelay(retryAfter: string | null, backoffMs: number): number {
  const jittered = backoffMs * (0.9 + Math.random() * 0.2);
  if (!retryAfter) return jittered;
  const seconds = /^\d+$/.test(retryAfter) ? Number(retryAfter) : (Date.parse(retryAfter) - Date.now()) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? Math.min(seconds * 1000, 10_000) : jittered;
}

/** "connection refused", "host not found", "no answer within 4 s": the innermost cause in words. */
function networkCause(err: unknown, s: VapiSettings): string {
  let code: string | undefined;
  for (
    let c = err as { code?: string; cause?: unknown } | undefined, depth = 0;
    c && depth < 5;
    c = c.cause as typeof c, depth++
  )
    code = c.code ?? code;
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `no answer within ${s.connectTimeoutMs / 1000} s (connect timeout)`;
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host not found';
    case 'ECONNRESET':
    case 'UND_ERR_SOCKET':
      return 'connection closed by the other side';
    default:
      return code ?? ((err as Error).message || 'no answer');
  }
}

/**
 * A REST request the SDK has no method for (`/credential`), with the same key, timeouts and
 * retries. Resolves to the JSON body. @throws what {@link vapiError} makes of a failure
 */
export async function vapiRest<T>(
  s: VapiSettings,
  what: string,
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE',
  path: string,
  body?: unknown,
): Promise<T> {
  const fetch = await vapiFetch(s);
  let res: Response;
  try {
    res = await fetch(`${s.baseUrl.value}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${s.apiKey.value}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(s.timeoutSeconds * 1000),
    });
  } catch (err) {
    const message = (err as Error).name === 'TimeoutError' ? '"timeout"' : (err as Error).message;
    throw vapiError(
      what,
      s,
      Object.assign(new Error(message), { name: 'VapiError', statusCode: undefined, cause: err }),
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // an HTML error page: kept as text
  }
  if (!res.ok)
    throw vapiError(
      what,
      s,
      Object.assign(new Error(`Status code: ${res.status}`), {
        name: 'VapiError',
        statusCode: res.status,
        body: parsed,
      }),
    );
  return parsed as T;
}

/**
 * Runs one Vapi request and turns its failure into what a user can act on:
 * 401 → AuthError "Vapi rejected the API key"; other 4xx → Vapi's own message;
 * 5xx → NetworkError; no status (connection refused, DNS, timeout) → NetworkError.
 */
export async function vapiRequest<T>(what: string, s: VapiSettings, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw vapiError(what, s, err);
  }
}

export function vapiError(what: string, s: VapiSettings, err: unknown): Error {
  // Already translated (a vapiRest failure inside vapiRequest): keep it, or "connect timeout" in its
  // message would be taken for a fetch failure and wrapped a second time.
  if (err instanceof UserError) return err;
  const e = err as { statusCode?: number; body?: unknown; message?: string; name?: string };
  if (
    e?.name !== 'VapiError' &&
    e?.statusCode === undefined &&
    !(err instanceof Error && /fetch failed|timeout|ECONN|ENOTFOUND/i.test(err.message))
  )
    return err as Error;
  if (e.statusCode === 401)
    return new AuthError(
      'Vapi rejected the API key (401).',
      `Check the key from ${s.apiKey.source}: it must be the private API key of your Vapi organisation.`,
    );
  if (e.statusCode === undefined) {
    const fromFetch = /^fetch failed: (.*)$/.exec(e.message ?? '')?.[1];
    const cause =
      fromFetch ??
      innermostCause(err) ??
      (e.message === '"timeout"' ? `no reply within ${s.timeoutSeconds} s` : e.message?.replace(/^"|"$/g, '')) ??
      'no answer';
    return new NetworkError(
      `Cannot reach Vapi at ${s.baseUrl.value} to ${what}: ${cause}.`,
      `Check the network, or VAPI_BASE_URL (from ${s.baseUrl.source}).`,
      { cause: err },
    );
  }
  const message = vapiMessage(e.body) ?? `HTTP ${e.statusCode}`;
  if (e.statusCode >= 500)
    return new NetworkError(
      `Vapi failed to ${what} (HTTP ${e.statusCode}): ${message}`,
      'Try again later; Vapi status: https://status.vapi.ai',
      { cause: err },
    );
  return new UserError(`Vapi refused to ${what} (HTTP ${e.statusCode}): ${message}`, undefined, { cause: err });
}

/** The innermost error code or message (the SDK wraps fetch's error, which wraps the socket's). */
function innermostCause(err: unknown): string | undefined {
  let found: string | undefined;
  for (
    let c = (err as { cause?: unknown }).cause, depth = 0;
    c && depth < 5;
    c = (c as { cause?: unknown }).cause, depth++
  ) {
    const e = c as { code?: string; message?: string };
    found = e.code ?? e.message ?? found;
  }
  return found;
}

/** Vapi's NestJS-style error body: `{message: string | string[], error, statusCode}`. */
function vapiMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 300) || undefined;
  const m = (body as { message?: unknown } | undefined)?.message;
  if (Array.isArray(m)) return m.join('; ');
  return typeof m === 'string' ? m : undefined;
}
