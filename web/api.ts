/** The studio's JSON API, from the page: same-origin, with the session's CSRF token on every write. */
import type { ApiError, Body, Params, Query, Response, Route } from '../src/studio/contract';

export type { ApiError };

/** A refused or failed request: the server's `{error}` and the HTTP status. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    readonly error: ApiError,
  ) {
    super(error.message);
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => undefined;

/** Sets the token writes carry, and what to do when the session has ended (a 401). */
export function configure(token: string, signedOut: () => void): void {
  csrfToken = token;
  onSignedOut = signedOut;
}

/** What a call of route `K` sends: its path parameters, query, body (as the contract says) and extra headers. */
export interface CallArgs<K extends Route> {
  params?: Params<K>;
  query?: Query<K>;
  body?: Body<K>;
  headers?: Record<string, string>;
}

/** The path of route `K` with its parameters filled in (each encoded) and its query. */
export function pathOf<K extends Route>(key: K, args: Pick<CallArgs<K>, 'params' | 'query'> = {}): string {
  const template = key.slice(key.indexOf(' ') + 1);
  const params = (args.params ?? {}) as Record<string, string>;
  const path = template.replace(/:(\w+)/g, (_m, name: string) => encodeURIComponent(params[name] ?? ''));
  return `${path}${query((args.query ?? {}) as Record<string, string | undefined>)}`;
}

/** Calls route `K` of the contract (src/studio/contract.ts). @throws RequestError */
export function call<K extends Route>(
  key: K,
  args: CallArgs<K> = {},
): Promise<{ data: Response<K>; warnings?: string[] }> {
  const method = key.slice(0, key.indexOf(' ')) as 'GET' | 'POST' | 'PUT' | 'DELETE';
  return request<Response<K>>(method, pathOf(key, args), args.body, args.headers);
}

/** `{data, warnings}` of a request. @throws RequestError */
async function request<T>(
  method: 'GET' | 'POST' | 'PUT' | 'DELETE',
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ data: T; warnings?: string[] }> {
  const res = await fetch(path, {
    method,
    credentials: 'same-origin',
    headers: {
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(method !== 'GET' ? { 'x-csrf-token': csrfToken } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
  });
  if (res.status === 204) return { data: undefined as T };
  const json = (await res.json().catch(() => ({}))) as { data?: T; warnings?: string[]; error?: ApiError };
  if (!res.ok) {
    const error = json.error ?? { code: 'http', message: `The studio answered ${res.status}.` };
    if (res.status === 401 && path !== '/api/session') onSignedOut();
    throw new RequestError(res.status, error);
  }
  return { data: json.data as T, warnings: json.warnings };
}

/** A query string of the given values (empty ones left out). */
export function query(values: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(values)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
