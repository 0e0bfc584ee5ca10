import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { openMongoStore } from '../../src/store/mongo/index.js';
import { Spool } from '../../src/store/spool.js';
import { STORE_DOWN_APOLOGY } from '../../src/server/messages.js';
import type { SpoolEvent } from '../../src/server/call-events.js';
import type { StoreEvent } from '../../src/store/watched.js';
import { startTestServer, toolCalls, only, type TestServer } from '../support/app.js';
import { startMongoDouble, type MongoDouble } from '../support/mongo-double.js';
import { tempDir } from '../support/store.js';

const report = (callId: string) => ({
  type: 'end-of-call-report',
  endedReason: 'customer-ended-call',
  startedAt: '2026-11-21T04:25:00.000Z',
  endedAt: '2026-11-21T04:28:30.000Z',
  call: { id: callId, type: 'inboundPhoneCall', assistantId: 'asst_1' },
  customer: { number: '+919812345678' },
  artifact: { transcript: `secret transcript of ${callId}` },
});
/** Status times are `at` ms after 2026-11-21 04:25 UTC. */
const T0 = Date.UTC(2026, 10, 21, 4, 25);
const status = (callId: string, s: string, at: number) => ({
  type: 'status-update',
  status: s,
  timestamp: T0 + at,
  call: { id: callId },
});

async function until(cond: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 50));
  }
}

// DUR-2 on the real driver: the MongoDB double is stopped and restarted while call-log events
// and tool calls keep coming. Serve's timeouts (1 s server selection, 1.2 s socket).
describe.skipIf(Boolean(process.env.MONGODB_URI))('DUR-2: MongoDB goes down mid-load', () => {
  let double: MongoDouble;
  let s: TestServer;
  const spoolEvents: SpoolEvent[] = [];
  const storeEvents: StoreEvent[] = [];
  const db = 'receptionist_dur2';
  beforeEach(async () => {
    double = await startMongoDouble();
    const store = await openMongoStore({
      uri: double.uri,
      dbName: db,
      serverSelectionTimeoutMS: 1000,
      socketTimeoutMS: 1200,
    });
    s = await startTestServer({
      store,
      spool: true,
      onSpoolEvent: (e) => spoolEvents.push(e),
      onStoreEvent: (e) => storeEvents.push(e),
    });
  });
  afterEach(async () => {
    await s.close();
    await double.close();
  });

  test('every acknowledged event reaches MongoDB once, spooled ones in order; tool calls get a spoken apology meanwhile', async () => {
    const acked: string[] = [];
    const send = async (id: string) => {
      const r = await s.send(report(id));
      expect(r.status).toBe(200);
      acked.push(id);
      return s.events.at(-1)!.outcome;
    };
    // Up: 40 concurrent reports and statuses.
    await Promise.all(Array.from({ length: 40 }, (_, i) => send(`up_${i}`)));
    await Promise.all(Array.from({ length: 40 }, (_, i) => s.send(status(`up_${i}`, 'ended', 1_000 + i))));

    await double.stop();
    const downOutcomes: string[] = [];
    for (let i = 0; i < 60; i++) downOutcomes.push(await send(`down_${i}`));
    expect(downOutcomes.every((o) => o === 'spooled')).toBe(true);
    expect(await s.send(status('down_0', 'in-progress', 500))).toMatchObject({ status: 200 });
    expect(await s.send(status('down_0', 'ended', 900))).toMatchObject({ status: 200 });
    // A tool call while it is down: answered, with an apology, not hanging.
    const started = performance.now();
    const tool = await s.send(toolCalls('call_down', ['list_doctors', {}, 'tc_down']));
    const toolMs = performance.now() - started;
    expect(tool.status).toBe(200);
    expect(only(tool.body)).toEqual({ toolCallId: 'tc_down', name: 'list_doctors', error: STORE_DOWN_APOLOGY });
    expect(toolMs).toBeLessThan(5_000); // the 1.5 s target is measured in bench/, not asserted here
    expect(spoolEvents.at(-1)).toMatchObject({ kind: 'spool', state: 'queued', depth: 62 });
    const health = async () => (await s.app.inject({ method: 'GET', url: '/health' })).json();
    expect(await health()).toEqual({ ok: true, status: 'degraded', store: 'unreachable', spoolDepth: 62, shed: 0 });
    expect(storeEvents.map((e) => e.state)).toEqual(['unreachable']);

    // Back up, then down again while it drains, then up for good; reports keep coming throughout.
    await double.start();
    for (let i = 0; i < 20; i++) await send(`back_${i}`);
    await double.stop();
    for (let i = 20; i < 30; i++) await send(`back_${i}`);
    await double.start();
    await until(() => s.callEvents.depth === 0);
    expect(spoolEvents.at(-1)).toMatchObject({ kind: 'spool', state: 'drained', depth: 0 });
    // /health says so without a request having to fail or succeed first (a probe reads while it is down).
    await until(() => storeEvents.at(-1)?.state === 'connected');
    expect(await health()).toEqual({ ok: true, status: 'ok', store: 'connected', spoolDepth: 0, shed: 0 });

    const rows = double.collection(db, 'call_logs');
    const ids = rows.map((r) => r._id as string);
    expect(new Set(ids).size).toBe(ids.length); // no duplicates
    expect([...ids].sort()).toEqual([...acked].sort()); // no loss
    // Everything acknowledged after the outage began reached MongoDB in acknowledgement order.
    const later = acked.filter((id) => !id.startsWith('up_'));
    expect(ids.filter((id) => !id.startsWith('up_'))).toEqual(later);
    // Sealed before spooling: neither the journal nor MongoDB holds the transcript in clear.
    expect(JSON.stringify(rows)).not.toContain('secret transcript');
    // The newest status wins, whatever the order of arrival.
    expect(double.collection(db, 'call_status').find((d) => d._id === 'down_0')).toMatchObject({
      status: 'ended',
      at: T0 + 900,
    });
    // The journal is empty once drained.
    const journal = path.join(s.dir, 'spool', '0', 'journal.jsonl');
    expect(fs.readFileSync(journal, 'utf8')).toBe('');
    // The tool call works again (its apology was not cached).
    expect(only((await s.send(toolCalls('call_down', ['list_doctors', {}, 'tc_down']))).body).result).toMatch(/Dr\./);
  }, 120_000);
});

describe('Spool', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  test('entries survive a restart, in order; a torn last line is dropped with a warning', async () => {
    const a = Spool.open<{ n: number }>(tmp.dir, { purpose: 'test' });
    for (let n = 1; n <= 3; n++) await a.append({ n });
    await a.close();
    const file = path.join(tmp.dir, 'spool', '0', 'journal.jsonl');
    fs.appendFileSync(file, '{"seq":4,"at":"x","da'); // a write cut by a crash: never acknowledged
    const warnings: string[] = [];
    const b = Spool.open<{ n: number }>(tmp.dir, { purpose: 'test', onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([`dropped a torn last line of ${file} (a write cut short; it was never acknowledged)`]);
    expect(b.depth).toBe(3);
    const seen: number[] = [];
    expect(await b.drain(async (d) => void seen.push(d.n))).toBe(3);
    expect(seen).toEqual([1, 2, 3]);
    expect(fs.readFileSync(file, 'utf8')).toBe('');
    await b.append({ n: 5 });
    expect(JSON.parse(fs.readFileSync(file, 'utf8'))).toMatchObject({ seq: 4, data: { n: 5 } });
    await b.close();
  });

  test('a failing apply keeps the head entry; appends during a drain are kept and drained after', async () => {
    const sp = Spool.open<{ n: number }>(tmp.dir, { purpose: 'test' });
    for (let n = 1; n <= 4; n++) await sp.append({ n });
    const seen: number[] = [];
    let fail = true;
    const apply = async (d: { n: number }) => {
      if (d.n === 3 && fail) throw new Error('down');
      if (d.n === 1) await sp.append({ n: 99 }); // arrives mid-drain
      seen.push(d.n);
    };
    expect(await sp.drain(apply)).toBe(2);
    expect(sp.depth).toBe(3);
    await sp.close();
    const again = Spool.open<{ n: number }>(tmp.dir, { purpose: 'test' });
    fail = false;
    expect(await again.drain(apply)).toBe(3);
    expect(seen).toEqual([1, 2, 3, 4, 99]);
    await again.close();
  });

  test('a second process on the same data directory gets its own slot; a dead one is taken over', async () => {
    const a = Spool.open(tmp.dir, { purpose: 'a' });
    const b = Spool.open(tmp.dir, { purpose: 'b' });
    expect([a.file, b.file].map((f) => path.basename(path.dirname(f)))).toEqual(['0', '1']);
    await a.close();
    expect(path.basename(path.dirname(Spool.open(tmp.dir, { purpose: 'c' }).file))).toBe('0');
    await b.close();
  });
});
