import fs from 'node:fs';
import net from 'node:net';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';

// Issue 25 findings 1-3 on the built binary, with small, bounded numbers: the attacker is another
// loopback address (127.0.0.2), the clinic's Vapi traffic comes from 127.0.0.1.
let tmp: ReturnType<typeof tempDir>;
let s: RunningServe | undefined;
const sockets: net.Socket[] = [];
beforeEach(async () => {
  tmp = tempDir('receptionist-e2e-attacks-');
  await setup(tmp.dir);
  s = await startServe(tmp.dir);
  // Warm: the first request loads what serving needs.
  expect((await cli(['trigger', 'status-update', '--url', s.url], { cwd: tmp.dir })).exitCode).toBe(0);
});
afterEach(async () => {
  for (const sock of sockets.splice(0)) sock.destroy();
  await s?.stop();
  s = undefined;
  tmp.cleanup();
});

const rss = (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
const port = () => Number(new URL(s!.url).port);

/** A socket from `from` that writes `head`, and resolves with the status line it gets back (or undefined when closed without one). */
function attacker(
  head: string,
  from = '127.0.0.2',
  body?: Buffer,
): { status: Promise<number | undefined>; sock: net.Socket } {
  const sock = net.connect({ port: port(), host: '127.0.0.1', localAddress: from });
  sockets.push(sock);
  let got = '';
  const status = new Promise<number | undefined>((resolve) => {
    sock.on('connect', () => {
      sock.write(head);
      if (body) sock.write(body);
    });
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1]) || undefined));
  });
  return { status, sock };
}

/** A genuine signed tool call (list_doctors) from 127.0.0.1; its HTTP status. */
const genuine = (i: number) =>
  postSigned(s!.url, {
    type: 'tool-calls',
    call: { id: `call_genuine_${i}` },
    toolCallList: [{ id: `tc_${i}`, type: 'function', function: { name: 'list_doctors', arguments: {} } }],
  }).then(
    (r) => r.status,
    () => 0,
  );

test('finding 1: an unknown route, method or path spelling is answered from its headers; no body is read, RSS stays flat', async () => {
  const pid = s!.proc.pid!;
  const before = rss(pid);
  const big = 4 * 1024 * 1024;
  const heads = {
    '/%77ebhook': 401,
    '/webhoo%6b': 401,
    '/nope': 404,
    '/webhook/../x': 404,
  } as Record<string, number>;
  for (const [path, expected] of Object.entries(heads)) {
    // Headers only, a 4 MiB Content-Length: the answer comes without a byte of the body.
    const a = attacker(
      `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${big}\r\n\r\n`,
    );
    expect(await a.status, path).toBe(expected);
  }
  const put = attacker(`PUT /webhook HTTP/1.1\r\nHost: x\r\nContent-Length: ${big}\r\n\r\n`);
  expect(await put.status).toBe(405);
  // 64 clients that do send their 4 MiB to such paths.
  const chunk = Buffer.alloc(big, 'x');
  const statuses = await Promise.all(
    Array.from(
      { length: 64 },
      (_, i) =>
        attacker(
          `POST ${i % 2 ? '/%77ebhook' : '/nope'} HTTP/1.1\r\nHost: x\r\nContent-Length: ${big}\r\n\r\n`,
          '127.0.0.2',
          chunk,
        ).status,
    ),
  );
  expect(statuses.every((st) => st === 401 || st === 404 || st === undefined)).toBe(true);
  expect(rss(pid) - before).toBeLessThan(150 * 1024 * 1024);
  expect(await genuine(0)).toBe(200);
});

test('finding 2: seven sockets with forged-looking signatures that declare 5 MiB and send nothing do not take the line; 100 genuine tool calls get through', async () => {
  const forged = () =>
    `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-signature: ${'ab'.repeat(32)}\r\nx-timestamp: ${Date.now()}\r\nContent-Length: `;
  const held = [
    ...Array.from({ length: 6 }, () => attacker(`${forged()}${5 * 1024 * 1024}\r\n\r\n`)),
    attacker(`${forged()}${2 * 1024 * 1024 - 1}\r\n\r\n`),
  ];
  const statuses: number[] = [];
  for (let i = 0; i < 100; i += 10)
    statuses.push(...(await Promise.all(Array.from({ length: 10 }, (_, j) => genuine(i + j)))));
  expect(statuses.filter((st) => st >= 200 && st < 300).length).toBeGreaterThanOrEqual(99);
  // None of them holds anything: a peer's share of large bodies being read (2) is let in and dropped
  // (408) once below the floor rate, the rest is refused from the headers (503).
  const held7 = await Promise.all(held.map((h) => h.status));
  expect(held7.filter((st) => st === 408)).toHaveLength(2);
  expect(held7.filter((st) => st === 503)).toHaveLength(5);
});

test('finding 3: 260 sockets sending a header line a second do not starve genuine requests', async () => {
  const slow = Array.from({ length: 260 }, () => attacker('POST /webhook HTTP/1.1\r\n'));
  const drip = setInterval(() => {
    for (const a of slow) if (!a.sock.destroyed) a.sock.write(`x-drip-${Date.now()}: 1\r\n`);
  }, 1000);
  try {
    // Every one of them connected (or was turned away at accept) before the genuine traffic starts.
    await Promise.all(
      slow.map(
        (a) =>
          new Promise<void>((r) => {
            if (a.sock.readyState === 'open' || a.sock.destroyed) return r();
            a.sock.once('connect', () => r());
            a.sock.once('close', () => r());
          }),
      ),
    );
    const statuses: number[] = [];
    for (let i = 0; i < 97; i += 16)
      statuses.push(...(await Promise.all(Array.from({ length: Math.min(16, 97 - i) }, (_, j) => genuine(i + j)))));
    expect(statuses.filter((st) => st === 200).length).toBe(97);
  } finally {
    clearInterval(drip);
  }
});

test('finding 4 on the binary: --admission-deadline refuses a tool call that is already too late (503 + Retry-After), /health says overloaded; a bad value exits 2', async () => {
  await s!.stop();
  s = await startServe(tmp.dir, ['--admission-deadline', '1000']);
  const res = await postSigned(
    s.url,
    {
      type: 'tool-calls',
      call: { id: 'call_late' },
      toolCallList: [{ id: 'tc_late', type: 'function', function: { name: 'list_doctors', arguments: {} } }],
    },
    { signedAt: Date.now() - 5_000 },
  );
  expect(res.status).toBe(503);
  expect(res.retryAfter).toBe('1');
  const health = (await (await fetch(new URL('/health', s.url))).json()) as { status: string; shed: number };
  expect(health).toMatchObject({ status: 'overloaded', shed: 1 });
  expect(await genuine(1)).toBe(200);
  const bad = await cli(['serve', '--admission-deadline', 'soon'], { cwd: tmp.dir });
  expect(bad.exitCode).toBe(2);
  expect(bad.stderr).toContain('Invalid admission deadline "soon" (from --admission-deadline)');
});
