import type { VapiClient } from '@vapi-ai/server-sdk';
import type { Env } from '../env.js';
import { AuthError, NetworkError, UsageError, UserError } from '../errors.js';
import { resolveSetting, type Resolved } from '../settings.js';

/** How to reach Vapi: key and base URL with where they came from. */
export interface VapiSettings {
  apiKey: Resolved<string>;
  baseUrl: Resolved<string>;
  timeoutSeconds: number;
  /** The SDK retries 408, 429 and 5xx with backoff. @default 2 */
  maxRetries: number;
}

export const DEFAULT_VAPI_BASE_URL = 'https://api.vapi.ai';

/** Flags + env → settings. @throws AuthError without a key, UsageError for a bad URL or timeout */
export function resolveVapiSettings(flags: { vapiKey?: string }, env: Env): VapiSettings {
  const apiKey = resolveSetting('vapi-key', flags.vapiKey, 'VAPI_API_KEY', env);
  if (!apiKey) throw new AuthError('No Vapi API key.', 'Pass --vapi-key, or set VAPI_API_KEY (environment or .env) to your private key from the Vapi dashboard.');
  const baseUrl = resolveSetting('base-url', undefined, 'VAPI_BASE_URL', env, DEFAULT_VAPI_BASE_URL);
  if (!/^https?:\/\/[^\s]+$/.test(baseUrl.value)) throw new UsageError(`Invalid Vapi base URL "${baseUrl.value}" (from ${baseUrl.source}).`, 'Use e.g. https://api.vapi.ai or https://api.eu.vapi.ai.');
  const timeout = env.get('VAPI_TIMEOUT_SECONDS');
  const timeoutSeconds = timeout ? Number(timeout.value) : 30;
  if (!(timeoutSeconds > 0)) throw new UsageError(`Invalid VAPI_TIMEOUT_SECONDS "${timeout?.value}" (from ${timeout?.source}).`);
  return { apiKey, baseUrl: { ...baseUrl, value: baseUrl.value.replace(/\/+$/, '') }, timeoutSeconds, maxRetries: 2 };
}

/** Builds the SDK client (loaded on first use, so `--help` never loads it). */
export async function createVapiClient(s: VapiSettings): Promise<VapiClient> {
  const { VapiClient } = await import('@vapi-ai/server-sdk');
  return new VapiClient({ token: s.apiKey.value, baseUrl: s.baseUrl.value, timeoutInSeconds: s.timeoutSeconds, maxRetries: s.maxRetries });
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
  const e = err as { statusCode?: number; body?: unknown; message?: string; name?: string };
  if (e?.name !== 'VapiError' && e?.statusCode === undefined && !(err instanceof Error && /fetch failed|timeout|ECONN|ENOTFOUND/i.test(err.message))) return err as Error;
  if (e.statusCode === 401) return new AuthError('Vapi rejected the API key (401).', `Check the key from ${s.apiKey.source}: it must be the private API key of your Vapi organisation.`);
  if (e.statusCode === undefined) {
    const cause = innermostCause(err) ?? e.message?.replace(/^"|"$/g, '') ?? 'no answer';
    return new NetworkError(`Cannot reach Vapi at ${s.baseUrl.value} to ${what}: ${cause}.`, `Check the network, or VAPI_BASE_URL (from ${s.baseUrl.source}).`, { cause: err });
  }
  const message = vapiMessage(e.body) ?? `HTTP ${e.statusCode}`;
  if (e.statusCode >= 500) return new NetworkError(`Vapi failed to ${what} (HTTP ${e.statusCode}): ${message}`, 'Try again later; Vapi status: https://status.vapi.ai', { cause: err });
  return new UserError(`Vapi refused to ${what} (HTTP ${e.statusCode}): ${message}`, undefined, { cause: err });
}

/** The innermost error code or message (the SDK wraps fetch's error, which wraps the socket's). */
function innermostCause(err: unknown): string | undefined {
  let found: string | undefined;
  for (let c = (err as { cause?: unknown }).cause, depth = 0; c && depth < 5; c = (c as { cause?: unknown }).cause, depth++) {
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
