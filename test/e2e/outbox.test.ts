import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { DateTime } from 'luxon';
import { Webhook } from 'standardwebhooks';
import { BURST_DOCTOR, burstBooking, cli, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';

// Issue 14 item 3 on the built binary: `kill -9` of serve during a burst of 1,000 bookings; after
// the restart (and Vapi's retries of what was not acknowledged) every booking has reached the
// webhook, verified with the standardwebhooks library, under exactly one webhook-id.
let tmp: ReturnType<typeof tempDir>;
const running: RunningServe[] = [];
let server: http.Server;
beforeEach(() => {
  tmp = tempDir('receptionist-e2e-outbox-');
});
afterEach(async () => {
  for (const r of running.splice(0)) await r.stop('SIGKILL');
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  tmp.cleanup();
});

test('kill -9 during 1,000 bookings: after restart each booking is delivered under one webhook-id, all verified', async () => {
  await setup(tmp.dir);
  // A doctor with five-minute slots all day, so that 1,000 bookings fit in a few days.
  const added = await cli(BURST_DOCTOR, { cwd: tmp.dir });
  expect(added.stderr).toContain('Added Dr. Burst Test');

  const posts: Array<{ id: string; body: string; headers: Record<string, string> }> = [];
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      posts.push({ id: String(req.headers['webhook-id']), body, headers: req.headers as Record<string, string> });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const hook = await cli(
    ['--json', 'notify', 'webhooks', 'add', `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`],
    {
      cwd: tmp.dir,
    },
  );
  const { secret } = JSON.parse(hook.stdout) as { secret: string };

  // 1,000 distinct times, from the real clock: days 2…7 ahead, every five minutes from 6 AM.
  const today = DateTime.now().setZone('Asia/Kolkata').startOf('day');
  const message = (i: number) => burstBooking(i, today);

  const booked = new Set<number>();
  const burst = async (url: string, stopAfter?: number) => {
    let next = 0;
    let sent = 0;
    const todo = Array.from({ length: 1000 }, (_, i) => i).filter((i) => !booked.has(i));
    const work = async () => {
      while (next < todo.length) {
        const i = todo[next++]!;
        if (stopAfter !== undefined && sent++ >= stopAfter) return;
        try {
          const r = await postSigned(url, message(i));
          if (r.status === 200 && /^You're booked/.test(r.body.results[0].result)) booked.add(i);
        } catch {
          return; // serve was killed
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, work));
  };

  const first = await startServe(tmp.dir);
  running.push(first);
  const killAt = 300 + Math.floor(Math.random() * 300);
  const burstDone = burst(first.url);
  while (booked.size < killAt) await new Promise((r) => setTimeout(r, 10));
  first.proc.kill('SIGKILL');
  await burstDone;
  await first.proc.catch(() => undefined);
  running.splice(0);
  const beforeRestart = posts.length;
  expect(beforeRestart).toBeGreaterThan(0);

  // Vapi retries what was not acknowledged; the same tool calls, so nothing is booked twice.
  const second = await startServe(tmp.dir);
  running.push(second);
  await burst(second.url);
  expect(booked.size).toBe(1000);
  for (let i = 0; i < 600; i++) {
    const pending = (
      JSON.parse((await cli(['--json', 'outbox', 'list', '--status', 'pending'], { cwd: tmp.dir })).stdout) as Array<{
        event: string;
      }>
    ).filter((e) => e.event !== 'appointment.reminder'); // each booking's reminder waits for its day
    if (!pending.length) break;
    await new Promise((r) => setTimeout(r, 200));
  }

  // Every delivery verifies; per appointment exactly one webhook-id, and 1,000 appointments.
  const idsByAppointment = new Map<string, Set<string>>();
  for (const p of posts) {
    const body = new Webhook(secret).verify(p.body, p.headers) as { type: string; data: { id: string } };
    expect(body.type).toBe('appointment.booked');
    const ids = idsByAppointment.get(body.data.id) ?? new Set<string>();
    ids.add(p.id);
    idsByAppointment.set(body.data.id, ids);
  }
  expect(idsByAppointment.size).toBe(1000);
  expect([...idsByAppointment.values()].filter((ids) => ids.size !== 1)).toEqual([]);
  // A POST repeated under the same id is possible only for what was in flight at the kill.
  expect(posts.length - 1000).toBeLessThanOrEqual(25);
  const listed = JSON.parse(
    (
      await cli(
        [
          '--json',
          'appointments',
          'list',
          '--from',
          today.plus({ days: 2 }).toISODate()!,
          '--to',
          today.plus({ days: 7 }).toISODate()!,
        ],
        { cwd: tmp.dir },
      )
    ).stdout,
  );
  expect(listed).toHaveLength(1000);
}, 240_000);
