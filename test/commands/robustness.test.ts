import fs from 'node:fs';
import path from 'node:path';
import { expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { patientFlags } from '../support/cli.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { withCsvCallLogs } from '../../src/store/embedded.js';
import { emptyCallLog } from '../../src/domain/call-log-query.js';

// Issue 25 finding 8, the smaller ones, each as a user meets it. In-process commands run on a pinned
// clock: Saturday 21 November 2026, 10:00 in Asia/Kolkata.
const PW = 'robust-admin-passphrase';
const { ctx, run, seedWithAdmin } = commandEnv();
const storeDir = () => path.join(ctx.tmp.dir, 'store');
const asAdmin = { env: { RECEPTIONIST_USERNAME: 'admin', RECEPTIONIST_PASSWORD: PW } };

test('a backup killed mid-way leaves nothing that the next backup does not remove', async () => {
  await seedWithAdmin(PW);
  // What a kill -9 left: the snapshot copy in the data directory and the partial archive.
  const copy = path.join(storeDir(), '.snapshot-999999-abcdef');
  fs.mkdirSync(copy);
  fs.writeFileSync(path.join(copy, 'receptionist.db'), Buffer.alloc(1024 * 1024));
  const partial = path.join(ctx.tmp.dir, 'clinic.tar.gz.partial-999999');
  fs.writeFileSync(partial, 'half an archive');
  const r = await run(['backup', 'clinic.tar.gz'], asAdmin);
  expect(r.code, r.err).toBe(0);
  expect(fs.existsSync(copy)).toBe(false);
  expect(fs.existsSync(partial)).toBe(false);
  expect(fs.readdirSync(storeDir()).filter((n) => n.startsWith('.snapshot-'))).toEqual([]);
});

test('calls.csv and logs --csv quote a carriage return, so no spreadsheet splits the row', async () => {
  await seedWithAdmin(PW);
  const store = await withCsvCallLogs(await openSqliteStore({ dir: storeDir() }), storeDir(), { purpose: 'test' });
  try {
    expect(
      await store.callLogs.append({ ...emptyCallLog('call_cr', '2026-11-20T10:00:00.000Z'), endedReason: 'a\rb' }),
    ).toBe(true);
  } finally {
    await store.close();
  }
  const csv = fs.readFileSync(path.join(storeDir(), 'calls.csv'), 'utf8');
  expect(csv).toContain('"a\rb"');
  const piped = await run(['logs', '--csv']);
  expect(piped.out).toContain('"a\rb"');
});

test('appointments list --decrypt writes a formula-like patient name as text when piped', async () => {
  await seedWithAdmin(PW);
  const name = '=HYPERLINK("http://x.example","Click")';
  expect(
    (await run(['appointments', 'book', '--doctor', 'rao', '--at', '2026-11-23 10:00', ...patientFlags(name)])).code,
  ).toBe(0);
  const r = await run(['appointments', 'list', '--date', '2026-11-23', '--decrypt'], asAdmin);
  expect(r.code, r.err).toBe(0);
  expect(r.out).toContain(`\t'${name}`);
});

test('a command that only reads makes a world-readable store private, as serve does', async () => {
  await seedWithAdmin(PW);
  const file = path.join(storeDir(), 'receptionist.db');
  fs.chmodSync(file, 0o644);
  fs.chmodSync(storeDir(), 0o755);
  expect((await run(['logs'])).code).toBe(0);
  expect(fs.statSync(file).mode & 0o777).toBe(0o600);
  expect(fs.statSync(storeDir()).mode & 0o777).toBe(0o700);
});

test('preflight names the records older builds accepted and the commands skip: a call status at 1e308', async () => {
  await seedWithAdmin(PW);
  const store = await openSqliteStore({ dir: storeDir() });
  try {
    await store.collection('call_status').insertOne({ _id: 'call_poison', status: 'ended', at: 1e308 });
  } finally {
    await store.close();
  }
  const r = await run(['preflight']);
  expect(r.out).toMatch(
    /✗ stored records +1 record\(s\) no read can use, each skipped .*call_status call_poison \("at" must be <= /,
  );
});
