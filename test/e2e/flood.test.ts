import fs from 'node:fs';
import net from 'node:net';
import readline from 'node:readline';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';

// Issue 13 item 8 (SEC-7): 300 connections uploading 5 MiB bodies without a valid credential took
// serve's RSS from 123 MB to 1.6 GB. Each kind of bad credential is sent by 300 connections at once.

let tmp: ReturnType<typeof tempDir>;
let s: RunningServe | undefined;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(async () => {
  await s?.stop();
  s = undefined;
  tmp.cleanup();
});

const BODY = 5 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');
const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

/** Sends headers, then as much of a 5 MiB body as the server takes; the status line it got, if any. */
function upload(port: number, headers: Record<string, string>): Promise<number | undefined> {
  return new Promise((resolve) => {
    let head = '';
    const sock = net.connect(port, '127.0.0.1', () => {
      const lines = Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`);
      sock.write(
        `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${BODY}\r\n${lines.join('')}\r\n`,
      );
      let sent = 0;
      const pump = () => {
        while (sent < BODY && !sock.destroyed) {
          sent += CHUNK.length;
          if (!sock.write(CHUNK)) return void sock.once('drain', pump);
        }
      };
      pump();
    });
    sock.setTimeout(30_000, () => sock.destroy());
    sock.on('data', (d) => {
      head += d.toString('latin1');
      if (head.includes('\r\n')) sock.destroy();
    });
    sock.on('error', () => {});
    sock.on('close', () => {
      const m = /^HTTP\/1\.1 (\d{3})/.exec(head);
      resolve(m ? Number(m[1]) : undefined);
    });
  });
}

test('300 connections uploading 5 MiB with a missing, wrong or stale credential: refused, RSS grows < 150 MB, serve keeps serving', async () => {
  await setup(tmp.dir);
  s = await serve();
  const port = Number(new URL(s.url).port);
  const pid = s.proc.pid!;
  const events: Array<{ status?: number; detail?: string }> = [];
  readline.createInterface({ input: s.proc.stdout! }).on('line', (line) => events.push(JSON.parse(line)));
  const before = rss(pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rss(pid))), 25);
  const fresh = () => String(Date.now());
  const kinds: Record<string, () => Record<string, string>> = {
    missing: () => ({}),
    'wrong bearer': () => ({ Authorization: 'Bearer not-the-secret-at-all' }),
    'stale timestamp': () => ({ 'x-signature': 'ab'.repeat(32), 'x-timestamp': String(Date.now() - 3_600_000) }),
    // Only this one has to be read to be refused: the bytes-in-flight budget bounds it.
    'wrong signature': () => ({ 'x-signature': 'ab'.repeat(32), 'x-timestamp': fresh() }),
  };
  const outcomes: Record<string, Record<string, number>> = {};
  /** Peak RSS growth (MB) by the end of each kind. */
  const peaks: Record<string, number> = {};
  try {
    for (const [kind, headers] of Object.entries(kinds)) {
      const statuses = await Promise.all(Array.from({ length: 300 }, () => upload(port, headers())));
      outcomes[kind] = {};
      peaks[kind] = Math.round((peak - before) / 1e6);
      for (const st of statuses)
        outcomes[kind][String(st ?? 'dropped')] = (outcomes[kind][String(st ?? 'dropped')] ?? 0) + 1;
    }
  } finally {
    clearInterval(sampler);
  }
  // Nothing got in; what was not refused with 401 was turned away busy (503) or at accept.
  for (const [kind, counts] of Object.entries(outcomes)) {
    expect(
      Object.keys(counts).every((k) => ['401', '503', 'dropped'].includes(k)),
      `${kind}: ${JSON.stringify(counts)}`,
    ).toBe(true);
  }
  // Refused from the headers: serve's own events name why, and none of these was let in to be read.
  const refused = events.filter((e) => e.status === 401).map((e) => e.detail);
  expect(
    refused.filter((d) => d === 'no credential (expected x-signature or authorization or x-vapi-secret)').length,
  ).toBeGreaterThan(0);
  expect(refused.filter((d) => d === 'wrong Authorization').length).toBeGreaterThan(0);
  expect(refused.filter((d) => d === 'x-timestamp is more than 300 s off').length).toBeGreaterThan(0);
  expect(refused.filter((d) => d === 'bad x-signature').length).toBeGreaterThan(0);
  expect(
    events
      .filter((e) => e.status === 503)
      .every((e) =>
        /^busy: (\d+ bytes of bodies in flight|\d+ large bodies being read|this peer has its share of (large )?bodies (in flight|being read))$/.test(
          e.detail!,
        ),
      ),
  ).toBe(true);
  expect(peak - before, JSON.stringify({ before, peak, peaks, outcomes })).toBeLessThan(150 * 1024 * 1024);
  // The real caller is still served.
  expect(
    (await postSigned(s.url, { type: 'status-update', status: 'in-progress', call: { id: 'c_after' } })).status,
  ).toBe(200);
}, 120_000);

async function serve(): Promise<RunningServe> {
  const started = await startServe(tmp.dir);
  // A status-update warms the process up, so the baseline RSS is a serving one.
  expect((await cli(['trigger', 'status-update', '--url', started.url], { cwd: tmp.dir })).exitCode).toBe(0);
  return started;
}
