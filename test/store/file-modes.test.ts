import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { withCsvCallLogs } from '../../src/store/embedded.js';
import { emptyCallLog } from '../../src/domain/call-log-query.js';

// Issue 13 item 7: every file the store writes is 0600 and its folders 0700, also when they existed before.
const { ctx, run } = commandEnv();

/** Writes one call log through the CSV call log (what serve does with --log-to csv). */
async function appendCsvCallLog(dir: string, callId = 'call_1'): Promise<void> {
  const store = await withCsvCallLogs(await openSqliteStore({ dir }), dir, { purpose: 'test' });
  expect(await store.callLogs.append(emptyCallLog(callId, '2026-11-20T10:00:00.000Z'))).toBe(true);
  await store.close();
}

/** Every file and folder under `dir` (itself included) with a mode other than 600 / 700. */
function loose(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o777) !== want)
      out.push(`${path.relative(ctx.tmp.dir, p) || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const name of fs.readdirSync(p)) walk(path.join(p, name));
  };
  walk(dir);
  return out;
}

test.skipIf(process.platform === 'win32')(
  'a fresh store, its CSV call log and .env: files 600, folders 700',
  async () => {
    const store = path.join(ctx.tmp.dir, 'store');
    expect((await run(['--log-to', 'csv', 'seed'])).code).toBe(0);
    expect((await run(['users', 'add', 'admin', '--password-stdin'], { stdin: 'a-long-passphrase\n' })).code).toBe(0);
    await appendCsvCallLog(store);
    expect(fs.existsSync(path.join(store, 'calls.csv'))).toBe(true);
    expect(loose(store)).toEqual([]);
    expect(fs.statSync(path.join(ctx.tmp.dir, '.env')).mode & 0o777).toBe(0o600);
  },
);

test.skipIf(process.platform === 'win32')(
  'a store an older build left readable by others is tightened when it is opened; an existing .env too',
  async () => {
    const store = path.join(ctx.tmp.dir, 'store');
    expect((await run(['--log-to', 'csv', 'seed'])).code).toBe(0);
    await appendCsvCallLog(store);
    fs.chmodSync(store, 0o755);
    for (const name of fs.readdirSync(store)) fs.chmodSync(path.join(store, name), 0o644);
    fs.writeFileSync(path.join(ctx.tmp.dir, '.env'), 'VAPI_SERVER_SECRET=test-secret-0123456789abcdef\n', {
      mode: 0o644,
    });
    fs.chmodSync(path.join(ctx.tmp.dir, '.env'), 0o644);
    expect(loose(store).length).toBeGreaterThan(1);
    expect((await run(['users', 'add', 'admin', '--password-stdin'], { stdin: 'a-long-passphrase\n' })).code).toBe(0);
    await appendCsvCallLog(store, 'call_2');
    expect(loose(store)).toEqual([]);
    // The .env now holds the blind-index key: no longer readable by others.
    expect(fs.readFileSync(path.join(ctx.tmp.dir, '.env'), 'utf8')).toContain('RECEPTIONIST_BLIND_INDEX_KEY=');
    expect(fs.statSync(path.join(ctx.tmp.dir, '.env')).mode & 0o777).toBe(0o600);
  },
);
