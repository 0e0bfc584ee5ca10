import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { cli, E2E_ADMIN, E2E_SECRET, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { STORE_DOWN_APOLOGY } from '../../src/server/messages.js';
import { tempDir } from '../support/store.js';
import { startMongoDouble, type MongoDouble } from '../support/mongo-double.js';
import { spokenDayAhead } from '../support/dates.js';

// The built binary on MongoDB (the wire double): two `serve` processes share one database.
let tmp: ReturnType<typeof tempDir>;
let double: MongoDouble;
const running: RunningServe[] = [];
beforeEach(async () => {
  tmp = tempDir('receptionist-e2e-mongo-');
  double = await startMongoDouble();
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop('SIGKILL');
  await double.close();
  tmp.cleanup();
});

const post = postSigned;

test('BOOK-1 across two serve processes sharing MongoDB: 200 concurrent bookings of one slot, exactly one', async () => {
  const env = { MONGODB_URI: double.uri };
  await setup(tmp.dir, env);
  const a = await startServe(tmp.dir, [], env);
  const b = await startServe(tmp.dir, [], env);
  running.push(a, b);
  const args = {
    name: 'A B',
    email: 'a@b.co',
    phone: '+919812345678',
    date: `${spokenDayAhead(1)} at 10am`,
    reason: 'x',
    doctor: 'Rao',
  };
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) =>
      post(i % 2 ? a.url : b.url, {
        type: 'tool-calls',
        call: { id: `call_${i}` },
        toolCallList: [{ id: `tc_${i}`, function: { name: 'book_appointment', arguments: args } }],
      }),
    ),
  );
  expect(results.filter((r) => r.status !== 200).map((r) => `${r.status} ${JSON.stringify(r.body)}`)).toEqual([]);
  const booked = results.filter((r) => /^You're booked/.test(r.body.results[0].result ?? ''));
  expect(booked).toHaveLength(1);
  // No database in the URI: the store uses 'receptionist'.
  expect(double.collection('receptionist', 'appointments').filter((d) => d.activeSlot)).toHaveLength(1);
  // The call log and logs work on MongoDB too.
  await post(a.url, {
    type: 'end-of-call-report',
    endedReason: 'hangup',
    call: { id: 'call_0' },
    artifact: { transcript: 'secret words' },
  });
  const logs = JSON.parse((await cli(['logs', '--json'], { cwd: tmp.dir, env })).stdout);
  expect(logs.map((r: { callId: string; transcript: string }) => [r.callId, r.transcript])).toEqual([
    ['call_0', '[sealed]'],
  ]);
});

test('DUR-2 on the built binary: MongoDB stops, a report is acknowledged and spooled, serve reports the depth and the drain', async () => {
  const env = { MONGODB_URI: double.uri };
  await setup(tmp.dir, env);
  const a = await startServe(tmp.dir, [], env);
  running.push(a);
  await double.stop();
  expect(
    (await post(a.url, { type: 'end-of-call-report', endedReason: 'hangup', call: { id: 'call_spooled' } })).status,
  ).toBe(200);
  const health = a.url.replace('/webhook', '/health');
  expect(await (await fetch(health)).json()).toEqual({
    ok: true,
    status: 'degraded',
    store: 'unreachable',
    spoolDepth: 1,
    shed: 0,
  });
  await double.start();
  for (let i = 0; i < 200 && ((await (await fetch(health)).json()) as { spoolDepth: number }).spoolDepth > 0; i++)
    await new Promise((r) => setTimeout(r, 100));
  expect(double.collection('receptionist', 'call_logs').map((d) => d._id)).toEqual(['call_spooled']);
  const result = await a.stop('SIGTERM');
  const events = String(result.stdout)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  expect(events.filter((e) => e.kind === 'spool').map(({ time: _time, reason: _reason, ...e }) => e)).toEqual([
    { kind: 'spool', state: 'queued', depth: 1 },
    { kind: 'spool', state: 'drained', written: 1, depth: 0 },
  ]);
  expect(events.find((e) => e.kind === 'message' && e.type === 'end-of-call-report')).toMatchObject({
    status: 200,
    outcome: 'spooled',
  });
}, 60_000);

test('--log-to csv also writes call logs to <data-dir>/calls.csv, derived from MongoDB; --log-to mongo needs MongoDB', async () => {
  const env = { MONGODB_URI: double.uri, RECEPTIONIST_LOG_TO: 'csv' };
  await setup(tmp.dir, env);
  const a = await startServe(tmp.dir, [], env);
  running.push(a);
  expect(
    (await post(a.url, { type: 'end-of-call-report', endedReason: 'hangup', call: { id: 'call_csv' } })).status,
  ).toBe(200);
  // The store holds the call (queried, acknowledged); the CSV is a copy for spreadsheets.
  expect(double.collection('receptionist', 'call_logs').map((d) => d._id)).toEqual(['call_csv']);
  expect(fs.readFileSync(path.join(tmp.dir, '.receptionist', 'calls.csv'), 'utf8')).toContain('call_csv');
  const logs = await cli(['logs', '--json', '--log-to', 'csv'], { cwd: tmp.dir, env: { MONGODB_URI: double.uri } });
  expect(JSON.parse(logs.stdout).map((r: { callId: string }) => r.callId)).toEqual(['call_csv']);
  const noMongo = await cli(['logs', '--log-to', 'mongo'], { cwd: tmp.dir });
  expect(noMongo.exitCode).toBe(2);
  expect(noMongo.stderr).toContain('Error: Call logs cannot go to MongoDB (from --log-to): no MongoDB is configured.');
  const bad = await cli(['logs', '--log-to', 'kafka'], { cwd: tmp.dir });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('Invalid log target "kafka" (from --log-to).');
}, 60_000);

/** Polls serve's /health until `ok(health)`, at most `ms`. */
async function healthUntil(
  webhookUrl: string,
  ok: (h: { status: string; store: string; spoolDepth: number }) => boolean,
  ms = 40_000,
) {
  const url = webhookUrl.replace('/webhook', '/health');
  const end = Date.now() + ms;
  for (;;) {
    const h = (await (await fetch(url)).json()) as { status: string; store: string; spoolDepth: number };
    if (ok(h)) return h;
    if (Date.now() > end) throw new Error(`health stayed ${JSON.stringify(h)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

const events = (stdout: unknown) =>
  String(stdout)
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('issue 13 item 14: MongoDB unreachable when serve starts', () => {
  test('serve starts from its local copy, answers with the apology, spools, and connects when MongoDB answers', async () => {
    const env = { MONGODB_URI: double.uri };
    await setup(tmp.dir, env);
    // A first serve while MongoDB answers leaves the local copy: bot config and public keys, no grants, mode 600.
    await (await startServe(tmp.dir, [], env)).stop('SIGTERM');
    const copyFile = path.join(tmp.dir, '.receptionist', 'mongo-copy.json');
    expect(fs.statSync(copyFile).mode & 0o777).toBe(0o600);
    const copy = JSON.parse(fs.readFileSync(copyFile, 'utf8'));
    expect(copy).toMatchObject({ format: 'receptionist-serve-copy', version: 1, bot_configs: [{ _id: 'default' }] });
    expect(copy.keys.map((k: { role: string; status: string }) => [k.role, k.status]).sort()).toEqual([
      ['admin', 'active'],
      ['receptionist', 'active'],
    ]);
    expect(JSON.stringify(copy)).not.toContain('grants');

    await double.stop();
    const s = await startServe(tmp.dir, [], env);
    running.push(s);
    expect(await healthUntil(s.url, () => true)).toEqual({
      ok: true,
      status: 'degraded',
      store: 'connecting',
      spoolDepth: 0,
      shed: 0,
    });
    const tool = await post(s.url, {
      type: 'tool-calls',
      call: { id: 'call_down' },
      toolCallList: [{ id: 'tc_down', function: { name: 'list_doctors', arguments: {} } }],
    });
    expect(tool.status).toBe(200);
    expect(tool.body.results).toEqual([{ toolCallId: 'tc_down', name: 'list_doctors', error: STORE_DOWN_APOLOGY }]);
    const report = await post(s.url, { type: 'end-of-call-report', endedReason: 'hangup', call: { id: 'call_down' } });
    expect(report.status).toBe(200);
    expect((await healthUntil(s.url, () => true)).spoolDepth).toBe(1);

    await double.start();
    expect(await healthUntil(s.url, (h) => h.status === 'ok' && h.spoolDepth === 0)).toEqual({
      ok: true,
      status: 'ok',
      store: 'connected',
      spoolDepth: 0,
      shed: 0,
    });
    expect(double.collection('receptionist', 'call_logs').map((d) => d._id)).toEqual(['call_down']);
    const again = await post(s.url, {
      type: 'tool-calls',
      call: { id: 'call_up' },
      toolCallList: [{ id: 'tc_up', function: { name: 'list_doctors', arguments: {} } }],
    });
    expect(again.body.results[0].result).toMatch(/Dr\./);
    const out = events((await s.stop('SIGTERM')).stdout);
    expect(out.filter((e) => e.kind === 'store').map((e) => e.state)).toEqual(['connecting', 'connected']);
    expect(out.find((e) => e.kind === 'warning')?.message).toMatch(
      /^Started from the local copy of the bot config and keys saved \d{4}-.*mongo-copy\.json\)/,
    );
    expect(out.at(-1)).toMatchObject({ kind: 'stopped' });
  }, 120_000);

  test('keys substituted in MongoDB meanwhile: serve stops when it connects, with the pin error', async () => {
    const env = { MONGODB_URI: double.uri };
    await setup(tmp.dir, env);
    await (await startServe(tmp.dir, [], env)).stop('SIGTERM');
    await double.stop();
    const s = await startServe(tmp.dir, [], env);
    running.push(s);
    // Someone with write access to the database puts their own public key in place of the admins'.
    const active = double.collection('receptionist', 'keys').find((k) => k.status === 'active' && k.role === 'admin')!;
    active.publicKey = Buffer.alloc(32, 9).toString('base64url');
    await double.start();
    const r = await s.proc;
    expect(r.exitCode).toBe(1);
    // --json: the error is one JSON line on stderr.
    const error = JSON.parse(String(r.stderr).trim().split('\n').at(-1)!);
    expect(error).toMatchObject({ code: 'error', exitCode: 1 });
    expect(error.message).toMatch(/^The store's active encryption keys \(.*\) are not the ones pinned in /);
    expect(events(r.stdout).at(-1)).toMatchObject({ kind: 'stopped' });
  }, 120_000);

  test('a malformed URI, an unknown host and rejected credentials still exit at once; no local copy says how to get one', async () => {
    const env = { MONGODB_URI: double.uri };
    await setup(tmp.dir, env);
    await (await startServe(tmp.dir, [], env)).stop('SIGTERM');
    const serve = (uri: string) =>
      cli(['serve', '--port', '0'], { cwd: tmp.dir, env: { MONGODB_URI: uri, VAPI_SERVER_SECRET: E2E_SECRET } });
    const malformed = await serve('mongodb://127.0.0.1:notaport');
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).toContain('Error: Invalid MongoDB URI');
    const unknownHost = await serve('mongodb://no-such-host.invalid:27017/receptionist');
    expect(unknownHost.exitCode).toBe(6);
    expect(unknownHost.stderr).toContain('the host does not exist');
    const rejected = await serve(double.uri.replace('mongodb://', 'mongodb://clinic:wrong@'));
    expect(rejected.exitCode).toBe(5);
    expect(rejected.stderr).toContain('refused the credentials: authentication failed.');

    // Keys rotated after the copy was saved: the copy no longer passes the pin, and serve says why.
    const rotated = await cli(['keys', 'rotate', '--username', E2E_ADMIN.username, '--password-stdin'], {
      cwd: tmp.dir,
      env,
      input: `${E2E_ADMIN.password}\n`,
    });
    expect(rotated.exitCode).toBe(0);
    await double.stop();
    const stale = await serve(double.uri);
    expect(stale.exitCode).toBe(6);
    expect(stale.stderr).toMatch(
      /is unreachable, and serve's local copy \(saved .*\) cannot be used instead: The store's active encryption keys .* are not the ones pinned in/,
    );
    const copyFile = path.join(tmp.dir, '.receptionist', 'mongo-copy.json');
    fs.writeFileSync(copyFile, '{"format": "receptionist-serve-co');
    const damaged = await serve(double.uri);
    expect(damaged.exitCode).toBe(6);
    expect(damaged.stderr).toContain(`serve's local copy ${copyFile} is damaged (`);
    fs.rmSync(copyFile);
    const noCopy = await serve(double.uri);
    expect(noCopy.exitCode).toBe(6);
    expect(noCopy.stderr).toContain('is unreachable: no server answered');
    expect(noCopy.stderr).toContain('start it once while MongoDB answers');
  }, 120_000);
});
