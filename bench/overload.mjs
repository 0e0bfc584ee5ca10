#!/usr/bin/env node
// npm run bench: PERF-7 (issue 25 finding 4). serve on a fresh seeded store is driven open-loop at 2x and
// 5x its measured capacity with signed `check_availability` tool calls (a fresh toolCallId each, the
// HMAC timestamp the time the request was due). What must hold: every answered request within the
// admission deadline, 0 answers after it, the rest refused at once with 503 + Retry-After, RSS bounded.
// Capacity is measured first in the same run (autocannon, 32 connections, closed loop).
// BENCH_OVERLOAD_SECONDS sets each open-loop phase (default 20), BENCH_CAPACITY_SECONDS the capacity run (10).
import { createHmac, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freshServe, writeSection } from './fresh-serve.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = randomBytes(24).toString('hex');
const PHASE_SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 20);
const CAPACITY_SECONDS = Number(process.env.BENCH_CAPACITY_SECONDS ?? 10);
const DEADLINE_MS = 8000;
const log = (s) => process.stderr.write(`${s}\n`);
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const rssMb = (pid) => {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};

const template = JSON.parse(
  fs.readFileSync(path.join(root, 'templates', 'events', 'tool-calls.check_availability.json'), 'utf8'),
).payload;
let seq = 0;
function body() {
  const i = seq++;
  const m = structuredClone(template.message);
  // The template's placeholders, filled as `receptionist trigger` would.
  m.timestamp = Date.now();
  m.call.createdAt = m.call.updatedAt = new Date().toISOString();
  m.call.assistantId = 'asst_bench';
  m.call.customer.number = '+919812345678';
  if (m.customer) m.customer.number = '+919812345678';
  m.call.id = `overload_${process.pid}_${i}`;
  m.toolCallList[0].id = `tc_overload_${process.pid}_${i}`;
  m.toolCallList[0].function.arguments = { date: 'tomorrow at 10am', specialty: 'general medicine' };
  if (m.toolWithToolCallList?.[0]) m.toolWithToolCallList[0].toolCall = m.toolCallList[0];
  return JSON.stringify({ message: m });
}
const sign = (b, ts) => ({
  'content-type': 'application/json',
  'x-timestamp': String(ts),
  'x-signature': createHmac('sha256', SECRET).update(`${ts}.${b}`).digest('hex'),
});

async function openLoop(url, rate, seconds, pid) {
  // Fewer sockets than serve's 256 connection slots: a tunnel multiplexes Vapi's requests over a few.
  const agent = new http.Agent({ keepAlive: true, maxSockets: 200 });
  const target = new URL(url);
  const answered = [];
  let refused = 0;
  let refusedWithRetryAfter = 0;
  let failed = 0;
  let peakRss = 0;
  const rss = setInterval(() => (peakRss = Math.max(peakRss, rssMb(pid))), 250);
  const total = Math.round(rate * seconds);
  const t0 = performance.now();
  const wall0 = Date.now();
  const inflight = [];
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const b = body();
    inflight.push(
      new Promise((resolve) => {
        const req = http.request(
          {
            hostname: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            agent,
            headers: sign(b, Math.round(wall0 + (due - t0))),
          },
          (res) => {
            res.resume();
            res.on('end', () => {
              const ms = performance.now() - due;
              if (res.statusCode === 200) answered.push(ms);
              else if (res.statusCode === 503) {
                refused++;
                if (res.headers['retry-after']) refusedWithRetryAfter++;
              } else failed++;
              resolve();
            });
          },
        );
        req.on('error', () => {
          failed++;
          resolve();
        });
        req.end(b);
      }),
    );
  }
  await Promise.all(inflight);
  clearInterval(rss);
  agent.destroy();
  answered.sort((a, b) => a - b);
  return {
    rate,
    sent: total,
    answered: answered.length,
    refused,
    refusedWithRetryAfter,
    failed,
    p50: pct(answered, 50),
    p99: pct(answered, 99),
    late: answered.filter((ms) => ms > DEADLINE_MS).length,
    peakRss,
  };
}

let serve;
try {
  serve = await freshServe('overload', SECRET);
  const url = serve.url;
  const idleRss = rssMb(serve.pid);
  log(`capacity: closed loop, 32 connections, ${CAPACITY_SECONDS} s`);
  const cap = await autocannon({
    url,
    method: 'POST',
    connections: 32,
    duration: CAPACITY_SECONDS,
    requests: [
      {
        setupRequest: (req) => {
          const b = body();
          return { ...req, body: b, headers: sign(b, Date.now()) };
        },
      },
    ],
  });
  if (cap.non2xx)
    throw new Error(`the capacity run got ${cap.non2xx} answers that were not 2xx: the requests are wrong`);
  const capacity = Math.max(1, Math.round(cap.requests.average));
  const phases = [];
  for (const factor of [2, 5]) {
    log(`open loop at ${factor}x capacity (${capacity * factor} req/s) for ${PHASE_SECONDS} s`);
    phases.push({ factor, ...(await openLoop(url, capacity * factor, PHASE_SECONDS, serve.pid)) });
  }
  const health = await (await fetch(url.replace('/webhook', '/health'))).json();
  const rows = phases.map(
    (p) =>
      `| ${p.factor}× (${p.rate} req/s, ${p.sent.toLocaleString('en')} sent) | ${p.answered.toLocaleString('en')} | ${Math.round(p.p50)} ms / ${Math.round(p.p99)} ms | ${p.late} | ${p.refused.toLocaleString('en')} (${p.refusedWithRetryAfter === p.refused ? 'all' : p.refusedWithRetryAfter} with Retry-After) | ${p.failed} | ${Math.round(p.peakRss)} MB |`,
  );
  const section = `<!-- overload -->
## Overload (PERF-7, \`bench/overload.mjs\`)

\`serve\` on a fresh seeded store, ${new Date().toISOString().slice(0, 10)}, Node ${process.versions.node}, ${os.cpus().length} cores.
Capacity measured first in the same run: **${capacity} req/s** (closed loop, 32 connections, signed
\`check_availability\`). Then open loop at 2× and 5× that for ${PHASE_SECONDS} s each; latency counts from
the time a request was due (its HMAC timestamp). Admission deadline ${DEADLINE_MS} ms (the default; Vapi's
tool timeout is 20 s). Idle RSS ${Math.round(idleRss)} MB; \`/health\` afterwards: \`${health.status}\`, ${health.shed} shed.

| load | answered 200 | p50 / p99 of answered | answered after the deadline | refused 503 | failed or reset | peak RSS |
|---|---|---|---|---|---|---|
${rows.join('\n')}
<!-- /overload -->
`;
  writeSection('overload', section);
  process.stdout.write(section);
} finally {
  await serve?.stop();
}
