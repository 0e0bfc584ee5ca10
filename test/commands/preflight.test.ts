import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import net from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { secretBits } from '../../src/commands/preflight/preflight.js';
import { useMongo } from '../support/mongo.js';

const mongo = useMongo();

const SECRET = '6f1c2a9be03d4c7e8a5b1f0d9e2c3b4a';
const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: SECRET });
let health: http.Server;
let publicUrl: string;
beforeEach(async () => {
  // Stands in for `serve` behind its tunnel: only /health is asked for.
  health = http.createServer((req, res) =>
    res
      .writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' })
      .end('{"ok":true,"spoolDepth":0}'),
  );
  await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
  publicUrl = `http://127.0.0.1:${(health.address() as net.AddressInfo).port}`;
  await run(['seed']);
});
afterEach(async () => {
  await new Promise((r) => health.close(r));
});

/** The blind-index key `users add` wrote to <cwd>/.env. */
const blindKey = () => ({
  RECEPTIONIST_BLIND_INDEX_KEY: /RECEPTIONIST_BLIND_INDEX_KEY=(\S+)/.exec(
    fs.readFileSync(path.join(ctx.tmp.dir, '.env'), 'utf8'),
  )![1]!,
});
const lines = (out: string) =>
  out
    .trim()
    .split('\n')
    .filter((l) => /^[✓✗]/.test(l));

describe('receptionist preflight', () => {
  test('a line is live: every check passes, exit 0', async () => {
    expect((await run(['users', 'add', 'admin', '--password-stdin'], { stdin: 'preflight-passphrase\n' })).code).toBe(
      0,
    );
    expect((await run(['config', 'set', 'clinic.frontDeskNumber', '+919845011223'])).code).toBe(0);
    expect((await run(['sync', '--server-url', publicUrl, '--phone-number', '+918041234567'])).code).toBe(0);
    const r = await run(['preflight'], { env: blindKey() });
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toMatch(/✓ store +\S+ is writable and passes SQLite's integrity check/);
    expect(lines(r.out).map((l) => l.slice(0, 22).trim())).toEqual([
      '✓ node',
      '✓ store',
      '✓ stored records',
      '✓ doctors',
      '✓ keys',
      '✓ front desk',
      '✓ prompt clock',
      '✓ blind-index key',
      '✓ webhook secret',
      '✓ vapi key',
      '✓ credential',
      '✓ tool',
      '✓ assistant',
      '✓ phone-number',
      '✓ credential attached',
      '✓ secret matches',
      '✓ inbound calls',
      '✓ outbound calls',
      '✓ server urls',
      '✓ public health',
    ]);
    expect(r.out).toContain('✓ front desk          transfers go to +919845011223');
    expect(r.out).toContain("✓ prompt clock        the assistant's date and time are the clinic's (Asia/Kolkata)");
    expect(r.out).toContain(
      '✓ inbound calls       calls to +918041234567 reach serve as assistant-request (read back from Vapi)',
    );
    expect(r.out).toContain('✓ outbound calls      +918041234567 (twilio) can call IN numbers');
    expect(r.out).toContain('✓ doctors             5 doctor(s), each with readable weekly hours');
    expect(r.out).toContain(`✓ server urls         every server (11) posts to ${publicUrl}/webhook`);
    expect(r.out).toContain(`✓ public health       GET ${publicUrl}/health answers`);
    const json = JSON.parse((await run(['preflight', '--json'], { env: blindKey() })).out);
    expect(json.ok).toBe(true);
    expect(json.checks).toHaveLength(20);
  });

  test('what is missing or wrong is a ✗ with its fix, and exit 1', async () => {
    // No admin yet, a weak secret, never synced, nothing listening at the public URL.
    const r = await run(['preflight', '--public-url', 'http://127.0.0.1:9'], {
      env: { VAPI_SERVER_SECRET: 'password12345678' },
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Error: \d+ of 17 checks failed\./);
    expect(r.out).toContain(
      "✗ front desk          clinic.frontDeskNumber is still the template's sample +918041234567: transfers would ring it",
    );
    expect(r.out).toContain('✗ keys                no admin, so no encryption keys');
    expect(r.out).toContain('→ Run `receptionist users add <name> --role admin`.');
    expect(r.out).toMatch(
      /✗ webhook secret +VAPI_SERVER_SECRET has about \d+ bits; it needs at least 128\n +→ Use `openssl rand -hex 32`/,
    );
    expect(r.out).toContain('✗ credential          the webhook credential: receptionist webhook');
    expect(r.out).toContain('✗ phone-number        no phone number points at serve');
    expect(r.out).toContain('✗ public health       GET http://127.0.0.1:9/health did not answer');
  });

  test('a blind-index key that is not the store’s is caught', async () => {
    await run(['users', 'add', 'admin', '--password-stdin'], { stdin: 'preflight-passphrase\n' });
    const other = Buffer.alloc(32, 9).toString('base64url');
    const r = await run(['preflight'], { env: { RECEPTIONIST_BLIND_INDEX_KEY: other } });
    expect(r.out).toContain(
      '✗ blind-index key     RECEPTIONIST_BLIND_INDEX_KEY is not the key the store’s indexes were made with',
    );
  });

  test('on MongoDB the store check writes (and removes) a probe', async () => {
    const env = { MONGODB_URI: mongo.uri(), MONGODB_DB: `receptionist_preflight_${process.pid}` };
    expect((await run(['seed'], { env })).code).toBe(0);
    const r = await run(['preflight'], { env });
    expect(r.out).toMatch(/✓ store +mongodb:\/\/\S+ \(database receptionist_preflight_\d+\) is writable/);
    expect(r.out).toContain('✗ keys');
  });

  test.each([
    ['openssl rand -hex 32', 'a3f9c1e07b5d4f2a8c6e1b9d0f3a7c5e2b8d4f6a1c3e5b7d9f0a2c4e6b8d1f3a', 256],
    ['16 hex bytes', '6f1c2a9be03d4c7e8a5b1f0d9e2c3b4a', 128],
    ['a word', 'password12345678', 82],
    ['a repeated pattern', 'abababababababababababababababab', 0],
  ])('secret strength: %s', (_n, secret, bits) => {
    expect(secretBits(secret)).toBe(bits);
  });
});
