import type { Env, EnvVarName } from './env.js';

/** A resolved setting and where it came from (`--port`, `$RECEPTIONIST_PORT`, `… in .env`, `default`). */
export interface Resolved<T> {
  value: T;
  source: string;
}

/**
 * Resolves a setting: flag > environment > `.env` file > default, keeping the source so an
 * error can say where a bad value came from. With a `fallback` there is always a value.
 */
export function resolveSetting<F extends string | undefined = undefined>(
  flagName: string,
  flagValue: string | undefined,
  envName: EnvVarName,
  env: Env,
  fallback?: F,
): F extends string ? Resolved<string> : Resolved<string> | undefined {
  type Out = F extends string ? Resolved<string> : Resolved<string> | undefined;
  if (flagValue !== undefined) return { value: flagValue, source: `--${flagName}` } as Out;
  const fromEnv = env.get(envName);
  if (fromEnv) return fromEnv as Out;
  return (fallback === undefined ? undefined : { value: fallback, source: 'default' }) as Out;
}
