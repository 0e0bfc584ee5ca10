import path from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, test } from 'vitest';
import { EXIT, reportError, AuthError } from '../../../src/errors.js';
import { createContext } from '../../../src/commands/shared/context.js';
import { toUserError } from '../../../src/commands/shared/user-errors.js';
import { COMMANDS } from '../../../src/commands/index.js';
import { KeyringAuthError, KeyringError } from '../../../src/domain/keyring.js';
import { ConfigValueError } from '../../../src/vapi/bot-config-edit.js';
import { SealError } from '../../../src/crypto/seal.js';
import { StoreUnavailableError } from '../../../src/store/types.js';
import type { GlobalOptions } from '../../../src/commands/shared/globals.js';
import { testDeps } from '../../support/deps.js';
import { tempDir } from '../../support/store.js';

describe('command definitions', () => {
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
