import type http from 'node:http';
import type net from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import { KeyedCounts } from '../keyed-counts.js';

/**
 * What keeps `serve` answering while unauthenticated clients misbehave (SEC-7, SEC-9): connection
 * slots and body bytes are shared out per peer, bodies count only the bytes that arrived, a body that
 * trickles is dropped, and under pressure a connection that has not sent a request gives way.
 * Every limit, its default and why: `docs/security.md`, "Limits".
 */
export interface GuardLimits {
  /** Open connections at once; Node refuses the ones beyond at accept. @default 256 */
  maxConnections: number;
  /** Open connections one peer (IP address) may hold. @default 64 (a quarter) */
  perPeerConnections: number;
  /** Body bytes being read at once, over all requests; beyond it, 503 + Retry-After. @default 32 MiB */
  maxBytesInFlight: number;
  /** Body bytes one peer may have in flight. @default 8 MiB (a quarter) */
  perPeerBytesInFlight: number;
  /**
   * Large bodies (more than {@link LARGE_BODY} bytes declared, or no length) being read at once;
   * beyond it, 503 from the headers. Small ones (a tool call) are not counted. @default 8
   */
  maxBodiesInFlight: number;
  /** Large bodies one peer may have being read. @default 2 (a quarter) */
  perPeerBodiesInFlight: number;
  /** A body must arrive at least this fast once {@link bodyGraceMs} has passed, bytes/s; else 408. @default 64 KiB/s */
  minBodyBytesPerSecond: number;
  /** How long a body may take before its rate counts, ms. @default 2000 */
  bodyGraceMs: number;
  /** With more than 3/4 of the slots open, a connection that has not sent a complete request for this long is closed, ms. @default 2000 */
  pressureIdleMs: number;
}

export const DEFAULT_GUARD_LIMITS: GuardLimits = {
  maxConnections: 256,
  perPeerConnections: 64,
  maxBytesInFlight: 32 * 1024 * 1024,
  perPeerBytesInFlight: 8 * 1024 * 1024,
  maxBodiesInFlight: 8,
  perPeerBodiesInFlight: 2,
  minBodyBytesPerSecond: 64 * 1024,
  bodyGraceMs: 2_000,
  pressureIdleMs: 2_000,
};

/** A body declaring more than this (bytes) takes one of the large-body slots: an end-of-call report, an upload. */
export const LARGE_BODY = 64 * 1024;

/** An HTTP error a stream or hook raises, answered with its status (and `Connection: close`). */
export class HttpRefusal extends Error {
  constructor(
    readonly statusCode: number,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'HttpRefusal';
  }
}

/**
 * The addresses of our own proxy or tunnel (the ngrok agent inside `serve`, an nginx in front of it):
 * they carry every caller's traffic, so no per-peer share applies to them; the per-peer shares are for
 * clients that reach `serve` directly (and, through the tunnel, for each `X-Forwarded-For` address).
 */
export const PROXY_PEERS = new Set(['127.0.0.1', '::1']);

/** The peer a socket belongs to: its remote address (IPv4-mapped IPv6 written as IPv4). */
export function peerOf(socket: net.Socket | undefined): string {
  const a = socket?.remoteAddress ?? '?';
  return a.startsWith('::ffff:') ? a.slice(7) : a;
}

/**
 * The peer of a request: behind our own tunnel (a loopback socket carrying `X-Forwarded-For`, as the
 * ngrok agent inside `serve` sends it) the first forwarded address, else the socket's.
 */
export function requestPeer(socket: net.Socket | undefined, forwardedFor: string | string[] | undefined): string {
  const peer = peerOf(socket);
  const first = (Array.isArray(forwardedFor) ? forwardedFor[0] : forwardedFor)?.split(',')[0]?.trim();
  const loopback = peer === '127.0.0.1' || peer === '::1' || peer.startsWith('127.');
  return loopback && first ? first : peer;
}

/** Body bytes and bodies in flight, in total and per peer. */
export class BodyBudget {
  private total = 0;
  private readonly byPeer = new KeyedCounts();
  private bodies = 0;
  private readonly bodiesByPeer = new KeyedCounts();

  constructor(
    private readonly limits: Pick<
      GuardLimits,
      'maxBytesInFlight' | 'perPeerBytesInFlight' | 'maxBodiesInFlight' | 'perPeerBodiesInFlight'
    >,
  ) {}

  /**
   * A body about to be read, decided from the headers: refused when as many are being read as the
   * limits allow, or when the bytes already in flight fill the budget (their buffers are memory too).
   * Returns the function that ends it, or why not.
   */
  open(peer: string, declared: number | undefined): { ok: true; close: () => void } | { ok: false; reason: string } {
    const mine = this.bodiesByPeer.get(peer);
    if (this.total >= this.limits.maxBytesInFlight)
      return { ok: false, reason: `${this.total} bytes of bodies in flight` };
    if (declared !== undefined && declared <= LARGE_BODY) return { ok: true, close: () => {} };
    if (this.bodies >= this.limits.maxBodiesInFlight)
      return { ok: false, reason: `${this.bodies} large bodies being read` };
    if (mine >= this.limits.perPeerBodiesInFlight && !PROXY_PEERS.has(peer))
      return { ok: false, reason: 'this peer has its share of large bodies being read' };
    this.bodies++;
    this.bodiesByPeer.add(peer, 1);
    let closed = false;
    return {
      ok: true,
      close: () => {
        if (closed) return;
        closed = true;
        this.bodies--;
        this.bodiesByPeer.add(peer, -1);
      },
    };
  }

  /** Takes `n` bytes for `peer`, or says why not. */
  take(peer: string, n: number): 'ok' | 'busy' | 'peer' {
    const mine = this.byPeer.get(peer);
    if (mine + n > this.limits.perPeerBytesInFlight && !PROXY_PEERS.has(peer)) return 'peer';
    if (this.total + n > this.limits.maxBytesInFlight) return 'busy';
    this.total += n;
    this.byPeer.add(peer, n);
    return 'ok';
  }

  release(peer: string, n: number): void {
    if (!n) return;
    this.total -= n;
    this.byPeer.add(peer, -n);
  }

  get inFlight(): number {
    return this.total;
  }
}

/**
 * A request body as it arrives, counted against the budget chunk by chunk (never by its declared
 * `Content-Length`) and released when the response closes; a body slower than the floor after the
 * grace period is ended with a 408. `receivedEncodedLength` is what Fastify checks the length against.
 */
export class MeteredBody extends Transform {
  receivedEncodedLength = 0;
  private taken = 0;
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly budget: BodyBudget,
    private readonly peer: string,
    private readonly limits: Pick<GuardLimits, 'minBodyBytesPerSecond' | 'bodyGraceMs'>,
    onClose: (release: () => void) => void,
  ) {
    super();
    this.timer = setInterval(() => this.checkRate(), 250);
    this.timer.unref();
    onClose(() => this.release());
    this.once('end', () => clearInterval(this.timer));
    this.once('close', () => clearInterval(this.timer));
  }

  private checkRate(): void {
    const elapsed = Date.now() - this.started;
    if (elapsed < this.limits.bodyGraceMs) return;
    if (this.receivedEncodedLength < (this.limits.minBodyBytesPerSecond * elapsed) / 1000)
      this.destroy(
        new HttpRefusal(408, `body slower than ${this.limits.minBodyBytesPerSecond} bytes/s after ${elapsed} ms`),
      );
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    const verdict = this.budget.take(this.peer, chunk.length);
    if (verdict !== 'ok')
      return cb(
        new HttpRefusal(
          503,
          verdict === 'peer'
            ? `busy: this peer has its share of bodies in flight`
            : `busy: ${this.budget.inFlight} bytes of bodies in flight`,
          1,
        ),
      );
    this.taken += chunk.length;
    this.receivedEncodedLength += chunk.length;
    cb(null, chunk);
  }

  private release(): void {
    clearInterval(this.timer);
    this.budget.release(this.peer, this.taken);
    this.taken = 0;
  }
}

/**
 * Shares the connection slots of `server` out: a peer beyond its share is closed at accept, and while
 * more than 3/4 of the slots are taken, a connection that has held a slot for `pressureIdleMs` without
 * a request in progress (slow headers, an idle keep-alive) is closed, newest arrivals kept.
 * Returns a function that stops the sweep.
 */
export function shareConnections(server: http.Server, limits: GuardLimits): () => void {
  server.maxConnections = limits.maxConnections;
  const open = new Map<net.Socket, { peer: string; since: number; active: number }>();
  const byPeer = new KeyedCounts();
  server.on('connection', (socket: net.Socket) => {
    const peer = peerOf(socket);
    if (byPeer.get(peer) >= limits.perPeerConnections && !PROXY_PEERS.has(peer)) {
      socket.destroy();
      return;
    }
    byPeer.add(peer, 1);
    open.set(socket, { peer, since: Date.now(), active: 0 });
    socket.once('close', () => {
      open.delete(socket);
      byPeer.add(peer, -1);
    });
  });
  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const s = open.get(req.socket);
    if (!s) return;
    s.active++;
    res.once('close', () => {
      s.active--;
      s.since = Date.now();
    });
  });
  const sweep = setInterval(() => {
    if (open.size <= (limits.maxConnections * 3) / 4) return;
    const now = Date.now();
    for (const [socket, s] of open) if (s.active === 0 && now - s.since >= limits.pressureIdleMs) socket.destroy();
  }, 250);
  sweep.unref();
  return () => clearInterval(sweep);
}
