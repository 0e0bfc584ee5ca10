#!/usr/bin/env node
// npm run bench: issue 25 findings 1-3 (SEC-7, SEC-9) with the attack run's own numbers, against the
// built binary on loopback (the attacker on 127.0.0.2, Vapi's traffic on 127.0.0.1), bounded in count
// and time: 300 unauthenticated 5 MiB uploads to percent-encoded and unknown paths (RSS growth); seven
// sockets that declare 6 x 5 MiB and ~2 MiB with forged-looking signatures and send nothing, while 176
// genuine signed tool calls arrive over 45 s (answered 2xx); 260 sockets sending a header line a
// second while 97 genuine requests arrive (answered). Writes its section of docs/benchmarks.md.
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import { freshServe, writeSection } from './fresh-serve.mjs';
import { rssMb, signedHeaders } from './load.mjs';

const SECRET = randomBytes(24).toString('hex');
const HOLD_SECONDS = Number(process.env.BENCH_ATTACK_SECONDS ?? 45);
const log = (s) => process.stderr.write(`${s}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let serve;
const sockets = [];
function attacker(port, head, body) {
  const sock = net.connect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' });
  sockets.push(sock);
  let got = '';
  const status = new Promise((resolve) => {
    sock.on('connect', () => {
      sock.write(head);
      if (body) sock.write(body);
    });
    sock.on('data', (d) => (got += d.toString('latin1')));
    sock.on('error', () => {});
    sock.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(got)?.[1]) || 'dropped'));
  });
  return { sock, status };
}
const count = (xs) => xs.reduce((m, x) => ({ ...m, [x]: (m[x] ?? 0) + 1 }), {});

async function genuine(url, i) {
  const body = JSON.stringify({
    message: {
      type: 'tool-calls',
      timestamp: Date.now(),
      call: { id: `bench_attack_${i}` },
      toolCallList: [{ id: `tc_attack_${i}`, type: 'function', function: { name: 'list_doctors', arguments: {} } }],
    },
  });
  try {
    const res = await fetch(url, { method: 'POST', body, headers: signedHeaders(SECRET, body) });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}

try {
  serve = await freshServe('attacks', SECRET);
  const url = serve.url;
  const port = Number(new URL(url).port);
  await genuine(url, 0);

  log('finding 1: 300 x 5 MiB to /%77ebhook and /nope');
  const before = rssMb(serve.pid);
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, rssMb(serve.pid))), 25);
  const five = Buffer.alloc(5 * 1024 * 1024, 'x');
  const uploads = await Promise.all(
    Array.from(
      { length: 300 },
      (_, i) =>
        attacker(
          port,
          `POST ${i % 2 ? '/%77ebhook' : '/nope'} HTTP/1.1\r\nHost: x\r\nContent-Length: ${five.length}\r\n\r\n`,
          five,
        ).status,
    ),
  );
  clearInterval(sampler);
  const after = rssMb(serve.pid);
  const f1 = { outcomes: count(uploads), growth: Math.round(peak - before), kept: Math.round(after - before) };

  log(`finding 2: seven held sockets for ${HOLD_SECONDS} s, 176 genuine tool calls meanwhile`);
  const forged = (len) =>
    `POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nx-signature: ${'ab'.repeat(32)}\r\nx-timestamp: ${Date.now()}\r\nContent-Length: ${len}\r\n\r\n`;
  const held = [
    ...Array.from({ length: 6 }, () => attacker(port, forged(5 * 1024 * 1024))),
    attacker(port, forged(2 * 1024 * 1024 - 1)),
  ];
  // The holders reconnect as soon as they are dropped, for the whole window.
  const holdUntil = Date.now() + HOLD_SECONDS * 1000;
  const keepHolding = (async () => {
    while (Date.now() < holdUntil) {
      await Promise.race(held.map((h) => h.status));
      for (const [i, h] of held.entries())
        if (h.sock.destroyed && Date.now() < holdUntil)
          held[i] = attacker(port, forged(i < 6 ? 5 * 1024 * 1024 : 2 * 1024 * 1024 - 1));
    }
  })();
  const statuses = [];
  for (let i = 0; i < 176; i++) {
    statuses.push(await genuine(url, 1000 + i));
    await sleep((HOLD_SECONDS * 1000) / 176);
  }
  await keepHolding;
  const f2 = { answered: statuses.filter((s) => s >= 200 && s < 300).length, of: statuses.length };

  log('finding 3: 260 slow-header sockets, 97 genuine requests');
  const slow = Array.from({ length: 260 }, () => attacker(port, 'POST /webhook HTTP/1.1\r\n'));
  const drip = setInterval(() => {
    for (const a of slow) if (!a.sock.destroyed) a.sock.write(`x-drip-${Date.now()}: 1\r\n`);
  }, 1000);
  await sleep(2000);
  const f3statuses = [];
  for (let i = 0; i < 97; i++) f3statuses.push(await genuine(url, 5000 + i));
  clearInterval(drip);
  const f3 = { answered: f3statuses.filter((s) => s === 200).length, of: 97 };

  const section = `<!-- attacks -->
## Hostile clients (SEC-7, SEC-9, \`bench/attacks.mjs\`)

The built \`serve\` on a fresh seeded store, ${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, ${os.cpus().length} cores; the
attacker on 127.0.0.2, Vapi's traffic (signed \`list_doctors\` tool calls) on 127.0.0.1.

| attack (issue 25) | before the fix | now |
|---|---|---|
| 300 unauthenticated 5 MiB uploads to \`/%77ebhook\` and \`/nope\` | RSS +1 GB, most of it kept | RSS +${f1.growth} MB at the peak, ${f1.kept} MB kept after; ${Object.entries(
    f1.outcomes,
  )
    .map(([k, v]) => `${v} × ${k}`)
    .join(', ')} |
| 7 sockets declaring 6 × 5 MiB and ~2 MiB with forged-looking signatures, held ${HOLD_SECONDS} s; signed tool calls meanwhile | 0 of 176 answered 2xx | ${f2.answered} of ${f2.of} answered 2xx |
| 260 sockets sending one header line a second; genuine requests meanwhile | 82 of 97 reset | ${f3.answered} of ${f3.of} answered 200 |
<!-- /attacks -->
`;
  writeSection('attacks', section);
  process.stdout.write(section);
} finally {
  for (const s of sockets) s.destroy();
  await serve?.stop();
}
