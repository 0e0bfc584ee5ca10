import type { Store } from '../store/types.js';
import type { UserError } from '../errors.js';
import type { StudioSession } from './auth.js';
import type { Body, Query, Response, StudioApi } from './contract.js';

/**
 * What the studio asks of the rest of receptionist, handed to it by `receptionist studio`
 * (src/commands/studio/host.ts), so that this room imports no command: each operation is the
 * command line's own code (the front desk, `logs`, `metrics`, `sync`, `config set`, …) run for one
 * request. `C` is that request's context, opaque here.
 */
export interface StudioHost<C> {
  /** The store the command opened, shared by every request. */
  store(): Promise<Store>;
  now(): Date;
  /** Waits `ms` (the slowing of repeated wrong passwords). */
  sleep(ms: number): Promise<void>;
  /** A request's context acting as `session`'s user. */
  scope(session: StudioSession): RequestScope<C>;
  /** Any error as the user reads it (the kernel's table, which also adds a hint to a user's error that has none), or undefined for a bug. */
  explain(err: unknown): UserError | undefined;
  operations: StudioOperations<C>;
}

/** One request of a signed-in user. */
export interface RequestScope<C> {
  ctx: C;
  /** From now on in this request, the context's keys are the user's full ones, unlocked with `password` (audited). */
  unlockWith(password: string): void;
  /** The `Warning:` lines the request's work printed, for the page. */
  warnings(): string[];
  /** The request is over: its full keys are overwritten. */
  done(): void;
}

/** What a route's operation gets: its path parameters, query and body, as the contract types them. */
type In<K extends keyof StudioApi> = (StudioApi[K] extends { params: infer P } ? { params: P } : unknown) &
  (StudioApi[K] extends { query: unknown } ? { query: Query<K> } : unknown) &
  (StudioApi[K] extends { body: unknown } ? { body: Body<K> } : unknown) & { headers: Record<string, string> };

/** An operation per route of the contract (the session routes are the studio's own). */
export type StudioOperations<C> = {
  [K in Exclude<keyof StudioApi, 'POST /api/session' | 'DELETE /api/session' | 'GET /api/me'>]: (
    input: In<K>,
    ctx: C,
  ) => Promise<Response<K>>;
};

/** What route `K`'s operation gets. */
export type OperationInput<K extends keyof StudioApi> = In<K>;
