import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { afterEach, expect } from 'vitest';
import { createContext, type Context } from '../../src/commands/shared/context.js';
import { buildStudioApp } from '../../src/studio/server.js';
import { studioHost } from '../../src/commands/studio/host.js';
import { StudioAuth } from '../../src/studio/auth.js';
import { studioAssetsDir } from '../../src/commands/studio/studio.js';
import { readDotenv } from '../../src/deps.js';
import { loopbackFetch, type commandEnv } from './command-env.js';
import { testDeps } from './deps.js';

/** The studio's users in these tests: the first admin, and a receptionist. */
export const STUDIO_USERS = {
  ADMIN: { username: 'admin', password: 'studio-admin-passphrase' },
  DESK: { username: 'asha', password: 'studio-desk-passphrase' },
};
const { ADMIN, DESK } = STUDIO_USERS;

/**
 * `receptionist studio` in process, on a free loopback port, over a {@link commandEnv}'s store and
 * fake Vapi, with a clock the test moves (`clock.now`). Closed after each test.
 */
export function studioEnv(env: ReturnType<typeof commandEnv>['ctx'], run: ReturnType<typeof commandEnv>['run']) {
  let app: FastifyInstance | undefined;
  let studioCtx: Context | undefined;
  afterEach(async () => {
    await app?.close();
    await studioCtx?.close();
    app = studioCtx = undefined;
  });

  /** seed, the admin and the receptionist, then the studio on a free port; `clock` moves its time. */
  return async function startStudio(backend: Record<string, string>, now = new Date('2026-11-21T04:30:00Z')) {
    await run(['seed'], { env: backend });
    const admin = await run(['users', 'add', ADMIN.username, '--password-stdin'], {
      env: backend,
      stdin: `${ADMIN.password}\n`,
    });
    expect(admin.code, admin.err).toBe(0);
    const desk = await run(
      ['users', 'add', DESK.username, '--role', 'receptionist', '--username', ADMIN.username, '--password-stdin'],
      { env: backend, stdin: `${ADMIN.password}\n${DESK.password}\n` },
    );
    expect(desk.code, desk.err).toBe(0);
    const clock = { now };
    const deps = {
      ...testDeps({
        cwd: env.tmp.dir,
        env: { ...backend, VAPI_API_KEY: env.fake.token, VAPI_BASE_URL: env.fake.url },
        dotenv: readDotenv(env.tmp.dir).values,
        fetch: loopbackFetch,
      }),
      now: () => clock.now,
    };
    studioCtx = createContext(deps, {
      globals: {
        dataDir: { value: path.join(env.tmp.dir, 'store'), source: '--data-dir' },
        ...(backend.MONGODB_URI ? { mongodbUri: { value: backend.MONGODB_URI, source: 'MONGODB_URI' } } : {}),
        json: false,
        color: false,
        debug: false,
      },
      commandPath: 'receptionist studio',
      program: new Command(),
      connection: {},
    });
    await studioCtx.store();
    const auth = new StudioAuth(deps.now);
    app = await buildStudioApp({ host: studioHost(studioCtx), auth, assetsDir: studioAssetsDir() });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const gate = `receptionist_studio_gate=${auth.redeemToken(auth.mintToken())}`;
    /** Signs in; returns a request function carrying the session's cookie and CSRF token. */
    const signIn = async (who: { username: string; password: string }) => {
      const res = await fetch(`${base}/api/session`, {
        method: 'POST',
        headers: { cookie: gate, 'content-type': 'application/json' },
        body: JSON.stringify(who),
      });
      expect(res.status).toBe(200);
      const cookie = res.headers.getSetCookie()[0]!.split(';')[0]!;
      const { data } = (await res.json()) as { data: { csrfToken: string } };
      return async (method: string, url: string, body?: unknown) => {
        const r = await fetch(`${base}${url}`, {
          method,
          headers: {
            cookie,
            'x-csrf-token': data.csrfToken,
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          // A string is sent as it is (a malformed body).
          body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
        });
        return { status: r.status, body: (r.status === 204 ? {} : await r.json()) as any };
      };
    };
    return { base, gate, signIn, clock, deps, ctx: studioCtx };
  };
}
