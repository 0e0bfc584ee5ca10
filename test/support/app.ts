import type { FastifyInstance } from 'fastify';
import { buildApp, type WebhookEvent } from '../../src/server/app.js';
import { DEFAULT_TOLERANCE_SECONDS, PRE_SYNC_PLANS, signBody, type AuthConfig } from '../../src/server/auth.js';
import { loadBotConfig, type ClinicSettings } from '../../src/domain/clinic.js';
import type { Store } from '../../src/store/types.js';
import { hasKeyring, initKeyring, unlock, type Unlocked } from '../../src/domain/keyring.js';
import { sealerForStore, type FieldSealer } from '../../src/domain/sealer.js';
import { sealExistingData } from '../../src/domain/seal-migration.js';
import { seededStore, tempDir } from './store.js';
import { seedStore } from '../../src/commands/seed/seed.js';
import { CallEventWriter, type CallEvent, type SpoolEvent } from '../../src/server/call-events.js';
import { Spool } from '../../src/store/spool.js';
import { WatchedStore, type StoreEvent } from '../../src/store/watched.js';

export const SECRET = 'test-secret-0123456789abcdef';
/** The admin every test store is created with; a cheap scrypt cost keeps tests fast. */
export const ADMIN = { username: 'admin', password: 'admin-passphrase-123' };
export const FAST_KDF = { N: 2 ** 10, r: 8, p: 1 };
export const BLIND_KEY = Buffer.alloc(32, 7);

/** book_appointment arguments: Dr. Priya Rao (cardiology) on Monday 23 November at 10 AM. */
export const RAO_BOOKING = {
  name: 'A B',
  email: 'a@b.co',
  phone: '+919812345678',
  date: 'Monday 23 November at 10am',
  reason: 'x',
  doctor: 'Rao',
};

/** book_appointment arguments as a caller says them: a general physician on Tuesday 24 November at 11 AM. */
export const RAVI_BOOKING = {
  name: 'Ravi Kumar',
  email: 'ravi dot kumar at example dot com',
  phone: '98450 12345',
  date: 'Tuesday 24 November at 11am',
  reason: 'fever',
  specialty: 'general medicine',
};

/** Saturday 21 November 2026, 10:00 in Asia/Kolkata: the fixed "now" of server tests. */
export const NOW = new Date('2026-11-21T04:30:00.000Z');

export interface TestServer {
  app: FastifyInstance;
  sealer: FieldSealer;
  /** Unlocks the test admin's keys (to check what was sealed). */
  unlock(): Promise<Unlocked>;
  store: Store;
  callEvents: CallEventWriter;
  dir: string;
  events: WebhookEvent[];
  /** Warnings the app gave the operator (an unknown message type, once per type). */
  warnings: string[];
  clock: { now: Date };
  /** POSTs a message signed with HMAC; returns status and parsed body. */
  send(
    message: Record<string, unknown>,
    opts?: { headers?: Record<string, string>; raw?: string; signedAt?: Date },
  ): Promise<{ status: number; body: any; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * A seeded store (local in a temp dir, or `opts.store` seeded in place) behind the webhook app.
 * `opts.spool`: call-log events go through a `CallEventWriter` with a spool in the temp dir.
 */
export async function startTestServer(
  opts: {
    auth?: AuthConfig | null;
    dir?: string;
    store?: Store;
    spool?: boolean;
    maxBytesInFlight?: number;
    onSpoolEvent?: (e: SpoolEvent) => void;
    /** The blind-index key (default {@link BLIND_KEY}): a store the CLI made has its own in .env. */
    blindKey?: Buffer;
    /** Watch the store as serve does (its state in /health); its events go here. */
    onStoreEvent?: (e: StoreEvent) => void;
    /** Clinic settings over the seeded ones (in the store too), e.g. `{ reminderHours: 0 }`. */
    clinic?: Partial<ClinicSettings>;
    /** serve's `--admission-deadline`, ms. */
    admissionDeadlineMs?: number;
  } = {},
): Promise<TestServer> {
  const tmp = opts.dir ? { dir: opts.dir, cleanup: () => {} } : tempDir();
  const store = opts.store ?? (await seededStore(tmp.dir));
  if (opts.store) await seedStore(store, { force: false });
  const config = (await loadBotConfig(store.collection('bot_configs')))!;
  if (opts.clinic) {
    config.clinic = { ...config.clinic, ...opts.clinic };
    await store.collection('bot_configs').updateOne({ _id: 'default' }, { $set: { clinic: config.clinic } });
  }
  if (!(await hasKeyring(store))) await initKeyring(store, ADMIN.username, ADMIN.password, NOW, FAST_KDF);
  const sealer = await sealerForStore(store, opts.blindKey ?? BLIND_KEY);
  await sealExistingData(store, sealer);
  const clock = { now: new Date(NOW) };
  const events: WebhookEvent[] = [];
  const warnings: string[] = [];
  const auth =
    opts.auth === null
      ? undefined
      : (opts.auth ?? { plans: PRE_SYNC_PLANS, secrets: [SECRET], toleranceSeconds: DEFAULT_TOLERANCE_SECONDS });
  const watched = opts.onStoreEvent
    ? new WatchedStore({ initial: store, kind: store.kind, location: store.location, onEvent: opts.onStoreEvent })
    : undefined;
  const callEvents = new CallEventWriter(
    watched ?? store,
    opts.spool ? Spool.open<CallEvent>(tmp.dir, { purpose: 'test' }) : undefined,
    opts.onSpoolEvent,
  );
  const app = buildApp({
    store: watched ?? store,
    storeState: watched ? () => watched.state : undefined,
    sealer,
    config,
    now: () => clock.now,
    auth,
    callEvents,
    onEvent: (e) => events.push(e),
    onWarning: (w) => warnings.push(w),
    maxBytesInFlight: opts.maxBytesInFlight,
    admissionDeadlineMs: opts.admissionDeadlineMs,
  });
  await app.ready();
  callEvents.start();
  return {
    app,
    sealer,
    unlock: () => unlock(store, ADMIN.username, ADMIN.password),
    store,
    callEvents,
    dir: tmp.dir,
    events,
    warnings,
    clock,
    async send(message, o = {}) {
      const payload = o.raw ?? JSON.stringify({ message });
      const ts = String((o.signedAt ?? clock.now).getTime());
      const headers = o.headers ?? {
        'x-timestamp': ts,
        'x-signature': signBody(SECRET, Buffer.from(payload), { timestamp: ts }),
      };
      const res = await app.inject({
        method: 'POST',
        url: '/webhook',
        headers: { 'content-type': 'application/json', ...headers },
        payload,
      });
      let body: unknown = res.body;
      try {
        body = JSON.parse(res.body);
      } catch {
        // keep text
      }
      // The headers ride along without being compared by tests that check {status, body}.
      return Object.defineProperty({ status: res.statusCode, body }, 'headers', { value: res.headers }) as {
        status: number;
        body: any;
        headers: Record<string, unknown>;
      };
    },
    async close() {
      await app.close();
      await callEvents.close();
      await watched?.close();
      await store.close();
      tmp.cleanup();
    },
  };
}

let seq = 0;
/** A `tool-calls` message with one call (or several). */
export function toolCalls(
  callId: string,
  ...calls: Array<[name: string, args: unknown, id?: string]>
): Record<string, unknown> {
  const list = calls.map(([name, args, id]) => ({
    id: id ?? `tc_${++seq}`,
    type: 'function',
    function: { name, arguments: args },
  }));
  return {
    type: 'tool-calls',
    timestamp: NOW.getTime(),
    call: { id: callId, type: 'inboundPhoneCall', customer: { number: '+919812345678' } },
    toolCallList: list,
    toolWithToolCallList: list.map((tc) => ({ type: 'function', function: { name: tc.function.name }, toolCall: tc })),
  };
}

/** The single `result` (or `error`) of a one-call reply. */
export function only(body: any): { result?: string; error?: string; toolCallId: string; name: string } {
  return body.results[0];
}
