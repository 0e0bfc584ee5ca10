import { RAVI_BOOKING } from '../support/app.js';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { main } from '../../src/cli.js';
import { testDeps } from '../support/deps.js';
import { tempDir } from '../support/store.js';
import { loopbackFetch } from '../support/command-env.js';

// A stand-in for `serve` that records what it was sent and answers {}.
let server: http.Server;
let url: string;
const received: Array<{ headers: http.IncomingHttpHeaders; body: any }> = [];
let tmp: ReturnType<typeof tempDir>;
beforeEach(async () => {
  tmp = tempDir();
  received.length = 0;
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ headers: req.headers, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      res.setHeader('content-type', 'application/json');
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhook`;
});
afterEach(async () => {
  await new Promise((r) => server.close(r));
  tmp.cleanup();
});

async function run(argv: string[]) {
  const d = testDeps({ cwd: tmp.dir, fetch: loopbackFetch, env: { VAPI_SERVER_SECRET: 'trigger-secret-0123456789' } });
  const code = await main(argv, d);
  return { code, out: d.io.stdout(), err: d.io.stderr() };
}

describe('receptionist trigger', () => {
  test('--file reports the call id its payload carries, not a made-up one', async () => {
    fs.writeFileSync(
      path.join(tmp.dir, 'p.json'),
      JSON.stringify({ message: { type: 'status-update', status: 'in-progress', call: { id: 'call_from_file' } } }),
    );
    const r = await run(['trigger', '--file', 'p.json', '--url', url, '--json']);
    expect(r.code, r.err).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ event: 'p.json', callId: 'call_from_file', status: 200 });
    expect(received[0]!.body.message.call.id).toBe('call_from_file');
    expect(received[0]!.headers['x-signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  test('--set message.call.id is the id reported; a template gets a fresh one otherwise', async () => {
    const set = JSON.parse(
      (await run(['trigger', 'end-of-call-report', '--url', url, '--set', 'message.call.id=call_set', '--json'])).out,
    );
    expect(set.callId).toBe('call_set');
    const fresh = JSON.parse((await run(['trigger', 'end-of-call-report', '--url', url, '--json'])).out);
    expect(fresh.callId).toMatch(/^trigger-[0-9a-f]{16}$/);
    expect(received[1]!.body.message.call.id).toBe(fresh.callId);
  });

  test('bad input: no event (2), a URL that is not one (2), --replay with --file (2)', async () => {
    expect((await run(['trigger', '--url', url])).code).toBe(2);
    expect((await run(['trigger', 'end-of-call-report', '--url', 'not-a-url'])).code).toBe(2);
    const both = await run(['trigger', '--replay', 'call_1', '--file', 'p.json']);
    expect(both.code).toBe(2);
    expect(both.err).toContain('--replay sends a recorded call; it takes no event or --file.');
    expect(received).toEqual([]);
  });
});

describe('receptionist trigger --purge', () => {
  test("removes what trigger's made-up calls left, frees their slots, and keeps real calls", async () => {
    const { startTestServer, toolCalls } = await import('../support/app.js');
    const { openSqliteStore } = await import('../../src/store/sqlite/index.js');
    const s = await startTestServer({ dir: tmp.dir });
    const fake = 'trigger-0123456789abcdef';
    for (const callId of [fake, 'call_real']) {
      await s.send(toolCalls(callId, ['check_availability', { date: 'Monday 23 November at 10:30am', doctor: 'Rao' }]));
      await s.send(
        toolCalls(callId, [
          'book_appointment',
          { ...RAVI_BOOKING, date: callId === fake ? RAVI_BOOKING.date : 'Wednesday 25 November at 11am' },
        ]),
      );
      await s.send({ type: 'status-update', status: 'in-progress', call: { id: callId } });
      await s.send({ type: 'end-of-call-report', call: { id: callId }, endedReason: 'customer-ended-call' });
      // A failed ID check (the access rule's count for the call).
      await s.send(
        toolCalls(callId, [
          'cancel_appointment',
          { appointmentId: 'QQQQQQQQQ', patientName: 'X Y', appointmentDate: '23 November' },
        ]),
      );
    }
    await s.close();

    const dir = path.join(tmp.dir);
    const dry = await run(['--data-dir', dir, 'trigger', '--purge', '--dry-run', '--json']);
    expect(dry.code, dry.err).toBe(0);
    expect(JSON.parse(dry.out)).toEqual({
      dryRun: true,
      calls: [fake],
      callLogs: 1,
      statuses: 1,
      appointments: 2, // the hold on Monday and the booking on Tuesday
      visits: 0,
      replies: 3, // check, book, and the failed cancel
      notifications: 2, // the booking's confirmation and its reminder
    });
    const purged = await run(['--data-dir', dir, 'trigger', '--purge']);
    expect(purged.code, purged.err).toBe(0);
    expect(purged.err).toContain('Removed 1 made-up call(s): 1 call log(s), 1 status(es), 2 appointment(s) or hold(s)');

    const store = await openSqliteStore({ dir, readOnly: true });
    try {
      expect((await store.callLogs.list()).map((r) => r.callId)).toEqual(['call_real']);
      const left = await store.collection('appointments').find({});
      expect(left.every((a) => a.callId === 'call_real' || a.holdOwner === 'call_real')).toBe(true);
      expect(left.length).toBeGreaterThan(0);
      expect((await store.collection('call_status').find({})).map((d) => d._id)).toEqual(['call_real']);
      expect((await store.collection('replies').find({})).every((r) => !String(r._id).includes(fake))).toBe(true);
      expect((await store.collection('access_failures').find({})).map((d) => d._id)).toEqual(['call_real']);
      // The real call's booking keeps its confirmation and reminder; the made-up one's are gone.
      const real = left.find((a) => a.status === 'confirmed')!;
      expect(
        (await store.collection('outbox').find({})).map((e) => [e.subject === real.appointmentId, e.event]).sort(),
      ).toEqual([
        [true, 'appointment.booked'],
        [true, 'appointment.reminder'],
      ]);
      expect((await store.audit.list()).at(-1)).toMatchObject({ action: 'trigger.purge', details: { calls: 1 } });
    } finally {
      await store.close();
    }
    // A second run finds nothing.
    expect((await run(['--data-dir', dir, 'trigger', '--purge'])).err).toContain('No calls made up by trigger');
    // Tuesday 11 AM with Dr. Mehta is free again.
    const again = await startTestServer({ dir: tmp.dir });
    const free = await again.send(
      toolCalls('call_next', [
        'check_availability',
        { date: 'Tuesday 24 November at 11am', specialty: 'general medicine' },
      ]),
    );
    await again.close();
    expect(free.body.results[0].result).toMatch(/is free on Tuesday 24 November at 11 AM/);
  });

  test('--purge with an event, or --dry-run alone, is a usage error', async () => {
    expect((await run(['trigger', '--purge', 'end-of-call-report'])).code).toBe(2);
    expect((await run(['trigger', '--dry-run'])).code).toBe(2);
  });
});
