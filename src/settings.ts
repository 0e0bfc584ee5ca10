import type { Env, EnvVarName } from './env.js';

/** A resolved setting and where it came from (`--port`, `$RECEPTIONIST_PORT`, `… in .env`, `default`). */
export interface Resolved<T> {
  value: T;
  source: string;
}

/**
 * Resolves a setting: flag > environment > `.env` file > default, keeping the source so an
 * error can say where a bad value came from.
 */
export function resolveSetting(
  flagName: string,
  flagValue: string | undefined,
  envName: EnvVarName,
  env: Env,
  fallback: string,
): Resolved<string>;
export function resolveSetting(
  flagName: string,
  flagValue: string | undefined,
  envName: EnvVarName,
  env: Env,
  fallback?: string,
): Resolved<string> | undefined;
export function resolveSetting(
  flagName: string,
  flagValue: string | undefined,
  envName: EnvVarName,
  env: Env,
  fallback?: string,
): Resolved<string> | undefined {
  if (flagValue !== undefined) return { value: flagValue, source: `--${flagName}` };
  const fromEnv = env.get(envName);
  if (fromEnv) return fromEnv;
  return fallback === undefined ? undefined : { value: fallback, source: 'default' };
}
