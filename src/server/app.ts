import http from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Store } from '../store/types.js';
import { StoreUnavailableError } from '../store/types.js';
import type { StoreState } from '../store/watched.js';
import type { BotConfig } from '../domain/clinic.js';
import { MalformedMessageError, parseEnvelope, parseServerMessage } from '../vapi/server-message.js';
import { preVerifyRequest, verifyRequest, type AuthConfig } from './auth.js';
import { handleMessage } from './messages.js';
import { ReplyCache } from './replies.js';
import { CallEventWriter } from './call-events.js';
import { recordingContext } from '../domain/recordings.js';
import type { FieldSealer } from '../domain/sealer.js';
import { printable } from '../io.js';
import { Admission, DEFAULT_ADMISSION_DEADLINE_MS } from './admission.js';
import {
  BodyBudget,
  DEFAULT_GUARD_LIMITS,
  HttpRefusal,
  MeteredBody,
  requestPeer,
  shareConnections,
  type GuardLimits,
} from './guard.js';

/** The messages admission control may refuse (they wait for work and a reply); call-log events never. */
const SHEDDABLE = new Set(['tool-calls', 'function-call', 'assistant-request']);

/** The routes and the methods each answers: anything else is answered from its headers (404/405), its body never read. */
const ROUTES: Record<string, string[]> = { '/webhook': ['POST'], '/health': ['GET', 'HEAD'] };

/** 5 MiB: an hour-long `end-of-call-report` is 1–2 MB (SEC-4). */
export const DEFAULT_BODY_LIMIT = 5 * 1024 * 1024;

/** Bytes of request bodies being read at once, over all connections (SEC-7); beyond it, 503 + Retry-After. */
export const DEFAULT_MAX_BYTES_IN_FLIGHT = DEFAULT_GUARD_LIMITS.maxBytesInFlight;

/** Open connections at once; Node drops the ones beyond at accept (SEC-7). A clinic's calls need a few dozen. */
export const DEFAULT_MAX_CONNECTIONS = DEFAULT_GUARD_LIMITS.maxConnections;

/** A client must finish its headers within this (SEC-4: dropped within 10 s; checked every 500 ms). */
export const HEADERS_TIMEOUT_MS = 8_000;

/** One handled request, as `serve` prints it. Carries no body content, secret or caller data. */
export interface WebhookEvent {
  kind: 'message';
  /** `message.type`, or '-' when the body was not read (401/413) or unparsable. */
  type: string;
  callId?: string;
  tools?: string[];
  status: number;
  outcome:
    | 'ok'
    | 'replayed'
    | 'duplicate'
    | 'tool-error'
    | 'ignored'
    | 'unknown-type'
    | 'spooled'
    | 'unauthorized'
    | 'invalid'
    | 'unavailable'
    | 'error';
  /** Why it was refused or failed (our own words, never echoing the body). */
  detail?: string;
  ms: number;
}

export interface AppOptions {
  store: Store;
  /** Whether the store answers, for `/health` (`serve` watches it with a `WatchedStore`). @default always 'connected' */
  storeState?: () => StoreState;
  /** Seals sensitive fields (public key + blind-index key only). */
  sealer: FieldSealer;
  config: BotConfig;
  now: () => Date;
  /** undefined: no authentication (`--insecure-no-auth`, loopback only). */
  auth: AuthConfig | undefined;
  bodyLimit?: number;
  /** @default DEFAULT_MAX_BYTES_IN_FLIGHT */
  maxBytesInFlight?: number;
  /** @default DEFAULT_MAX_CONNECTIONS */
  maxConnections?: number;
  /** The other limits of `src/server/guard.ts` (per-peer shares, body rate, pressure). @default DEFAULT_GUARD_LIMITS */
  limits?: Partial<GuardLimits>;
  /** A tool call or assistant request that could not be answered within this is refused with 503 at once, ms. @default DEFAULT_ADMISSION_DEADLINE_MS */
  admissionDeadlineMs?: number;
  onEvent?: (e: WebhookEvent) => void;
  /** `serve --record`: keep every authenticated, well-formed message, sealed, in `store.recordings`. */
  record?: boolean;
  /** Writes call logs and statuses; default: straight to the store, without a spool. */
  callEvents?: CallEventWriter;
  /** A failure that is a bug (a tool threw): reported once with its error. */
  onFailure?: (where: string, err: unknown) => void;
  /** A doctor's calendar feed, or undefined (404) for an unknown doctor or token. */
  calendarFeed?: (doctorId: string, token: string) => Promise<string | undefined>;
  /** Something to tell the operator once, e.g. the first message of a type this version does not know. */
  onWarning?: (message: string) => void;
}

/**
 * Builds the webhook app without listening (`serve` owns `listen`; tests use `inject`).
 * Routes: `POST /webhook` (Vapi server messages), `GET /health`.
 * Authentication runs on the raw bytes before any JSON parse (SEC-3).
 */
export function buildApp(opts: AppOptions): FastifyInstance {
  const bodyLimit = opts.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const limits: GuardLimits = {
    ...DEFAULT_GUARD_LIMITS,
    ...opts.limits,
    ...(opts.maxBytesInFlight !== undefined ? { maxBytesInFlight: opts.maxBytesInFlight } : {}),
    ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}),
  };
  const app = createServer(bodyLimit, limits);
  const callEvents = opts.callEvents ?? new CallEventWriter(opts.store, undefined);
  const emit = opts.onEvent ?? (() => {});
  const onFailure = opts.onFailure ?? (() => {});
  refuseAsJson(app, bodyLimit, emit, onFailure);
  const admission = new Admission(opts.admissionDeadlineMs ?? DEFAULT_ADMISSION_DEADLINE_MS, () =>
    opts.now().getTime(),
  );
  const arrivedAt = guardBodies(app, opts, limits, emit);
  registerReadRoutes(app, opts, admission, callEvents);
  registerWebhook(app, opts, { admission, arrivedAt, callEvents, emit, onFailure });
  return app;
}

/**
 * Fastify with Node's HTTP server tuned against slow clients (SEC-4: slow headers dropped within
 * 10 s), connections shared fairly between peers, and every body kept as raw bytes: the signature
 * covers them exactly, and nothing is parsed before it is checked.
 */
function createServer(bodyLimit: number, limits: GuardLimits): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit,
    // Slow-header clients are dropped within 10 s (SEC-4): 8 s, checked every 500 ms.
    serverFactory: (handler) => {
      const server = http.createServer(
        {
          headersTimeout: HEADERS_TIMEOUT_MS,
          requestTimeout: 30_000,
          connectionsCheckingInterval: 500,
          keepAliveTimeout: 5_000,
        },
        handler,
      );
      const stopSharing = shareConnections(server, limits);
      server.once('close', stopSharing);
      return server;
    },
  });
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  return app;
}

type Emit = (e: WebhookEvent) => void;
type OnFailure = (where: string, err: unknown) => void;

/** What Fastify refuses before a handler runs (a body over the limit or too slow), answered as JSON and reported. */
function refuseAsJson(app: FastifyInstance, bodyLimit: number, emit: Emit, onFailure: OnFailure): void {
  app.setErrorHandler((err: { statusCode?: number; code?: string; message: string }, _req, reply) => {
    if (err instanceof HttpRefusal) {
      // A body refused mid-way (the budget, a trickle): the rest of it is not read.
      emit({
        kind: 'message',
        type: '-',
        status: err.statusCode,
        outcome: err.statusCode === 503 ? 'unavailable' : 'invalid',
        detail: err.message,
        ms: 0,
      });
      if (err.retryAfterSeconds) void reply.header('retry-after', String(err.retryAfterSeconds));
      return reply
        .code(err.statusCode)
        .header('connection', 'close')
        .send({ error: err.statusCode === 503 ? 'busy' : 'too slow' });
    }
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    const detail =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `body larger than ${bodyLimit} bytes`
        : status === 500
          ? 'internal error'
          : err.message;
    if (status === 500) onFailure('webhook', err);
    emit({ kind: 'message', type: '-', status, outcome: status === 413 ? 'invalid' : 'error', detail, ms: 0 });
    void reply.code(status).send({ error: detail });
  });
}

/**
 * Guards each webhook body before a byte of it is read, and meters it as it arrives; returns when
 * each request arrived (ms), which the admission deadline counts from.
 */
function guardBodies(app: FastifyInstance, opts: AppOptions, limits: GuardLimits, emit: Emit): WeakMap<object, number> {
  // Before a byte of the body is read (SEC-7): decided on the route Fastify will run (it decodes
  // `/%77ebhook` to `/webhook`), so no spelling of a path escapes the guard. An unknown route or method
  // is answered from its headers; a request whose headers already fail (no credential, a wrong bearer
  // token, a malformed, stale or missing HMAC timestamp) is refused. Either way the connection closes,
  // so the rest of the upload is never taken in.
  const budget = new BodyBudget(limits);
  const arrivedAt = new WeakMap<object, number>();
  /** The webhook bodies `onRequest` let in: whose they are, and the slot to give back once read. */
  const opened = new WeakMap<object, { peer: string; close: () => void }>();
  app.addHook('onRequest', async (req, reply) => {
    arrivedAt.set(req, opts.now().getTime());
    const route = req.routeOptions.url;
    if (route === undefined) {
      const path = decodedPath(req.url);
      const methods = path !== undefined ? ROUTES[path] : undefined;
      const status = methods ? 405 : 404;
      emit({
        kind: 'message',
        type: '-',
        status,
        outcome: 'invalid',
        detail: methods ? 'method not allowed' : 'no such route',
        ms: 0,
      });
      if (methods) void reply.header('allow', methods.join(', '));
      return reply
        .code(status)
        .header('connection', 'close')
        .send({ error: methods ? 'method not allowed' : 'not found' });
    }
    if (req.method !== 'POST' || route !== '/webhook') return;
    if (opts.auth) {
      const verdict = preVerifyRequest(opts.auth, req.headers, opts.now().getTime(), {
        method: req.method,
        url: req.url,
      });
      if (!verdict.ok) {
        emit({ kind: 'message', type: '-', status: 401, outcome: 'unauthorized', detail: verdict.reason, ms: 0 });
        return reply.code(401).header('connection', 'close').send({ error: 'unauthorized' });
      }
    }
    const length = Number(req.headers['content-length']);
    const peer = requestPeer(req.socket, req.headers['x-forwarded-for']);
    const body = budget.open(peer, Number.isSafeInteger(length) && length >= 0 ? length : undefined);
    if (!body.ok) {
      emit({ kind: 'message', type: '-', status: 503, outcome: 'unavailable', detail: `busy: ${body.reason}`, ms: 0 });
      return reply.code(503).header('retry-after', '1').header('connection', 'close').send({ error: 'busy' });
    }
    // The slot is the body's while it is read: given back once the body has arrived (or the reply is gone).
    opened.set(req, { peer, close: body.close });
    reply.raw.once('close', body.close);
  });
  // The body counts against the in-flight budget as its bytes arrive, never by what Content-Length
  // promises: a client that declares 5 MiB and sends nothing holds nothing, and is dropped once it falls
  // below the floor rate.
  app.addHook('preParsing', async (req, reply, payload) => {
    // Only the webhook bodies onRequest let in; other routes are read as Fastify reads them.
    const body = opened.get(req);
    if (!body) return payload;
    const meter = new MeteredBody(budget, body.peer, limits, (release) => reply.raw.once('close', release));
    meter.once('end', body.close);
    payload.on('error', (err) => meter.destroy(err));
    return payload.pipe(meter);
  });

  return arrivedAt;
}

/** `GET /health` and the doctors' calendar feeds. */
function registerReadRoutes(
  app: FastifyInstance,
  opts: AppOptions,
  admission: Admission,
  callEvents: CallEventWriter,
): void {
  // `ok`: the process serves. `status`: `degraded` while the store does not answer (tool calls get
  // the spoken apology, call-log events are spooled). `spoolDepth`: call-log events acknowledged
  // but not yet in the store (DUR-2). Always 200: a degraded serve still answers Vapi.
  app.get('/health', async () => {
    const store = opts.storeState?.() ?? 'connected';
    const status = store !== 'connected' ? 'degraded' : admission.overloaded ? 'overloaded' : 'ok';
    return { ok: true, status, store, spoolDepth: callEvents.depth, shed: admission.shed };
  });

  // Doctors' calendar feeds: no webhook credential (calendar apps cannot sign),
  // the unguessable token in the path instead; an unknown doctor and a wrong token are the same 404.
  app.get<{ Params: { doctor: string; file: string } }>('/calendars/:doctor/:file', async (req, reply) => {
    const token = /^([A-Za-z0-9_-]{20,100})\.ics$/.exec(req.params.file)?.[1];
    const ics = token && opts.calendarFeed ? await opts.calendarFeed(req.params.doctor, token) : undefined;
    if (!ics) return reply.code(404).send({ error: 'not found' });
    return reply
      .header('content-type', 'text/calendar; charset=utf-8')
      .header('cache-control', 'private, max-age=300')
      .send(ics);
  });
}

/**
 * `serve --record`: each message kept, sealed, before it is handled, so a replay sees what the
 * handler saw. A failure to record never fails the request.
 */
function messageRecorder(opts: AppOptions, onFailure: OnFailure) {
  let recordSeq = 0;
  return async (callId: string, type: string, raw: Buffer) => {
    const at = opts.now().toISOString();
    const seq = ++recordSeq;
    try {
      const body = opts.sealer.seal(raw.toString('utf8'), recordingContext(callId, at, seq));
      await opts.store.recordings.append({ callId, type, at, seq, body });
    } catch (err) {
      onFailure('recording a message', err);
    }
  };
}

/** `POST /webhook`: a Vapi server message, authenticated, admitted or refused, handled, answered. */
function registerWebhook(
  app: FastifyInstance,
  opts: AppOptions,
  parts: {
    admission: Admission;
    arrivedAt: WeakMap<object, number>;
    callEvents: CallEventWriter;
    emit: Emit;
    onFailure: OnFailure;
  },
): void {
  const { admission, arrivedAt, callEvents, emit, onFailure } = parts;
  const replies = new ReplyCache(opts.store, opts.now);
  const unknownTypes = new Set<string>();
  const recordMessage = messageRecorder(opts, onFailure);

  app.post('/webhook', async (req, reply) => {
    const started = performance.now();
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const done = (e: Omit<WebhookEvent, 'kind' | 'ms'>, body: unknown) => {
      emit({ kind: 'message', ...e, ms: Math.round((performance.now() - started) * 100) / 100 });
      return reply.code(e.status).send(body);
    };
    let sentAt = arrivedAt.get(req) ?? opts.now().getTime();
    if (opts.auth) {
      const verdict = verifyRequest(opts.auth, req.headers, raw, opts.now().getTime(), {
        method: req.method,
        url: req.url,
      });
      if (!verdict.ok)
        return done(
          { type: '-', status: 401, outcome: 'unauthorized', detail: verdict.reason },
          { error: 'unauthorized' },
        );
      if (verdict.sentAtMs !== undefined) sentAt = Math.min(sentAt, verdict.sentAtMs);
    }
    let type = '-';
    let callId: string | undefined;
    try {
      const envelope = parseEnvelope(raw);
      type = String(envelope.type).slice(0, 64);
      const message = parseServerMessage(envelope);
      callId = message.callId;
      // Admission (PERF-7): what would be answered after the deadline is refused now; call-log
      // events and the other acknowledgements are never refused.
      // Vapi waits 7.5 s for an assistant request, whatever the tools' timeout (docs events).
      const deadline =
        message.type === 'assistant-request' ? Math.min(admission.deadlineMs, 7_000) : admission.deadlineMs;
      if (SHEDDABLE.has(message.type)) {
        const verdict = admission.admit(opts.now().getTime() - sentAt, deadline);
        if (!verdict.ok) {
          void reply.header('retry-after', '1');
          return done(
            {
              type,
              callId,
              status: 503,
              outcome: 'unavailable',
              detail: `overloaded: it would be answered after ${verdict.expectedMs} ms (deadline ${deadline} ms)`,
            },
            { error: 'busy' },
          );
        }
      }
      const finished = admission.begin();
      reply.raw.once('close', finished);
      if (opts.record) await recordMessage(callId ?? '', type, raw);
      const handled = await handleMessage(message, raw, {
        store: opts.store,
        sealer: opts.sealer,
        config: opts.config,
        now: opts.now,
        replies,
        callEvents,
        onToolFailure: (tool, err) => onFailure(`tool ${tool}`, err),
      });
      if (handled.outcome === 'unknown-type' && !unknownTypes.has(type) && unknownTypes.size < 100) {
        unknownTypes.add(type);
        (opts.onWarning ?? (() => {}))(
          `Vapi sent a message of type "${printable(type)}", which this version does not know; it was acknowledged with 200 {} and ignored.`,
        );
      }
      if (SHEDDABLE.has(message.type) && admission.tooLate(opts.now().getTime() - sentAt, deadline)) {
        // Done, but after the deadline: Vapi may have given up. Its retry gets the stored reply at once.
        void reply.header('retry-after', '1');
        return done(
          {
            type,
            callId,
            tools: handled.tools,
            status: 503,
            outcome: 'unavailable',
            detail: 'overloaded: done after the deadline; the reply is kept for the retry',
          },
          { error: 'busy' },
        );
      }
      return done(
        { type, callId, tools: handled.tools, status: handled.status, outcome: handled.outcome },
        handled.body,
      );
    } catch (err) {
      if (err instanceof MalformedMessageError)
        return done({ type, callId, status: 400, outcome: 'invalid', detail: err.message }, { error: err.message });
      if (err instanceof StoreUnavailableError) {
        return done(
          { type, callId, status: 503, outcome: 'unavailable', detail: err.message },
          { error: 'The store is unavailable; retry shortly.' },
        );
      }
      onFailure(`message ${type}`, err);
      return done(
        { type, callId, status: 500, outcome: 'error', detail: 'internal error' },
        { error: 'internal error' },
      );
    }
  });
}

/** A request's path, percent-decoded as the router reads it; undefined when it does not decode. */
function decodedPath(url: string): string | undefined {
  try {
    return decodeURIComponent(url.split('?')[0] ?? '');
  } catch {
    return undefined;
  }
}
