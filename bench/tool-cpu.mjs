#!/usr/bin/env node
// The CPU one check/book tool call costs in serve's own code (issue 28: ≤ 1 ms), measured in-process
// with no HTTP and no signature: serve's app (`buildApp`, Fastify `inject`) on a copy of a store with
// 100,000 sealed appointments (bench/.cache/test-local-100000, built by bench/test-local.mjs), the
// captured-shape `tool-calls` messages of bench/run.mjs (check a time 1–45 days ahead, then book it
// in the same call). Reports CPU ms per call (process.cpuUsage: the event loop's own work, the
// fsyncs' waits not included) and wall p50/p99. `--profile` writes a .cpuprofile of the timed part.
// The bookings are checked afterwards: each "booked" answer is one confirmed appointment more.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { BLIND_KEY, dist, root } from './scale-store.mjs';

const N = Number(process.env.BENCH_CALLS_CPU ?? 2000);
const source = path.resolve(process.env.BENCH_STORE_DIR ?? path.join(root, 'bench', '.cache', 'test-local-100000'));
if (!fs.existsSync(path.join(source, '.receptionist', 'receptionist.db'))) {
  process.stderr.write(`No store in ${source}: run \`node bench/test-local.mjs\` first (it builds and caches one).\n`);
  process.exit(1);
}
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-bench-cpu-'));
fs.cpSync(path.join(source, '.receptionist'), path.join(work, '.receptionist'), { recursive: true });

const { openSqliteStore } = await dist('store/sqlite/index.js');
const { buildApp } = await dist('server/app.js');
const { writeOnlySealer } = await dist('domain/sealing-keys.js');
const { loadBotConfig } = await dist('domain/clinic.js');
const { createEnv } = await dist('env.js');
const { readDotenv } = await dist('deps.js');
const { DateTime } = await import('luxon');

const env = createEnv(
  { RECEPTIONIST_BLIND_INDEX_KEY: BLIND_KEY.toString('base64url') },
  readDotenv(source).values,
  '.env',
);
const store = await openSqliteStore({ dir: path.join(work, '.receptionist') });
const config = await loadBotConfig(store.collection('bot_configs'));
const sealer = await writeOnlySealer(store, { env });
const app = buildApp({ store, sealer, config, now: () => new Date(), auth: undefined });
await app.ready();

const template = (name) => {
  const t = JSON.parse(fs.readFileSync(path.join(root, 'templates', 'events', `tool-calls.${name}.json`), 'utf8'));
  const m = t.payload.message;
  m.call.customer.number = m.customer.number = '+919812345678';
  return m;
};
const TEMPLATES = { check: template('check_availability'), book: template('book_appointment') };
const run = `cpu${randomBytes(3).toString('hex')}`;
/** Message `i`: even ones check a time, odd ones book the time their pair checked, in the same call. */
function message(i) {
  const pair = Math.floor(i / 2);
  const rnd = (pair * 2_654_435_761) >>> 0;
  const day = DateTime.now()
    .setZone(config.clinic.timeZone)
    .plus({ days: 1 + (rnd % 45) });
  const minutes = 9 * 60 + 30 * ((rnd >>> 8) % 16);
  const when = `${day.toFormat('cccc d LLLL')} at ${DateTime.fromObject({ hour: Math.floor(minutes / 60), minute: minutes % 60 }).toFormat('h:mm a')}`;
  const m = structuredClone(TEMPLATES[i % 2 ? 'book' : 'check']);
  m.timestamp = Date.now();
  m.call.id = `${run}_${pair}`;
  m.toolCallList[0].id = `${run}_tc_${i}`;
  m.toolCallList[0].function.arguments.date = when;
  if (m.toolWithToolCallList?.[0]?.toolCall) m.toolWithToolCallList[0].toolCall = m.toolCallList[0];
  return JSON.stringify({ message: m });
}

const send = async (i, payload = message(i)) => {
  const res = await app.inject({
    method: 'POST',
    url: '/webhook',
    headers: { 'content-type': 'application/json' },
    payload,
  });
  if (res.statusCode !== 200) throw new Error(`${res.statusCode}: ${res.body}`);
  return JSON.parse(res.body).results[0].result ?? '';
};

for (let i = 0; i < 40; i++) await send(10_000 + i); // warm-up
const before = await store.collection('appointments').count({ status: 'confirmed' });
const profile = process.argv.includes('--profile') ? new Session() : undefined;
if (profile) {
  profile.connect();
  await profile.post('Profiler.enable');
  await profile.post('Profiler.start');
}
const walls = [];
let booked = 0;
// BENCH_CONCURRENCY calls (pairs of check and book) in flight at once; 1: one after another.
const C = Number(process.env.BENCH_CONCURRENCY ?? 1);
let nextPair = 0;
// Made before the clock starts: what is timed is serve's work, not the benchmark's.
const messages = Array.from({ length: N }, (_, i) => message(i));
const cpu0 = process.cpuUsage();
const t0 = performance.now();
await Promise.all(
  Array.from({ length: C }, async () => {
    for (let pair = nextPair++; pair * 2 < N; pair = nextPair++)
      for (const i of [pair * 2, pair * 2 + 1]) {
        const t = performance.now();
        const answer = await send(i, messages[i]);
        walls.push(performance.now() - t);
        if (i % 2 && /^You're booked/.test(answer)) booked++;
      }
  }),
);
const elapsed = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
if (profile) {
  const { profile: p } = await profile.post('Profiler.stop');
  const file = path.join(root, 'bench', '.cache', `tool-cpu-${Date.now()}.cpuprofile`);
  fs.writeFileSync(file, JSON.stringify(p));
  process.stderr.write(`profile: ${file}\n`);
}
const after = await store.collection('appointments').count({ status: 'confirmed' });
await app.close();
await store.close();
fs.rmSync(work, { recursive: true, force: true });
if (after - before !== booked) throw new Error(`${booked} answered booked, ${after - before} confirmed in the store`);
walls.sort((a, b) => a - b);
const q = (p) => walls[Math.min(walls.length - 1, Math.floor((p / 100) * walls.length))].toFixed(2);
const out = {
  calls: N,
  booked,
  cpuMsPerCall: +((cpu.user + cpu.system) / 1000 / N).toFixed(2),
  systemMsPerCall: +(cpu.system / 1000 / N).toFixed(2),
  concurrency: C,
  callsPerSecond: Math.round(N / (elapsed / 1000)),
  wallMsPerCall: +(elapsed / N).toFixed(2),
  p50: +q(50),
  p99: +q(99),
};
process.stdout.write(`${JSON.stringify(out)}\n`);

// `--write`: this run's row in docs/benchmarks.md (one row per concurrency, kept between runs).
if (process.argv.includes('--write')) {
  const file = path.join(root, 'docs', 'benchmarks.md');
  const current = fs.readFileSync(file, 'utf8');
  const row = `| ${C} | ${out.cpuMsPerCall} ms | ${out.callsPerSecond} | ${out.p50} ms | ${out.p99} ms |`;
  const head = `<!-- tool-cpu -->
## One check/book tool call in-process (\`bench/tool-cpu.mjs\`, issue 28)

Written by \`node bench/tool-cpu.mjs --write\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus().length} cores. Serve's app
with Fastify's \`inject\` (no HTTP, no signature) on a copy of the store of \`bench/test-local.mjs\`
(100,000 sealed appointments): ${N} captured-shape \`tool-calls\` (check a time 1–45 days ahead, then
book it in the same call; most times asked are taken on this full store, so most calls are refusals
with the nearest free times), every
write group-committed. CPU is the process's (all threads) per call. The bookings answered "booked" were
counted in the store afterwards: equal.

| in flight | CPU a call | calls/s | p50 | p99 |
|---|---|---|---|---|
`;
  const rows = new Map();
  const m = /<!-- tool-cpu -->[\s\S]*?<!-- \/tool-cpu -->/.exec(current);
  for (const line of (m?.[0] ?? '').split('\n')) {
    const c = /^\| (\d+) \| [\d.]+ ms/.exec(line)?.[1];
    if (c) rows.set(Number(c), line);
  }
  rows.set(C, row);
  const section = `${head}${[...rows]
    .sort((a, b) => a[0] - b[0])
    .map(([, l]) => l)
    .join('\n')}
<!-- /tool-cpu -->
`;
  fs.writeFileSync(
    file,
    m
      ? current.replace(/<!-- tool-cpu -->[\s\S]*?<!-- \/tool-cpu -->\n?/, section)
      : current.replace('<!-- gaps -->', `${section}\n<!-- gaps -->`),
  );
}
