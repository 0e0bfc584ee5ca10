import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, test } from 'vitest';
import { EXIT, reportError, AuthError, UserError } from '../../../src/errors.js';
import { createContext } from '../../../src/commands/shared/context.js';
import { toUserError } from '../../../src/commands/shared/user-errors.js';
import { COMMANDS } from '../../../src/commands/index.js';
import { KeyringAuthError, KeyringError } from '../../../src/domain/keyring.js';
import { ConfigValueError } from '../../../src/vapi/bot-config-edit.js';
import { SealError } from '../../../src/crypto/seal.js';
import { StoreUnavailableError } from '../../../src/store/types.js';
import type { GlobalOptions } from '../../../src/commands/shared/globals.js';
import { parseSeedOptions } from '../../../src/commands/seed/seed.js';
import { parseOptionsOptions } from '../../../src/commands/options/options.js';
import { parseAuditOptions } from '../../../src/commands/audit/audit.js';
import { parseMetricsOptions } from '../../../src/commands/metrics/metrics.js';
import { parseSetOptions } from '../../../src/commands/config/config.js';
import { parseMigrateOptions } from '../../../src/commands/migrate/migrate.js';
import { parsePreflightOptions } from '../../../src/commands/preflight/preflight.js';
import { parseChatLogOptions, parseChatOptions } from '../../../src/commands/chat/chat.js';
import { parseCallOptions } from '../../../src/commands/call/call.js';
import { parseSyncOptions } from '../../../src/commands/sync/sync.js';
import { parseTriggerOptions } from '../../../src/commands/trigger/trigger.js';
import { parseUserTarget } from '../../../src/commands/users/users.js';
import { testDeps } from '../../support/deps.js';
import { tempDir } from '../../support/store.js';

describe('parse<Verb>Options: flags → options, pure', () => {
  test.each([
    ['seed', () => parseSeedOptions({ force: true }), { force: true }],
    ['seed', () => parseSeedOptions({}), { force: false }],
    [
      'options',
      () => parseOptionsOptions({ kind: 'voices', provider: '11labs' }),
      { kind: 'voices', provider: '11labs' },
    ],
    ['audit', () => parseAuditOptions({ since: '7d', limit: '20' }), { since: { ms: 7 * 86_400_000 }, limit: 20 }],
    ['audit', () => parseAuditOptions({ since: '2026-11-01T09:00' }), { since: { iso: '2026-11-01T09:00' } }],
    ['metrics', () => parseMetricsOptions({}), { by: 'day', since: { ms: 30 * 86_400_000 }, remote: false }],
    [
      'metrics',
      () => parseMetricsOptions({ by: 'endedReason', since: '24h', remote: true }),
      { by: 'endedReason', remote: true },
    ],
    [
      'config set',
      () => parseSetOptions({ pairs: ['voice.provider', '11labs', 'voice.voiceId', 'burt'] }),
      {
        pairs: [
          ['voice.provider', '11labs'],
          ['voice.voiceId', 'burt'],
        ],
        force: false,
      },
    ],
    [
      'migrate',
      () => parseMigrateOptions({ from: 'local', to: 'mongo', dryRun: true }),
      { from: 'local', to: 'mongo', dryRun: true },
    ],
    ['preflight', () => parsePreflightOptions({ publicUrl: 'https://x.example' }), { publicUrl: 'https://x.example' }],
    ['chat', () => parseChatOptions({ message: 'hi', previousChatId: 'c1' }), { message: 'hi', previousChatId: 'c1' }],
    ['chat log', () => parseChatLogOptions({ decrypt: true, limit: '5' }), { decrypt: true, limit: 5 }],
    [
      'call',
      () => parseCallOptions({ numbers: ['+919812345678'], var: ['name=Asha', 'slot=Tue 11=30'], concurrency: '8' }),
      {
        numbers: ['+919812345678'],
        vars: { name: 'Asha', slot: 'Tue 11=30' },
        concurrency: 8,
        wait: false,
        dryRun: false,
      },
    ],
    ['call', () => parseCallOptions({ fromCsv: 'r.csv' }), { numbers: [], fromCsv: 'r.csv', concurrency: 4 }],
    [
      'sync',
      () => parseSyncOptions({ check: true, config: 'c.json' }),
      { check: true, dryRun: false, config: 'c.json' },
    ],
    ['trigger', () => parseTriggerOptions({ list: true }), { mode: 'list', auth: 'hmac', set: [] }],
    [
      'trigger',
      () => parseTriggerOptions({ event: 'end-of-call-report', auth: 'none' }),
      { mode: 'send', auth: 'none' },
    ],
    ['trigger', () => parseTriggerOptions({ replay: 'call_1' }), { mode: 'replay', replay: 'call_1' }],
    ['users', () => parseUserTarget({ user: 'ravi' }), { username: 'ravi' }],
  ])('%s', (_name, parse, expected) => {
    expect(parse()).toMatchObject(expected);
  });

  test.each([
    ['audit --since tomorrow', () => parseAuditOptions({ since: 'tomorrow' }), /Invalid --since "tomorrow"/],
    ['audit --limit 0', () => parseAuditOptions({ limit: '0' }), /Invalid --limit "0"/],
    ['metrics --since Dec 1', () => parseMetricsOptions({ since: 'Dec 1' }), /Invalid --since "Dec 1"/],
    ['config set with an odd word', () => parseSetOptions({ pairs: ['voice.provider'] }), /key value pairs/],
    ['migrate to itself', () => parseMigrateOptions({ from: 'local', to: 'local' }), /both "local"/],
    ['migrate from nowhere', () => parseMigrateOptions({ from: 'sqlite', to: 'mongo' }), /Invalid --from "sqlite"/],
    ['chat log --limit x', () => parseChatLogOptions({ limit: 'x' }), /Invalid --limit "x"/],
    ['call without numbers', () => parseCallOptions({}), /at least one number/],
    ['call with numbers and a CSV', () => parseCallOptions({ numbers: ['+1'], fromCsv: 'a.csv' }), /not both/],
    ['call --var without =', () => parseCallOptions({ numbers: ['+1'], var: ['name'] }), /--var needs key=value/],
    [
      'call --concurrency 0',
      () => parseCallOptions({ numbers: ['+1'], concurrency: '0' }),
      /Invalid --concurrency "0"/,
    ],
    ['sync --dry-run --check', () => parseSyncOptions({ dryRun: true, check: true }), /give one/],
    ['trigger without an event', () => parseTriggerOptions({}), /Name an event, or pass --file/],
    [
      'trigger --replay with --file',
      () => parseTriggerOptions({ replay: 'c', file: 'f.json' }),
      /takes no event or --file/,
    ],
  ])('%s is a usage error (exit 2)', (_name, parse, message) => {
    let thrown: unknown;
    try {
      parse();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(UserError);
    expect((thrown as UserError).exitCode).toBe(EXIT.usage);
    expect((thrown as Error).message).toMatch(message);
  });

  test('every command definition names a run module or subcommands, and every leaf has examples', () => {
    const walk = (defs: typeof COMMANDS, prefix: string): string[] =>
      defs.flatMap((d) => {
        const name = `${prefix}${d.name}`;
        const problems = [];
        if (!d.load && !d.subcommands?.length) problems.push(`${name}: nothing to run`);
        if (d.load && !d.examples?.length) problems.push(`${name}: no examples`);
        return [...problems, ...walk(d.subcommands ?? [], `${name} `)];
      });
    expect(walk(COMMANDS, '')).toEqual([]);
  });
});

describe('Context', () => {
  let tmp: ReturnType<typeof tempDir> | undefined;
  afterEach(() => tmp?.cleanup());

  const contextAt = (dir: string, extraEnv: Record<string, string> = {}) => {
    const deps = testDeps({ cwd: dir, env: extraEnv });
    const globals: GlobalOptions = {
      dataDir: { value: path.join(dir, 'store'), source: '--data-dir' },
      json: false,
      color: false,
      debug: false,
    };
    return createContext(deps, { globals, commandPath: 'receptionist test', program: new Command(), connection: {} });
  };

  test('opens the store once on first use, closes it once, and refuses a writer after a read-only open', async () => {
    tmp = tempDir();
    const ctx = contextAt(tmp.dir);
    const a = await ctx.store();
    expect(await ctx.store()).toBe(a);
    await ctx.close();
    await ctx.close(); // a second close is a no-op
    // The lock was released: another context can open it for writing.
    const again = contextAt(tmp.dir);
    await again.store();
    await again.close();

    const reader = contextAt(tmp.dir);
    await reader.store({ readOnly: true });
    expect(() => reader.store()).toThrow(/opened the store read-only/);
    await reader.close();
  });

  test('nothing connects until asked: vapi() without a key is the AuthError with its hint', async () => {
    tmp = tempDir();
    const ctx = contextAt(tmp.dir);
    await expect(ctx.vapi()).rejects.toBeInstanceOf(AuthError);
    await ctx.close();
  });
});

describe('toUserError: the one table main applies', () => {
  test.each([
    [new KeyringAuthError(), EXIT.auth, /Wrong username or password/],
    [new KeyringError('The last admin cannot be removed.'), EXIT.error, /last admin/],
    [new SealError('bad tag'), EXIT.store, /failed authentication: bad tag/],
    [new ConfigValueError('Unknown voice "x"', ['burt', 'Kylie']), EXIT.usage, /Unknown voice/],
    [new StoreUnavailableError('disk full'), EXIT.store, /disk full/],
    [Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' }), EXIT.store, /The disk is full/],
  ])('%s → exit %i', (err, exit, message) => {
    const lines: string[] = [];
    expect(reportError(toUserError(err), { error: (l) => lines.push(l) }, false)).toBe(exit);
    expect(lines[0]).toMatch(message);
  });

  test('a bug stays a bug (exit 70)', () => {
    expect(reportError(toUserError(new TypeError('x is undefined')), { error: () => undefined }, false)).toBe(
      EXIT.internal,
    );
  });
});
