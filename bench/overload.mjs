#!/usr/bin/env node
// npm run bench: PERF-7 (issue 25 finding 4). serve on a fresh seeded store is driven open-loop at 2x and
// 5x its measured capacity with signed `check_availability` tool calls (a fresh toolCallId each, the
// HMAC timestamp the time the request was due). What must hold: every answered request within the
// admission deadline, 0 answers after it, the rest refused at once with 503 + Retry-After, RSS bounded.
// Capacity is measured first in the same run (autocannon, 32 connections, closed loop).
// BENCH_OVERLOAD_SECONDS sets each open-loop phase (default 20), BENCH_CAPACITY_SECONDS the capacity run (10).
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { freshServe, writeSection } from './fresh-serve.mjs';
import { openLoop, pct, rssMb, signedHeaders } from './load.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SECRET = randomBytes(24).toString('hex');
const PHASE_SECONDS = Number(process.env.BENCH_OVERLOAD_SECONDS ?? 20);
const CAPACITY_SECONDS = Number(process.env.BENCH_CAPACITY_SECONDS ?? 10);
const DEADLINE_MS = 8000;
const log = (s) => process.stderr.write(`${s}\n`);

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
const sign = (b, ts) => signedHeaders(SECRET, b, ts);

async function phase(url, rate, seconds, pid) {
  // Fewer sockets than serve's 256 connection slots: a tunnel multiplexes Vapi's requests over a few.
  // Signed at the time each request was due, as Vapi signs when it sends.
  const r = await openLoop({
    url,
    rate,
    seconds,
    pid,
    maxSockets: 200,
    rssEveryMs: 250,
    request: (dueWallMs) => {
      const b = body();
      return { body: b, headers: sign(b, dueWallMs) };
    },
  });
  const answered = r.latencies;
  return {
    rate,
    sent: r.sent,
    answered: answered.length,
    refused: r.refused,
    refusedWithRetryAfter: r.refusedWithRetryAfter,
    failed: r.failed,
    p50: pct(answered, 50) ?? 0,
    p99: pct(answered, 99) ?? 0,
    late: answered.filter((ms) => ms > DEADLINE_MS).length,
    peakRss: r.peakRss,
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
    phases.push({ factor, ...(await phase(url, capacity * factor, PHASE_SECONDS, serve.pid)) });
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
