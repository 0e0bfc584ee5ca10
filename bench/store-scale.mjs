#!/usr/bin/env node
// The embedded store at a clinic's real volume (issue 12, PERF-3 and PERF-6): a store of
// BENCH_CALLS call logs (default 1,000,000), each made by the product's own code from the captured
// end-of-call-report shape (~4 KB: parseServerMessage → callLogFromReport → sealCallLog, sealed to
// the store's key), then whole-process timings of the commands a person runs on it. The store is
// cached in bench/.cache between runs. Writes its section of docs/benchmarks.md.
//
// Building inserts the product-made rows with one SQLite connection in batches of 10,000 per
// transaction (one fsync per batch, not per row, or a million rows would take an hour); the
// commands measured then open the store the product's way (WAL, synchronous=FULL).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { BLIND_KEY, CALLERS, CALLS as N, cacheDir as dir, dist, root, withCallerIndexes } from './scale-store.mjs';

const bin = path.join(root, 'bin', 'receptionist.js');
const dataDir = path.join(dir, '.receptionist');
const PASSWORD = 'bench-admin-passphrase';
const env = {
  ...process.env,
  RECEPTIONIST_DATA_DIR: dataDir,
  RECEPTIONIST_BLIND_INDEX_KEY: BLIND_KEY.toString('base64url'),
  VAPI_SERVER_SECRET: 'bench-secret-0123456789abcdef',
};
const cli = (args, input) =>
  spawnSync(process.execPath, [bin, ...args], { env, cwd: dir, input, encoding: 'utf8', maxBuffer: 1 << 30 });

const { parseEnvelope, parseServerMessage } = await dist('vapi/server-message.js');
const { callLogFromReport, sealCallLog } = await dist('domain/call-records.js');
const { createSealer } = await dist('domain/sealer.js');
const { activeSealingKey } = await dist('domain/keyring.js');
const { fillPlaceholders, placeholderValues } = await dist('commands/trigger/trigger.js');
const { openSqliteStore } = await dist('store/sqlite/index.js');
const { INSERT_CALL_LOG, callLogValues } = await dist('store/sqlite/logs.js');

if (!fs.existsSync(path.join(dir, 'done'))) {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [args, input] of [
    [['seed'], undefined],
    [['users', 'add', 'admin', '--password-stdin'], `${PASSWORD}\n`],
  ]) {
    const r = cli(args, input);
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  }
  const store = await openSqliteStore({ dir: dataDir });
  const sealer = await withCallerIndexes(createSealer(await activeSealingKey(store), BLIND_KEY));
  await store.close();
  const template = JSON.parse(
    fs.readFileSync(path.join(root, 'templates', 'events', 'end-of-call-report.json'), 'utf8'),
  );
  const db = new DatabaseSync(path.join(dataDir, 'receptionist.db'));
  const insert = db.prepare(INSERT_CALL_LOG);
  // The newest call ended an hour before the build; `--since 30d` then covers 30 days of calls.
  const start = Date.now() - 3_600_000 - N * 90_000;
  const t0 = performance.now();
  let bytes = 0;
  for (let i = 0; i < N; i += 10_000) {
    db.exec('BEGIN');
    for (let j = i; j < Math.min(N, i + 10_000); j++) {
      // One call every 90 s up to now (1M calls: ~2.9 years); 50,000 distinct callers.
      const now = new Date(start + j * 90_000);
      const number = CALLERS[j % CALLERS.length];
      const vars = {
        ...placeholderValues(now, `call_bench_${j}`, number, 'Asia/Kolkata'),
        appointmentId: 'K 7 M, H Q P, X Y 4',
      };
      const message = fillPlaceholders(template.payload, vars, now);
      const body = Buffer.from(JSON.stringify(message));
      bytes += body.length;
      const parsed = parseServerMessage(parseEnvelope(body));
      const record = sealCallLog(callLogFromReport(parsed.report, now), sealer);
      insert.run(...callLogValues(record));
    }
    db.exec('COMMIT');
    if ((i / 10_000) % 10 === 0) process.stderr.write(`  built ${i + 10_000} of ${N} call logs\n`);
  }
  db.close();
  fs.writeFileSync(
    path.join(dir, 'done'),
    JSON.stringify({ seconds: (performance.now() - t0) / 1000, reportBytes: Math.round(bytes / N) }),
  );
}
const built = JSON.parse(fs.readFileSync(path.join(dir, 'done'), 'utf8'));

/** Median wall time (ms) and peak RSS (MB) of a whole command, over `runs`. */
function measure(args, runs = 3, input = undefined) {
  const times = [];
  const rss = [];
  for (let i = 0; i < runs; i++) {
    // Output to /dev/null: what is measured is the command, not a pipe held in this process.
    const r = spawnSync(
      'sh',
      ['-c', `/usr/bin/time -f '%e %M' "$@" > /dev/null`, 'sh', process.execPath, bin, ...args],
      {
        env,
        cwd: dir,
        input,
        encoding: 'utf8',
        maxBuffer: 1 << 30,
      },
    );
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    const [secs, kb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    times.push(secs * 1000);
    rss.push(kb / 1024);
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  return { ms: median(times), mb: Math.max(...rss) };
}

function serveReady() {
  const times = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    const r = spawnSync(
      process.execPath,
      [
        '-e',
        `const { spawn } = require('node:child_process');
         const p = spawn(process.execPath, [${JSON.stringify(bin)}, 'serve', '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
         p.stdout.on('data', (d) => { if (String(d).includes('"ready"')) { console.log('ready'); p.kill('SIGKILL'); process.exit(0); } });
         setTimeout(() => process.exit(1), 20000);`,
      ],
      { env, cwd: dir, encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`serve did not become ready: ${r.stderr}`);
    times.push(performance.now() - t0);
  }
  return [...times].sort((a, b) => a - b)[1];
}

const dbBytes = fs.statSync(path.join(dataDir, 'receptionist.db')).size;
const rows = [
  ['PERF-6', '`logs --limit 20 --json`', measure(['logs', '--limit', '20', '--json']), 300],
  [
    'PERF-6',
    '`logs --caller <number> --limit 20 --json`',
    measure(['logs', '--caller', '+919810000042', '--limit', '20', '--json']),
    300,
  ],
  ['PERF-6', '`metrics --since 30d --json`', measure(['metrics', '--since', '30d', '--json']), 1000],
  [
    'PERF-6',
    '`metrics --by endedReason --since 1000d --json` (every call)',
    measure(['metrics', '--by', 'endedReason', '--since', '1000d', '--json']),
    1000,
  ],
];
// PERF-4 on the whole store: every row written as it is read, memory bounded (the second pass of
// --decrypt re-reads rather than keeps what it opened).
const all = measure(['logs', '--json'], 1);
const decrypted = measure(
  ['logs', '--decrypt', '--json', '--username', 'admin', '--password-stdin'],
  1,
  `${PASSWORD}\n`,
);
const ready = serveReady();
const fmt = ([id, what, m, goal]) =>
  `| ${id} | ${what} | ${m.ms.toFixed(0)} ms, ${m.mb.toFixed(0)} MB RSS | < ${goal} ms | ${m.ms < goal ? 'met' : 'not met'} |`;
const section = `<!-- store-scale -->
## The embedded store at scale

Written by \`node bench/store-scale.mjs\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus().length} cores,
${N.toLocaleString('en')} call logs made by the product's code from \`templates/events/end-of-call-report.json\` (${built.reportBytes} bytes
per report; captured ones are 4–7 KB), sealed, a ${(dbBytes / 2 ** 30).toFixed(2)} GiB \`receptionist.db\` (built in ${built.seconds.toFixed(0)} s, cached in
\`bench/.cache\`). Whole-process wall time (median of 3) and peak RSS, from spawn.

| target | what | measured | goal | |
|---|---|---|---|---|
${rows.map(fmt).join('\n')}
| PERF-3 | \`serve\` ready on this store (median of 3, from spawn) | ${ready.toFixed(0)} ms | < 400 ms | ${ready < 400 ? 'met' : 'not met'} |
| PERF-4 | \`logs --json\` of all ${N.toLocaleString('en')} calls (one run) | ${(all.ms / 1000).toFixed(0)} s, ${all.mb.toFixed(0)} MB RSS | memory < 250 MB | ${all.mb < 250 ? 'met' : 'not met'} |
| PERF-4 | \`logs --decrypt --json\` of all ${N.toLocaleString('en')} calls (one run; every row opened twice: checked, then printed) | ${(decrypted.ms / 1000).toFixed(0)} s, ${decrypted.mb.toFixed(0)} MB RSS | memory < 250 MB | ${decrypted.mb < 250 ? 'met' : 'not met'} |
<!-- /store-scale -->
`;
const file = path.join(root, 'docs', 'benchmarks.md');
const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
const next = current.includes('<!-- store-scale -->')
  ? current.replace(/<!-- store-scale -->[\s\S]*<!-- \/store-scale -->\n?/, section)
  : `${current.trimEnd()}\n\n${section}`;
fs.writeFileSync(file, next);
process.stdout.write(section);
