import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';

let tmp: ReturnType<typeof tempDir>;
const running: RunningServe[] = [];
beforeEach(() => {
  tmp = tempDir('receptionist-csv-');
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop('SIGKILL');
  tmp.cleanup();
});

const report = (id: string, endedAt: string) => ({
  type: 'end-of-call-report',
  endedReason: 'customer-ended-call',
  endedAt,
  call: { id },
});

test('--log-to csv on the embedded store: calls.csv follows the store, a lost tail comes back, export rebuilds it', async () => {
  const env = { RECEPTIONIST_LOG_TO: 'csv' };
  await setup(tmp.dir, env);
  const csvFile = path.join(tmp.dir, '.receptionist', 'calls.csv');
  const serve = async () => {
    const s = await startServe(tmp.dir, [], env);
    running.push(s);
    return s;
  };
  let s = await serve();
  for (const [id, at] of [
    ['call_a', '2026-11-20T10:00:00.000Z'],
    ['call_b', '2026-11-20T11:00:00.000Z'],
  ] as const)
    expect((await postSigned(s.url, report(id, at))).status).toBe(200);
  const rowsOf = () =>
    fs
      .readFileSync(csvFile, 'utf8')
      .trim()
      .split('\n')
      .slice(1)
      .map((l) => l.split(',')[0]);
  expect(rowsOf()).toEqual(['call_a', 'call_b']);
  // A command that writes no call log is not held up by serve's hold on the CSV.
  const set = await cli(['config', 'set', 'firstMessage', 'Hello'], { cwd: tmp.dir, env });
  expect(set.exitCode, set.stderr).toBe(0);
  // The store is the record: logs reads it, with or without --log-to.
  const logs = JSON.parse((await cli(['logs', '--json'], { cwd: tmp.dir })).stdout) as Array<{ callId: string }>;
  expect(logs.map((r) => r.callId)).toEqual(['call_b', 'call_a']);
  await s.stop();
  running.length = 0;

  // A crash between the store's commit and the CSV append: the CSV's last row is missing …
  const lines = fs.readFileSync(csvFile, 'utf8').trim().split('\n');
  fs.writeFileSync(csvFile, `${lines.slice(0, -1).join('\n')}\n`);
  expect(rowsOf()).toEqual(['call_a']);
  // … and the next start appends it again, once.
  s = await serve();
  expect(rowsOf()).toEqual(['call_a', 'call_b']);
  await s.stop();
  running.length = 0;

  // logs export --csv rebuilds the CSV from the store.
  fs.writeFileSync(csvFile, fs.readFileSync(csvFile, 'utf8').split('\n')[0] + '\n');
  const exported = await cli(['logs', 'export', '--csv', '--json'], { cwd: tmp.dir });
  expect(exported.exitCode, exported.stderr).toBe(0);
  expect(JSON.parse(exported.stdout)).toMatchObject({ rows: 2 });
  expect(rowsOf()).toEqual(['call_a', 'call_b']);
}, 60_000);
