import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { packageRoot } from '../src/paths.js';
import { describe, expect, test } from 'vitest';
import { main } from '../src/cli.js';
import { COMMANDS } from '../src/commands/index.js';
import { createEnv } from '../src/env.js';
import { testDeps } from './support/deps.js';
import { parseServeOptions } from '../src/commands/serve/serve.js';
import { parseLogsOptions } from '../src/commands/logs/logs.js';
import { serveSpec } from '../src/commands/serve/index.js';
import { logsSpec } from '../src/commands/logs/index.js';
import { flagsFrom } from './support/flags.js';
import { applySet, fillPlaceholders } from '../src/commands/trigger/trigger.js';

const deps = (env: Record<string, string> = {}) => testDeps({ env });

describe('receptionist', () => {
  test('every leaf command has examples in its help, and shows the global flags', async () => {
    const { buildProgram } = await import('../src/cli.js');
    const leaves: string[][] = [];
    const walk = (c: import('commander').Command, path: string[]) => {
      const subs = c.commands.filter((x) => x.name() !== 'help');
      if (!subs.length && path.length) leaves.push(path);
      for (const x of subs) walk(x, [...path, x.name()]);
    };
    walk(buildProgram(deps(), undefined, COMMANDS), []);
    expect(leaves.length).toBeGreaterThan(25);
    for (const leaf of leaves) {
      const d = deps();
      expect(await main([...leaf, '--help'], d), leaf.join(' ')).toBe(0);
      expect(d.io.stdout(), `${leaf.join(' ')} --help`).toMatch(/\nExamples:\n {2}(\S+=\S+ )*receptionist /);
      expect(d.io.stdout(), `${leaf.join(' ')} --help`).toContain('--data-dir <dir>');
      // Each says what --json prints: one array, one object, or NDJSON for a stream.
      expect(d.io.stdout(), `${leaf.join(' ')} --help`).toMatch(/with --json/i);
    }
  });

  test('under --json an error is one JSON object on stderr, with its code and the fix', async () => {
    const d = deps({ VAPI_API_KEY: '' });
    expect(await main(['phone-numbers', 'list', '--json'], d)).toBe(5);
    expect(d.io.stdout()).toBe('');
    expect(JSON.parse(d.io.stderr())).toEqual({
      code: 'auth',
      exitCode: 5,
      message: 'No Vapi API key.',
      hint: 'Pass --vapi-key, or set VAPI_API_KEY (environment or .env) to your private key from the Vapi dashboard.',
    });
  });

  test('--help lists every command and every environment variable', async () => {
    const d = deps();
    expect(await main(['--help'], d)).toBe(0);
    const out = d.io.stdout();
    for (const word of [
      'seed',
      'serve',
      'trigger',
      'logs',
      'VAPI_SERVER_SECRET',
      'VAPI_SERVER_SECRET_PREVIOUS',
      'RECEPTIONIST_DATA_DIR',
      'RECEPTIONIST_PORT',
      'DEBUG',
    ])
      expect(out).toContain(word);
    expect(out).toContain(
      'Exit codes: 0 ok, 1 error, 2 usage, 3 store, 4 input needed, 5 auth, 6 network, 7 sync --check found changes, 70 internal, 130 cancelled.',
    );
  });

  test("--version prints package.json's version and exits 0, through main and through bin's shortcut alike", async () => {
    const { version } = JSON.parse(fs.readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')) as {
      version: string;
    };
    const d = deps();
    expect(await main(['--version'], d)).toBe(0);
    expect(d.io.stdout()).toBe(`${version}\n`);
    for (const flag of ['--version', '-v']) {
      const r = await execa(process.execPath, [path.join(packageRoot(), 'bin', 'receptionist.js'), flag]);
      expect(r.stdout).toBe(version);
    }
  });

  test('an unknown command or option exits 2 with a message', async () => {
    const d = deps();
    expect(await main(['serv'], d)).toBe(2);
    expect(d.io.stderr()).toMatch(/unknown command 'serv'/);
    const d2 = deps();
    expect(await main(['logs', '--frobnicate'], d2)).toBe(2);
    expect(d2.io.stderr()).toMatch(/unknown option '--frobnicate'/);
  });
});

describe('parsing', () => {
  const secret = { VAPI_SERVER_SECRET: 'test-secret-0123456789abcdef' };
  test.each([
    { argv: [], env: secret, expected: { port: 3000, host: '127.0.0.1', bodyLimit: 5 * 1024 * 1024 } },
    { argv: ['--port', '0'], env: { ...secret, RECEPTIONIST_PORT: '4000' }, expected: { port: 0 } },
    {
      argv: [],
      env: { ...secret, RECEPTIONIST_PORT: '4000', RECEPTIONIST_HOST: '::1' },
      expected: { port: 4000, host: '::1' },
    },
    { argv: ['--insecure-no-auth'], env: {}, expected: { auth: undefined } },
    { argv: ['--default-region', 'us'], env: secret, expected: { defaultRegion: 'US' } },
  ])('serve $argv with $env', ({ argv, env, expected }) => {
    expect(parseServeOptions(flagsFrom(serveSpec, argv), createEnv(env, {}, '.env'))).toMatchObject(expected);
  });

  test('serve keeps both secrets while rotating, and reads them from .env', () => {
    const env = createEnv(
      { VAPI_SERVER_SECRET: 'new-secret-0123456789' },
      { VAPI_SERVER_SECRET_PREVIOUS: 'old-secret-0123456789' },
      '.env',
    );
    expect(parseServeOptions(flagsFrom(serveSpec, []), env).auth?.secrets).toEqual([
      'new-secret-0123456789',
      'old-secret-0123456789',
    ]);
  });

  test.each([
    [['--port', '70000'], secretEnv(), /Invalid port "70000" \(from --port\)/],
    [[], createEnv({}, { RECEPTIONIST_PORT: 'x' }, '.env'), /Invalid port "x" \(from RECEPTIONIST_PORT in \.env\)/],
    [[], createEnv({ VAPI_SERVER_SECRET: 'short' }, {}, '.env'), /shorter than 16 characters/],
    // Issue 13 item 15: sixteen spaces, a repeated character, a pasted line break were accepted.
    [[], createEnv({ VAPI_SERVER_SECRET: ' '.repeat(16) }, {}, '.env'), /begins or ends with white space/],
    [
      [],
      createEnv({ VAPI_SERVER_SECRET: 'x'.repeat(20) }, {}, '.env'),
      /has about 0 bits of randomness; it needs at least 64/,
    ],
    [
      [],
      createEnv({ VAPI_SERVER_SECRET: 'test-secret-0123456789abcdef\n' }, {}, '.env'),
      /begins or ends with white space/,
    ],
    [
      [],
      createEnv(
        { VAPI_SERVER_SECRET: 'good-secret-0123456789', VAPI_SERVER_SECRET_PREVIOUS: 'abababababababab' },
        {},
        '.env',
      ),
      /has about 0 bits/,
    ],
    [['--body-limit', '10'], secretEnv(), /Invalid --body-limit "10"/],
    [
      [],
      createEnv({ VAPI_SERVER_SECRET: 'test-secret-0123456789abcdef', RECEPTIONIST_DEFAULT_REGION: 'XX' }, {}, '.env'),
      /Unknown region "XX" \(from \$RECEPTIONIST_DEFAULT_REGION\)/,
    ],
  ])('serve rejects %o', (argv, env, message) => {
    expect(() => parseServeOptions(flagsFrom(serveSpec, argv), env)).toThrow(message);
  });

  const now = new Date('2026-11-21T04:30:00Z');
  test.each([
    [['--since', '24h'], { since: { ms: 86_400_000, text: '24h' } }],
    [['--since', '7d', '--limit', '5'], { since: { ms: 7 * 86_400_000, text: '7d' }, limit: 5 }],
    [['--since', '2026-11-01'], { since: { iso: '2026-11-01' } }],
    [['--csv'], { csv: true, raw: false }],
    [['--csv', '--raw'], { csv: true, raw: true }],
  ])('logs %o', (argv, expected) => {
    expect(parseLogsOptions(flagsFrom(logsSpec, argv))).toMatchObject(expected);
  });
  test.each([[['--since', 'yesterdayish']], [['--since', '2026-13-45']], [['--limit', '0']], [['--limit', 'ten']]])(
    'logs rejects %o',
    (argv) => {
      expect(() => parseLogsOptions(flagsFrom(logsSpec, argv))).toThrow(/Invalid --(since|limit)/);
    },
  );

  test('trigger --set writes nested paths, JSON values, and args.X into the first tool call', () => {
    const p: any = {
      message: {
        toolCallList: [{ function: { arguments: {} } }],
        toolWithToolCallList: [{ toolCall: { function: { arguments: {} } } }],
      },
    };
    applySet(p, 'message.call.id=abc');
    applySet(p, 'message.cost=0.5');
    applySet(p, 'args.date=tomorrow at 10am');
    expect(p.message.call.id).toBe('abc');
    expect(p.message.cost).toBe(0.5);
    expect(p.message.toolCallList[0].function.arguments.date).toBe('tomorrow at 10am');
    expect(p.message.toolWithToolCallList[0].toolCall.function.arguments.date).toBe('tomorrow at 10am');
    expect(() => applySet(p, 'novalue')).toThrow(/--set needs path=value/);
  });

  test('trigger placeholders keep numbers numeric and name a weekday at least 3 days ahead', () => {
    const out = fillPlaceholders(
      { t: '{{timestamp}}', d: '{{date:tue}} at 10am', id: 'x-{{callId}}' },
      { timestamp: 5, callId: 'c1', timeZone: 'Asia/Kolkata' },
      now,
    );
    expect(out).toEqual({ t: 5, d: 'Tuesday 24 November at 10am', id: 'x-c1' });
  });
});

function secretEnv() {
  return createEnv({ VAPI_SERVER_SECRET: 'test-secret-0123456789abcdef' }, {}, '.env');
}
