import path from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, expect } from 'vitest';
import { main } from '../../src/cli.js';
import { testDeps } from './deps.js';
import { readDotenv } from '../../src/deps.js';
import { tempDir } from './store.js';
import { startFakeVapi, type FakeVapi } from './fake-vapi.js';

/**
 * Per-test temp store and fake Vapi API for in-process command tests, with `run(argv)`
 * going through `main()` with the store at `<tmp>/store` and the fake's key and URL set.
 */
export function commandEnv(baseEnv: Record<string, string> = {}) {
  const ctx = {} as { tmp: ReturnType<typeof tempDir>; fake: FakeVapi };
  beforeEach(async () => {
    ctx.tmp = tempDir();
    ctx.fake = await startFakeVapi();
  });
  afterEach(async () => {
    // An expected Vapi request that never came fails the test (ctx.fake.expect(…)).
    try {
      ctx.fake.verify();
    } finally {
      await ctx.fake.close();
      ctx.tmp.cleanup();
    }
  });
  async function run(
    argv: string[],
    opts: {
      env?: Record<string, string>;
      stdin?: string;
      tty?: boolean;
      answers?: string[];
      tunnel?: NonNullable<Parameters<typeof testDeps>[0]>['tunnel'];
    } = {},
  ) {
    const d = testDeps({
      fetch: loopbackFetch,
      cwd: ctx.tmp.dir,
      tty: opts.tty,
      answers: opts.answers,
      tunnel: opts.tunnel,
      stdin: Readable.from(opts.stdin ? [opts.stdin] : []),
      env: { VAPI_API_KEY: ctx.fake.token, VAPI_BASE_URL: ctx.fake.url, ...baseEnv, ...opts.env },
      // The project's .env, read as the CLI reads it (the blind-index key and the key pin live there).
      dotenv: readDotenv(ctx.tmp.dir).values,
    });
    const code = await main(['--data-dir', path.join(ctx.tmp.dir, 'store'), ...argv], d);
    return { code, out: d.io.stdout(), err: d.io.stderr() };
  }
  /** `seed`, then the first admin `admin` with `password` (which writes the keys and .env). */
  async function seedWithAdmin(password: string) {
    expect((await run(['seed'])).code).toBe(0);
    const admin = await run(['users', 'add', 'admin', '--password-stdin'], { stdin: `${password}\n` });
    expect(admin.code, admin.err).toBe(0);
  }
  return { ctx, run, seedWithAdmin };
}

/** `fetch` for loopback only (a server this test started); anything else is refused. */
export const loopbackFetch: typeof fetch = (input, init) => {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
    return Promise.reject(new Error(`no network beyond loopback in tests (${url.host})`));
  return globalThis.fetch(input, init);
};
