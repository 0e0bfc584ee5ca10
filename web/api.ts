/** The studio's JSON API, from the page: same-origin, with the session's CSRF token on every write. */

export interface ApiError {
  code: string;
  message: string;
  hint?: string;
  /** Sent again with `?force=1`, it goes through (a change the command line needs --force for). */
  confirm?: boolean;
}

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

/** `{data, warnings}` of a request. @throws RequestError */
export async function api<T>(
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
