import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { main } from '../../src/cli.js';
import { readDotenv, type Deps } from '../../src/deps.js';
import { NetworkError, AuthError, type UserError } from '../../src/errors.js';
import { ngrokTunnels, type TunnelFactory, type TunnelOptions } from '../../src/tunnel/index.js';
import { TunnelSupervisor, type TunnelEvent } from '../../src/tunnel/supervisor.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { commandEnv } from '../support/command-env.js';
import { startMongoDouble } from '../support/mongo-double.js';
import { testDeps } from '../support/deps.js';

const SECRET = 'tunnel-secret-0123456789abcdef';
const PW = 'tunnel-admin-passphrase\n';
const SYNCED = 'https://clinic.example.com/webhook';

/** A fake ngrok: each open gets https://tN.tunnel.test; `drop()`/`back()` drive its status. */
function fakeTunnels(opts: { fail?: Error[] } = {}) {
  const opened: Array<{ url: string; closed: boolean; o: TunnelOptions }> = [];
  const fail = [...(opts.fail ?? [])];
  const factory: TunnelFactory = {
    async open(o) {
      const err = fail.shift();
      if (err) throw err;
      const t = { url: `https://t${opened.length + 1}.tunnel.test`, closed: false, o };
      opened.push(t);
      return { url: t.url, close: async () => void (t.closed = true) };
    },
  };
  return {
    factory,
    opened,
    drop: () => opened.at(-1)!.o.onStatus('closed'),
    back: () => opened.at(-1)!.o.onStatus('connected'),
  };
}

const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: SECRET, NGROK_AUTHTOKEN: 'ngrok-test-token' });

async function seededAndSynced(env: Record<string, string> = {}) {
  expect((await run(['seed'], { env })).code).toBe(0);
  expect((await run(['users', 'add', 'admin', '--password-stdin'], { stdin: PW, env })).code).toBe(0);
  expect(
    (await run(['sync', '--server-url', 'https://clinic.example.com', '--phone-number', '+918041234567'], { env }))
      .code,
  ).toBe(0);
}

const urls = () => ({
  assistant: [...ctx.fake.assistants.values()].map((a) => a.server?.url),
  tools: [...new Set([...ctx.fake.tools.values()].map((t) => t.server?.url))],
  phoneNumber: [...ctx.fake.phoneNumbers.values()].map((p) => p.server?.url),
});

/** Starts `serve` in-process; `stop(reason)` plays SIGINT, SIGTERM or a fatal error. */
function startServe(argv: string[], tunnel: TunnelFactory, env: Record<string, string> = {}) {
  let shutdown: (reason: string, error?: unknown) => void = () => {};
  const d: Deps & ReturnType<typeof testDeps> = {
    ...testDeps({
      cwd: ctx.tmp.dir,
      stdin: Readable.from([]),
      dotenv: readDotenv(ctx.tmp.dir).values,
      env: {
        VAPI_API_KEY: ctx.fake.token,
        VAPI_BASE_URL: ctx.fake.url,
        VAPI_SERVER_SECRET: SECRET,
        NGROK_AUTHTOKEN: 'ngrok-test-token',
        ...env,
      },
    }),
    tunnel,
    onShutdown: (h) => {
      shutdown = h;
      return () => {};
    },
  };
  const done = main(['--data-dir', path.join(ctx.tmp.dir, 'store'), 'serve', '--port', '0', '--json', ...argv], d);
  const events = () =>
    d.io
      .stdout()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, any>);
  return {
    done,
    events,
    err: () => d.io.stderr(),
    async ready() {
      // Up to 15 s: with MongoDB unreachable, serve tries it for 5 s before it starts without it.
      for (let i = 0; i < 600; i++) {
        const r = events().find((e) => e.kind === 'ready');
        if (r) return r;
        await new Promise((res) => setTimeout(res, 25));
      }
      throw new Error(`serve not ready: ${d.io.stderr()}`);
    },
    stop: (reason: string, error?: unknown) => shutdown(reason, error),
  };
}

describe('serve --tunnel --update-assistant', () => {
  test.each([
    ['SIGINT', undefined, 0],
    ['SIGTERM', undefined, 0],
    ['fatal', new Error('boom from a bug'), 70],
  ])(
    'prints the public URL and header, points the assistant and tools at it, and restores them on %s',
    async (reason, error, code) => {
      await seededAndSynced();
      expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
      const fake = fakeTunnels();
      const s = startServe(['--tunnel', '--update-assistant'], fake.factory);
      const ready = await s.ready();
      const credentialId = [...ctx.fake.credentials.keys()][0];
      expect(ready).toMatchObject({
        publicWebhookUrl: 'https://t1.tunnel.test/webhook',
        credentialId,
        plans: ['hmac sha256 hex over {timestamp}.{body} in x-signature (+ x-timestamp)'],
      });
      expect(fake.opened[0]!.o).toMatchObject({
        host: '127.0.0.1',
        port: Number(new URL(ready.url).port),
        authtoken: 'ngrok-test-token',
      });
      expect(urls()).toEqual({
        assistant: ['https://t1.tunnel.test/webhook'],
        tools: ['https://t1.tunnel.test/webhook'],
        phoneNumber: ['https://t1.tunnel.test/webhook'],
      });
      // The credential, timeout and backoff plan of the synced server stay.
      expect([...ctx.fake.assistants.values()][0]!.server).toEqual({
        url: 'https://t1.tunnel.test/webhook',
        timeoutSeconds: 20,
        credentialId,
        backoffPlan: { type: 'exponential', maxRetries: 4, baseDelaySeconds: 1, excludedStatusCodes: [400, 401, 413] },
      });
      // A sync meanwhile sees no drift and changes nothing.
      const check = await run(['sync', '--check']);
      expect(check.err).toBe('');
      expect(check.code).toBe(0);

      s.stop(reason, error);
      const exit = await s.done;
      expect(exit).toBe(code);
      expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
      expect(fake.opened[0]!.closed).toBe(true);
      expect(
        s
          .events()
          .map((e) => `${e.kind}:${e.state ?? ''}`)
          .filter((k) => /^(tunnel|assistant|ready|stopped)/.test(k)),
      ).toEqual(['tunnel:open', 'assistant:pointed', 'ready:', 'assistant:restored', 'tunnel:closed', 'stopped:']);
      if (error) expect(s.err()).toContain('boom from a bug');
      // Nothing of the tunnel is left in the store.
      const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store'), readOnly: true });
      expect(((await store.collection('bot_configs').findOne({ _id: 'default' })) as any).vapi.tunnel).toBeUndefined();
    },
  );

  test('MongoDB unreachable at start: the assistant is pointed once MongoDB answers (it records the previous URL there), and restored on stop', async () => {
    const double = await startMongoDouble();
    try {
      const env = { MONGODB_URI: double.uri };
      await seededAndSynced(env);
      const first = startServe([], fakeTunnels().factory, env);
      await first.ready();
      first.stop('SIGTERM');
      expect(await first.done).toBe(0);

      await double.stop();
      const fake = fakeTunnels();
      const s = startServe(['--tunnel', '--update-assistant'], fake.factory, env);
      await s.ready();
      // Not pointed yet: nothing could record where the assistant pointed before.
      expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
      await double.start();
      for (let i = 0; i < 600 && !s.events().some((e) => e.kind === 'assistant'); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(urls()).toEqual({
        assistant: ['https://t1.tunnel.test/webhook'],
        tools: ['https://t1.tunnel.test/webhook'],
        phoneNumber: ['https://t1.tunnel.test/webhook'],
      });
      s.stop('SIGINT');
      expect(await s.done).toBe(0);
      expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
      expect(
        s
          .events()
          .map((e) => `${e.kind}:${e.state ?? ''}`)
          .filter((k) => /^(store|tunnel|assistant|ready|stopped)/.test(k)),
      ).toEqual([
        'store:connecting',
        'tunnel:open',
        'ready:',
        'store:connected',
        'assistant:pointed',
        'assistant:restored',
        'tunnel:closed',
        'stopped:',
      ]);
    } finally {
      await double.close();
    }
  }, 60_000);

  test('a second Ctrl-C while stopping stops at once (exit 130), saying what was skipped', async () => {
    await seededAndSynced();
    let closing = false;
    // A tunnel that never finishes closing: the clean stop would wait for it.
    const factory: TunnelFactory = {
      async open() {
        return { url: 'https://stuck.tunnel.test', close: () => ((closing = true), new Promise<void>(() => {})) };
      },
    };
    const s = startServe(['--tunnel', '--update-assistant'], factory);
    await s.ready();
    s.stop('SIGINT');
    for (let i = 0; i < 200 && !closing; i++) await new Promise((r) => setTimeout(r, 10));
    expect(closing).toBe(true);
    // The assistant's URL was restored before the tunnel step hung.
    expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
    s.stop('SIGINT');
    expect(await s.done).toBe(130);
    expect(s.events()).toContainEqual(
      expect.objectContaining({
        kind: 'failure',
        where: 'stopping',
        error: expect.stringMatching(
          /^Stopped at once \(second signal\) while closing the tunnel; the rest was skipped\./,
        ),
      }),
    );
  });

  test.each(['sync', 'serve'])('a serve killed without cleanup: the next %s puts the URL back', async (next) => {
    await seededAndSynced();
    const dead = spawnSync('node', ['-e', 'console.log(process.pid)']).stdout.toString().trim();
    const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
    const a = [...ctx.fake.assistants.values()][0]!;
    const tools = [...ctx.fake.tools.values()];
    const record = {
      url: 'https://gone.tunnel.test/webhook',
      pid: Number(dead),
      since: '2026-11-21T04:00:00Z',
      previous: {
        assistant: { id: a.id, server: a.server },
        tools: Object.fromEntries(tools.map((t) => [t.function.name, { id: t.id, server: t.server }])),
      },
    };
    await store.collection('bot_configs').updateOne({ _id: 'default' }, { $set: { 'vapi.tunnel': record } });
    await store.close();
    for (const x of [a, ...tools]) x.server = { ...x.server, url: record.url };
    if (next === 'sync') {
      const synced = await run(['sync']);
      expect(synced.code).toBe(0);
      expect(synced.err).toContain(
        `Put back the server URL that serve (pid ${dead}) had pointed at https://gone.tunnel.test/webhook.`,
      );
      expect(synced.out).toMatch(/0 to create, 0 to update, 12 unchanged, 0 changed on Vapi/);
    } else {
      const s = startServe(['--public-url', 'https://mine.example.org', '--update-assistant'], fakeTunnels().factory);
      await s.ready();
      expect(s.events().filter((e) => e.kind === 'assistant')).toMatchObject([
        { state: 'restored', url: SYNCED, detail: `left by serve pid ${dead}, which did not stop cleanly` },
        { state: 'pointed', url: 'https://mine.example.org/webhook' },
      ]);
      s.stop('SIGINT');
      expect(await s.done).toBe(0);
    }
    expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
  });

  test('a dropped tunnel is reported; the library reconnecting is reported too; --json carries the events', async () => {
    await seededAndSynced();
    const fake = fakeTunnels();
    const s = startServe(['--tunnel'], fake.factory);
    await s.ready();
    fake.drop();
    fake.back();
    s.stop('SIGINT');
    expect(await s.done).toBe(0);
    expect(
      s
        .events()
        .filter((e) => e.kind === 'tunnel')
        .map((e) => e.state),
    ).toEqual(['open', 'disconnected', 'reconnected', 'closed']);
    // Without --update-assistant nothing on Vapi changed.
    expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
  });

  test('a tunnel that ends with the process on Ctrl-C is not reported as dropped: no "Reconnecting…" before exit', async () => {
    await seededAndSynced();
    const fake = fakeTunnels();
    const s = startServe(['--tunnel', '--update-assistant'], fake.factory);
    await s.ready();
    s.stop('SIGINT');
    fake.drop(); // ngrok's session ends on the same signal, while serve is restoring the assistant's URL
    expect(await s.done).toBe(0);
    const kinds = s.events().map((e) => (e.kind === 'tunnel' ? `tunnel ${e.state}` : e.kind));
    expect(kinds.filter((k) => /^(tunnel|stopping|stopped)/.test(k))).toEqual([
      'tunnel open',
      'stopping',
      'tunnel closed',
      'stopped',
    ]);
    expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
  });

  test('--public-url uses a tunnel the user runs', async () => {
    await seededAndSynced();
    const s = startServe(['--public-url', 'https://mine.example.org/', '--update-assistant'], fakeTunnels().factory);
    expect(await s.ready()).toMatchObject({ publicWebhookUrl: 'https://mine.example.org/webhook' });
    expect(urls().assistant).toEqual(['https://mine.example.org/webhook']);
    s.stop('SIGTERM');
    expect(await s.done).toBe(0);
    expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
  });
});

describe('serve --tunnel: bad input leaves nothing half-started', () => {
  const expectUntouchedAndFree = async () => {
    expect(urls()).toEqual({ assistant: [SYNCED], tools: [SYNCED], phoneNumber: [SYNCED] });
    // The store is not left locked: another process can open it for writing.
    const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store') });
    await store.close();
  };

  test('no authtoken (exit 5), --tunnel with --public-url (2), --update-assistant without a URL (2), --ngrok-domain without --tunnel (2)', async () => {
    await seededAndSynced();
    const none = await run(['serve', '--tunnel'], { env: { NGROK_AUTHTOKEN: '' } });
    expect(none.code).toBe(5);
    expect(none.err).toContain('--tunnel needs an ngrok authtoken: NGROK_AUTHTOKEN is not set.');
    expect((await run(['serve', '--tunnel', '--public-url', 'https://x.example'])).code).toBe(2);
    expect((await run(['serve', '--update-assistant'])).err).toContain('--update-assistant needs a public URL');
    expect((await run(['serve', '--ngrok-domain', 'x.ngrok.app'])).code).toBe(2);
    await expectUntouchedAndFree();
  });

  test.each([
    ['a rejected token', new AuthError('ngrok rejected the authtoken (NGROK_AUTHTOKEN): ERR_NGROK_107'), 5],
    ['no network', new NetworkError('Cannot open the ngrok tunnel: failed to connect session.'), 6],
  ])('%s: the command reports it, the server stops, the assistant is untouched', async (_what, err, code) => {
    await seededAndSynced();
    const s = startServe(['--tunnel', '--update-assistant'], fakeTunnels({ fail: [err] }).factory);
    expect(await s.done).toBe(code);
    expect(s.err()).toContain(err.message);
    expect(s.events().find((e) => e.kind === 'ready')).toBeUndefined();
    await expectUntouchedAndFree();
  });

  test('the real @ngrok/ngrok fails at once offline, and the command says so (exit 6)', async () => {
    await seededAndSynced();
    const started = Date.now();
    const s = startServe(['--tunnel', '--update-assistant'], ngrokTunnels, {
      NGROK_AUTHTOKEN: '2fake_offline_token_0123456789',
    });
    const code = await s.done;
    // serve runs with --json here, so the error is one JSON object on stderr.
    expect(s.err()).toMatch(
      /^\{"code":"(network|auth)","exitCode":[56],"message":"(Cannot open the ngrok tunnel: |ngrok rejected the authtoken)/m,
    );
    expect([5, 6]).toContain(code);
    expect(Date.now() - started).toBeLessThan(15_000);
    await expectUntouchedAndFree();
  });

  test('--update-assistant before any sync: a clear message, nothing left running', async () => {
    expect((await run(['seed'])).code).toBe(0);
    expect((await run(['users', 'add', 'admin', '--password-stdin'], { stdin: PW })).code).toBe(0);
    const fake = fakeTunnels();
    const s = startServe(['--tunnel', '--update-assistant'], fake.factory);
    expect(await s.done).toBe(1);
    expect(s.err()).toContain('Pointing the assistant at a public URL needs a synced assistant');
    expect(s.err()).toContain('or drop --update-assistant');
    expect(fake.opened[0]!.closed).toBe(true);
  });
});

describe('TunnelSupervisor', () => {
  test('a tunnel that stays down is reopened with backoff; a new URL is handed on', async () => {
    const fake = fakeTunnels();
    const events: TunnelEvent[] = [];
    const urlsSeen: string[] = [];
    const sup = new TunnelSupervisor(
      fake.factory,
      { host: '127.0.0.1', port: 1, authtoken: 't', graceMs: 10, firstBackoffMs: 10, maxBackoffMs: 40 },
      (e) => events.push(e),
      async (u) => void urlsSeen.push(u),
    );
    expect(await sup.start()).toBe('https://t1.tunnel.test');
    // The next two opens fail.
    const realOpen = fake.factory.open;
    let failures = 2;
    fake.factory.open = async (o) => (failures-- > 0 ? Promise.reject(new Error('offline')) : realOpen(o));
    fake.drop();
    for (let i = 0; i < 100 && !events.some((e) => e.state === 'reconnected'); i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(events.map((e) => (e.state === 'reconnecting' ? `reconnecting#${e.attempt}+${e.inMs}` : e.state))).toEqual([
      'open',
      'disconnected',
      'reconnecting#1+10',
      'reconnecting#2+20',
      'reconnected',
    ]);
    expect(events.at(-1)).toEqual({
      kind: 'tunnel',
      state: 'reconnected',
      url: 'https://t2.tunnel.test',
      changed: true,
    });
    expect(urlsSeen).toEqual(['https://t2.tunnel.test']);
    expect(fake.opened[0]!.closed).toBe(true);
    await sup.close();
    expect(fake.opened[1]!.closed).toBe(true);
  });
});

test('ngrok errors name the setting: authtoken → exit 5, a domain not yours → 2, anything else → 6', async () => {
  const { ngrokError } = await import('../../src/tunnel/index.js');
  const token = ngrokError(
    Object.assign(
      new Error(
        'authentication failed: The authtoken you specified is properly formed, but it is invalid.\n\nERR_NGROK_107',
      ),
      { errorCode: 'ERR_NGROK_107' },
    ),
    {},
  );
  expect([token.message, (token as AuthError).exitCode]).toEqual([
    'ngrok rejected the authtoken (NGROK_AUTHTOKEN): authentication failed: The authtoken you specified is properly formed, but it is invalid',
    5,
  ]);
  const domain = ngrokError(
    Object.assign(
      new Error(
        'failed to start tunnel: You must reserve a custom hostname in your dashboard before you can bind it.\n\nERR_NGROK_319',
      ),
      { errorCode: 'ERR_NGROK_319' },
    ),
    { domain: 'clinic.ngrok.app' },
  );
  expect([domain.message, (domain as AuthError).exitCode]).toEqual([
    'ngrok refused the domain clinic.ngrok.app: failed to start tunnel: You must reserve a custom hostname in your dashboard before you can bind it',
    2,
  ]);
  // The adapter names the reason; the CLI's table adds the flag that fixes it.
  const { toUserError } = await import('../../src/commands/shared/user-errors.js');
  expect((toUserError(domain) as UserError).hint).toContain('--ngrok-domain');
  const offline = ngrokError(new Error('failed to connect session: failed to establish tcp connection'), {});
  expect([offline.message, (offline as AuthError).exitCode]).toEqual([
    'Cannot open the ngrok tunnel: failed to connect session: failed to establish tcp connection.',
    6,
  ]);
  expect((toUserError(offline) as UserError).hint).toContain('--public-url');
});
