import fs from 'node:fs';
import path from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import { ZodError } from 'zod';
import { printable } from '../io.js';
import { EXIT } from '../errors.js';
import { KeyringAuthError, namesOnly, unlock, wipe, type Unlocked } from '../domain/keyring.js';
import { appendAudit } from '../domain/audit.js';
import {
  CSRF_HEADER,
  GATE_COOKIE,
  GATE_TTL_MS,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  sameSecret,
  type StudioAuth,
  type StudioSession,
} from './auth.js';
import type { Me, Route } from './contract.js';
import type { StudioHost } from './operations.js';
import { registerRoutes, type RegisterRoute } from './routes.js';
import { problemOf, SCHEMAS } from './schemas.js';

/** What the terminal is told about (sign-ins, refused requests, failures). */
export type StudioEvent =
  | { kind: 'sign-in'; username: string; role: string }
  | { kind: 'sign-in-failed'; username: string }
  | { kind: 'failure'; where: string; error: string };

export interface StudioAppOptions<C> {
  /** What the studio runs on: the store, the clock, each request's context, the operations. */
  host: StudioHost<C>;
  auth: StudioAuth;
  /** The built front end: `index.html` and `assets/` (dist/web). */
  assetsDir: string;
  onEvent?: (e: StudioEvent) => void;
}

/** The pages of the single-page app (each serves index.html). */
export const PAGES = ['/', '/today', '/calls', '/calls/:id', '/assistant', '/metrics', '/doctors', '/outbox'];

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  // The one-time token is in the first URL: no page ever sends it on.
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** HTTP status of a failed request, by the exit code the same failure has on the command line. */
const STATUS: Record<number, number> = {
  [EXIT.error]: 422,
  [EXIT.usage]: 400,
  [EXIT.store]: 503,
  [EXIT.needsInput]: 400,
  [EXIT.auth]: 403,
  [EXIT.network]: 502,
  [EXIT.pending]: 409,
  // Refused because it would break the live line (another machine's webhook secret): a conflict with Vapi's state.
  [EXIT.refused]: 409,
};

/**
 * The JSON body of a refusal: `{error: {code, message, hint?, confirm?}}` (`code` as in `--json`
 * errors; `confirm`: sent again with `?force=1`, it goes through).
 */
export function errorBody(code: string, message: string, hint?: string, confirm?: boolean) {
  return { error: { code, message, ...(hint ? { hint } : {}), ...(confirm ? { confirm } : {}) } };
}

const cookieBase = { httpOnly: true, sameSite: 'strict' as const, path: '/' };

/**
 * The studio's HTTP app (no listen): the one-time link, sign-in, the pages and the JSON API under
 * `/api/` (src/studio/contract.ts). Every request must name this server in its Host header
 * (127.0.0.1 or localhost at its own port), so a page elsewhere cannot reach it through DNS
 * rebinding. Pages and the API need the gate cookie the link sets or a session; every write also
 * needs the session's CSRF token in {@link CSRF_HEADER}, a JSON body, and no cross-site `Origin`
 * or `Sec-Fetch-Site`.
 */
export async function buildStudioApp<C>(o: StudioAppOptions<C>): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 256 * 1024, trustProxy: false });
  await app.register(fastifyCookie);
  await app.register(fastifyStatic, {
    root: path.join(o.assetsDir, 'assets'),
    prefix: '/assets/',
    // File names carry their content hash.
    immutable: true,
    maxAge: '365d',
    index: false,
    list: false,
  });
  const failure = failureReply(o);
  refuseForeignRequests(app);
  servePages(app, o);
  registerSession(app, o, failure);
  registerRoutes(apiRoute(app, o, failure), o.host.operations);
  app.setNotFoundHandler((req, reply) =>
    req.url.startsWith('/api/')
      ? reply
          .code(404)
          .send(errorBody('not-found', `No such API route: ${req.method} ${req.url.replace(/\?.*$/, '')}.`))
      : reply.code(404).type('text/html').send(denied('No such page.', '<a href="/today">Today</a>')),
  );
  // What fastify refuses before a handler runs (a body that is not JSON, too large): the same shape.
  app.setErrorHandler((err: { statusCode?: number; message: string }, _req, reply) => {
    const status = err.statusCode ?? 500;
    if (status >= 500) return failure(reply, err, 'the request');
    return reply.code(status).send(errorBody('usage', `The request was refused: ${err.message}`));
  });
  return app;
}

type Failure = (reply: FastifyReply, err: unknown, where: string) => FastifyReply;

/** A failure as the page reads it: a user's error with the status of its exit code, else 500 and the terminal told. */
function failureReply<C>(o: StudioAppOptions<C>): Failure {
  return (reply, err, where) => {
    if (err instanceof ZodError) return reply.code(400).send(errorBody('usage', problemOf(err)));
    const e = o.host.explain(err);
    if (e) {
      const code = (Object.keys(EXIT) as Array<keyof typeof EXIT>).find((k) => EXIT[k] === e.exitCode) ?? 'error';
      // The command line's messages name its flags; a form names the same fields without the dashes.
      const message = e.message.replace(/--(?=[a-z])/g, '');
      const confirm = (e as { confirm?: boolean }).confirm;
      return reply.code(STATUS[e.exitCode] ?? 422).send(errorBody(code, message, e.hint, confirm));
    }
    o.onEvent?.({ kind: 'failure', where, error: err instanceof Error ? err.message : String(err) });
    return reply
      .code(500)
      .send(errorBody('internal', 'Unexpected failure; the terminal running the studio says more.'));
  };
}

/** Security headers on every answer; another Host, or a cross-site write, refused before anything runs. */
function refuseForeignRequests(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) reply.header(k, v);
    if (!isOwnHost(req)) {
      return reply.code(403).type('text/plain').send('This studio answers only on 127.0.0.1 or localhost.');
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      const why = crossSite(req);
      if (why)
        return reply
          .code(403)
          .send(errorBody('cross-site', `Refused: ${why}. The studio takes changes from its own page only.`));
    }
  });
}

/** The pages: the one-time link sets the gate cookie (and is redirected away); without it or a session, 401. */
function servePages<C>(app: FastifyInstance, o: StudioAppOptions<C>): void {
  const { auth } = o;
  const indexHtml = fs.readFileSync(path.join(o.assetsDir, 'index.html'), 'utf8');
  const page = async (req: FastifyRequest, reply: FastifyReply) => {
    const token = (req.query as Record<string, unknown>).token;
    if (typeof token === 'string') {
      const gate = auth.redeemToken(token);
      if (!gate)
        return reply
          .code(401)
          .type('text/html')
          .send(
            denied(
              'This link is not valid, or it was used already: each link opens the studio once.',
              'Press Enter where <code>receptionist studio</code> runs for a new link.',
            ),
          );
      reply.setCookie(GATE_COOKIE, gate, { ...cookieBase, maxAge: GATE_TTL_MS / 1000 });
      return reply.redirect(req.url.replace(/\?.*$/, ''), 303);
    }
    if (!auth.hasGate(req.cookies[GATE_COOKIE]) && !auth.session(req.cookies[SESSION_COOKIE]))
      return reply
        .code(401)
        .type('text/html')
        .send(denied('Open the studio with the link that <code>receptionist studio</code> printed.'));
    return reply.type('text/html').header('cache-control', 'no-store').send(indexHtml);
  };
  for (const url of PAGES) app.get(url, page);
}

/** Sign-in (checked, slowed and audited as the command line's unlock), sign-out, and who is signed in. */
function registerSession<C>(app: FastifyInstance, o: StudioAppOptions<C>, failure: Failure): void {
  const { auth, host } = o;
  app.post('/api/session', async (req, reply) => {
    if (!auth.hasGate(req.cookies[GATE_COOKIE]) && !auth.session(req.cookies[SESSION_COOKIE]))
      return reply.code(401).send(errorBody('auth', 'Open the studio with the link its terminal printed.'));
    const body = (req.body ?? {}) as Record<string, unknown>;
    const username = typeof body.username === 'string' ? body.username.trim() : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!username || !password || username.length > 64 || password.length > 1024)
      return reply.code(400).send(errorBody('usage', 'Give a username and a password.'));
    const store = await host.store();
    let me: Unlocked;
    try {
      me = await unlock(store, username, password, { now: host.now(), sleep: host.sleep, command: 'studio' });
    } catch (err) {
      if (!(err instanceof KeyringAuthError)) return failure(reply, err, 'signing in');
      o.onEvent?.({ kind: 'sign-in-failed', username: printable(username) });
      return reply.code(401).send(errorBody('auth', 'Wrong username or password.'));
    }
    // Audited before the session exists: a sign-in the audit log cannot take does not happen.
    try {
      await appendAudit(store, {
        at: host.now().toISOString(),
        user: me.username,
        action: 'studio.sign-in',
        details: { role: me.role },
      });
    } catch (err) {
      wipe(me);
      return failure(reply, err, 'signing in');
    }
    // A sign-in in a browser that had a session ends that one.
    const previous = auth.session(req.cookies[SESSION_COOKIE]);
    if (previous) auth.end(previous.id);
    const s = auth.signIn(await namesOnly(store, me));
    o.onEvent?.({ kind: 'sign-in', username: s.username, role: s.role });
    reply.setCookie(SESSION_COOKIE, s.id, { ...cookieBase, maxAge: SESSION_TTL_MS / 1000 });
    return reply.header('cache-control', 'no-store').send({ data: sessionView(s) });
  });
  app.delete('/api/session', async (req, reply) => {
    const s = auth.session(req.cookies[SESSION_COOKIE]);
    if (s) auth.end(s.id);
    reply.clearCookie(SESSION_COOKIE, cookieBase);
    return reply.code(204).send();
  });
  app.get('/api/me', async (req, reply) => {
    const s = guard(auth, req, reply, {});
    if (!s) return reply;
    return reply.header('cache-control', 'no-store').send({ data: sessionView(s) });
  });
}

/** The session of a request, or a 401/403 reply sent (no session; a write without its CSRF token; not an admin). */
function guard(
  auth: StudioAuth,
  req: FastifyRequest,
  reply: FastifyReply,
  opts: { role?: 'admin' },
): StudioSession | undefined {
  const s = auth.session(req.cookies[SESSION_COOKIE]);
  if (!s) {
    void reply.code(401).send(errorBody('auth', 'Not signed in, or the session has ended.'));
    return undefined;
  }
  if (req.method !== 'GET' && !sameSecret(String(req.headers[CSRF_HEADER] ?? ''), s.csrfToken)) {
    void reply.code(403).send(errorBody('csrf', 'Refused: the request lacks this session’s CSRF token.'));
    return undefined;
  }
  if (opts.role && s.role !== opts.role) {
    void reply.code(403).send(errorBody('forbidden', `Only an admin may do this; ${s.username} is a ${s.role}.`));
    return undefined;
  }
  return s;
}

/**
 * Registers routes of the contract: the session (and role) checked, the query and body checked
 * against the route's schema, the password unlocked where the route opens sealed data, the
 * operation run in a request scope; its result sent as `{data, warnings}`, a failure as `{error}`.
 */
function apiRoute<C>(app: FastifyInstance, o: StudioAppOptions<C>, failure: Failure): RegisterRoute<C> {
  return (key, opts, run) => {
    const [method, url] = key.split(' ') as ['GET' | 'POST' | 'PUT' | 'DELETE', string];
    app.route({
      method,
      url,
      handler: async (req, reply) => {
        const session = guard(o.auth, req, reply, opts);
        if (!session) return reply;
        const scope = o.host.scope(session);
        try {
          const input = parseInput(key, req);
          if (opts.unlock) scope.unlockWith((input.body as { password: string }).password);
          const data = await run(input as never, scope.ctx);
          const warnings = scope.warnings();
          return reply.header('cache-control', 'no-store').send({ data, ...(warnings.length ? { warnings } : {}) });
        } catch (err) {
          return failure(reply, err, key);
        } finally {
          scope.done();
        }
      },
    });
  };
}

/** A request's path parameters, query and body, the last two checked by the route's schema. @throws ZodError */
function parseInput(key: Route, req: FastifyRequest) {
  const schema = SCHEMAS[key];
  const headers = Object.fromEntries(
    Object.entries(req.headers).flatMap(([k, v]) => (typeof v === 'string' ? [[k, v]] : [])),
  );
  return {
    params: req.params as Record<string, string>,
    query: schema?.query ? schema.query.parse(req.query ?? {}) : req.query,
    body: schema?.body ? schema.body.parse(req.body ?? {}) : req.body,
    headers,
  };
}

/** What the page knows of its session. */
function sessionView(s: StudioSession): Me {
  return { username: s.username, role: s.role, csrfToken: s.csrfToken };
}

/** Whether the Host header names this server: a loopback name at the port the request came in on. */
function isOwnHost(req: FastifyRequest): boolean {
  const host = req.headers.host ?? '';
  const port = req.socket.localPort;
  return ['127.0.0.1', 'localhost', '[::1]'].some((name) => host === `${name}:${port}`);
}

/** Why a write is cross-site, if it is: a foreign Origin, `Sec-Fetch-Site`, or a body that is not JSON. */
function crossSite(req: FastifyRequest): string | undefined {
  const site = req.headers['sec-fetch-site'];
  if (site && site !== 'same-origin' && site !== 'none') return `a ${String(site)} request`;
  const origin = req.headers.origin;
  if (origin && origin !== `http://${req.headers.host}`) return `a request from ${printable(String(origin))}`;
  const type = req.headers['content-type'];
  if (req.method !== 'DELETE' && !String(type ?? '').startsWith('application/json')) return 'the body is not JSON';
  return undefined;
}

/** The page sent with a 401: what went wrong, and where the link comes from. */
function denied(what: string, next = ''): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>receptionist studio</title></head><body><main><h1>receptionist studio</h1><p>${what}</p>${next ? `<p>${next}</p>` : ''}</main></body></html>`;
}
