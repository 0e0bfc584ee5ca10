import { describe, expect, test } from 'vitest';
import { openMemorySnapshot } from '../../src/store/sqlite/index.js';
import { StoreUnavailableError, type Store } from '../../src/store/types.js';
import { WatchedStore, type StoreEvent } from '../../src/store/watched.js';
import { AuthError, NetworkError } from '../../src/errors.js';

const FAST = { firstMs: 5, maxMs: 20 };
const config = { _id: 'default', clinic: { name: 'Test clinic' } };

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const memory = () => openMemorySnapshot({ bot_configs: [config] }, 'memory');
const unreachable = () => new NetworkError('no server answered', undefined, { reason: 'store-unreachable' });
const transient = (err: unknown) => err instanceof NetworkError && err.reason === 'store-unreachable';

describe('WatchedStore', () => {
  test('started without a store: every call fails at once as unavailable, until connect succeeds; then calls go through', async () => {
    const events: StoreEvent[] = [];
    let attempts = 0;
    const checked: Store[] = [];
    const watched = new WatchedStore({
      kind: 'mongo',
      location: 'mongodb://db',
      reason: 'connect ECONNREFUSED',
      connect: async () => {
        if (++attempts < 3) throw unreachable();
        return memory();
      },
      isTransient: transient,
      onConnected: async (s) => void checked.push(s),
      onEvent: (e) => events.push(e),
      retry: FAST,
    });
    expect(watched.state).toBe('connecting');
    await expect(watched.collection('bot_configs').findOne({ _id: 'default' })).rejects.toThrow(
      new StoreUnavailableError(
        'mongodb://db is unreachable (not connected since serve started: connect ECONNREFUSED)',
      ),
    );
    await expect(watched.atomically(async () => 1)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(watched.callLogs.append({ callId: 'c' } as never)).rejects.toBeInstanceOf(StoreUnavailableError);
    // A stream fails when read, as the backends' own do.
    const stream = watched.callLogs.stream();
    await expect(stream[Symbol.asyncIterator]().next()).rejects.toBeInstanceOf(StoreUnavailableError);

    await until(() => watched.state === 'connected');
    expect(attempts).toBe(3);
    expect(checked).toHaveLength(1);
    expect(await watched.collection('bot_configs').findOne({ _id: 'default' })).toEqual(config);
    expect(watched.location).toBe('memory');
    expect(events.map((e) => e.state)).toEqual(['connecting', 'connected']);
    await watched.close();
  });

  test('a failure that will not pass (credentials rejected) is fatal, once; no further attempts', async () => {
    const fatal: unknown[] = [];
    let attempts = 0;
    const watched = new WatchedStore({
      kind: 'mongo',
      location: 'mongodb://db',
      connect: async () => {
        attempts++;
        throw new AuthError('refused the credentials');
      },
      isTransient: transient,
      onFatal: (e) => fatal.push(e),
      retry: FAST,
    });
    await until(() => fatal.length > 0);
    await new Promise((r) => setTimeout(r, 60));
    expect(attempts).toBe(1);
    expect(fatal).toEqual([new AuthError('refused the credentials')]);
    expect(watched.state).toBe('connecting');
    await watched.close();
  });

  test('a store the checks refuse is closed again and never used; one that stops answering during them is retried', async () => {
    const fatal: unknown[] = [];
    let opened = 0;
    let closed = 0;
    let checks = 0;
    const watched = new WatchedStore({
      kind: 'mongo',
      location: 'mongodb://db',
      connect: async () => {
        opened++;
        const s = await memory();
        const close = s.close.bind(s);
        return Object.assign(s, { close: () => (closed++, close()) });
      },
      onConnected: async () => {
        if (++checks === 1) throw new StoreUnavailableError('went away');
        throw new Error('keys not pinned');
      },
      onFatal: (e) => fatal.push(e),
      retry: FAST,
    });
    await until(() => fatal.length > 0);
    expect([opened, closed, checks]).toEqual([2, 2, 2]);
    expect((fatal[0] as Error).message).toBe('keys not pinned');
    await expect(watched.collection('bot_configs').findOne({})).rejects.toBeInstanceOf(StoreUnavailableError);
    await watched.close();
  });

  test('a store that stops answering mid-run: unreachable, probed with backoff, connected again without any other call', async () => {
    const inner = await memory();
    let down = false;
    let probes = 0;
    const real = inner.collection('bot_configs');
    const flaky: Store = {
      ...inner,
      kind: inner.kind,
      location: 'flaky',
      collection: (() => ({
        findOne: (q: Record<string, unknown>) => {
          if (!down) return real.findOne(q);
          probes++;
          return Promise.reject(new StoreUnavailableError('socket closed'));
        },
      })) as unknown as Store['collection'],
      close: () => inner.close(),
    };
    const events: StoreEvent[] = [];
    const watched = new WatchedStore({
      initial: flaky,
      kind: 'local',
      location: 'flaky',
      onEvent: (e) => events.push(e),
      retry: FAST,
    });
    expect(watched.state).toBe('connected');
    down = true;
    await expect(watched.collection('bot_configs').findOne({})).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(watched.state).toBe('unreachable');
    await until(() => probes >= 4);
    down = false;
    await until(() => watched.state === 'connected');
    expect(events.map((e) => [e.state, 'reason' in e ? e.reason : undefined])).toEqual([
      ['unreachable', 'socket closed'],
      ['connected', undefined],
    ]);
    await watched.close();
    // The store it was given stays open: its owner closes it.
    expect(await inner.collection('bot_configs').findOne({ _id: 'default' })).toEqual(config);
    await inner.close();
  });
});
