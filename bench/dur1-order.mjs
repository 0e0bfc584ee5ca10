#!/usr/bin/env node
// DUR-1 under group commit (issue 28), seen by the kernel: `serve` runs under `strace -f -ttt -yy`
// and answers signed `check_availability` tool calls (each one writes: a hold and its stored reply).
// From the trace, every HTTP reply written to a socket is checked against the writes to the store's
// WAL: with one request in flight exactly (the last WAL write before a reply must be covered by a WAL
// fdatasync that began after it and returned before the reply), and with 16 in flight by the bound
// that holds whatever the interleaving (a sync that began after the first WAL write since the request
// was read). Also the syncs a reply (group commit shares them). Writes its section of
// docs/benchmarks.md; exits 1 when a reply left before its sync. Needs strace (apt-get install strace).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import readline from 'node:readline';
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { signedHeaders } from './load.mjs';
import { root } from './scale-store.mjs';

const N = Number(process.env.BENCH_DUR1_CALLS ?? 400);
const bin = path.join(root, 'bin', 'receptionist.js');
const SECRET = randomBytes(24).toString('base64url');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-bench-dur1-'));
const env = { ...process.env, RECEPTIONIST_DATA_DIR: path.join(work, '.receptionist'), VAPI_SERVER_SECRET: SECRET };
const cli = (args, input) => {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: work, env, input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
};

const template = JSON.parse(
  fs.readFileSync(path.join(root, 'templates', 'events', 'tool-calls.check_availability.json'), 'utf8'),
).payload.message;
const { DateTime } = await import('luxon');
let seq = 0;
function body() {
  const i = seq++;
  const m = structuredClone(template);
  const day = DateTime.now()
    .setZone('Asia/Kolkata')
    .plus({ days: 1 + (i % 40) });
  m.timestamp = Date.now();
  m.call.id = `dur1_${i}`;
  m.toolCallList[0].id = `tc_dur1_${i}`;
  m.toolCallList[0].function.arguments.date = `${day.toFormat('cccc d LLLL')} at ${9 + (i % 8)}:00 am`;
  if (m.toolWithToolCallList?.[0]?.toolCall) m.toolWithToolCallList[0].toolCall = m.toolCallList[0];
  return JSON.stringify({ message: m });
}

function post(agent, url, payload) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = http.request(
      {
        hostname: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: signedHeaders(SECRET, payload),
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `calls` requests, `inFlight` at a time, against serve under strace; returns the trace's text. */
async function traced(calls, inFlight) {
  const out = path.join(work, `strace-${inFlight}.txt`);
  const proc = spawn(
    'strace',
    [
      '-f',
      '-ttt',
      '-yy',
      '-s',
      '16',
      '-e',
      'trace=pwrite64,write,writev,read,fdatasync,fsync',
      '-o',
      out,
      process.execPath,
      bin,
      'serve',
      '--port',
      '0',
      '--json',
    ],
    { cwd: work, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const url = await new Promise((resolve, reject) => {
    readline.createInterface({ input: proc.stdout }).on('line', (l) => {
      if (l.includes('"kind":"ready"')) resolve(JSON.parse(l).webhookUrl);
    });
    proc.on('exit', (c) => reject(new Error(`serve under strace exited ${c}`)));
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: inFlight });
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < calls) {
        next++;
        await post(agent, url, body());
      }
    }),
  );
  agent.destroy();
  // serve is strace's child: stopped itself, strace then writes the rest of the trace and exits.
  const serve = Number(fs.readFileSync(`/proc/${proc.pid}/task/${proc.pid}/children`, 'utf8').trim().split(' ')[0]);
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  process.kill(serve, 'SIGTERM');
  await exited;
  return fs.readFileSync(out, 'utf8');
}

/**
 * Reads an strace -f -ttt -yy trace: WAL writes (end time), WAL syncs (start and end time) and HTTP
 * replies (start time) in order, then checks each reply against the last WAL write before it.
 */
export function checkOrder(text) {
  const walWrites = [];
  const syncs = [];
  const replies = [];
  const arrived = new Map(); // socket → time its latest request was read
  const pending = new Map(); // pid → { call, t, wal, reply, socket } of an <unfinished ...> syscall
  for (const line of text.split('\n')) {
    const m = /^(\d+)\s+(\d+\.\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const [, pid, ts, rest] = m;
    const t = Number(ts);
    const resumed = /^<\.\.\. (\w+) resumed>/.exec(rest);
    let call;
    let start = t;
    let wal;
    let reply;
    let request;
    let socket;
    if (resumed) {
      const p = pending.get(pid);
      pending.delete(pid);
      if (!p || p.call !== resumed[1]) continue;
      ({ call, wal, reply, request, socket } = p);
      start = p.t;
    } else {
      const c = /^(\w+)\((\d+)<(.*?)>(?=[,) ])(, "(.{0,16}))?/.exec(rest);
      if (!c) continue;
      call = c[1];
      wal = c[3].endsWith('-wal');
      socket = c[3];
      reply = /^TCP/.test(socket) && (c[5] ?? '').startsWith('HTTP/1.1 ');
      request = /^TCP/.test(socket) && (c[5] ?? '').startsWith('POST ');
      if (rest.endsWith('<unfinished ...>')) {
        pending.set(pid, { call, t, wal, reply, request, socket });
        continue;
      }
    }
    if (/= -1 /.test(rest)) continue; // a failed call is no write and no sync
    if (wal && (call === 'pwrite64' || call === 'write')) walWrites.push(t);
    else if (wal && (call === 'fdatasync' || call === 'fsync')) syncs.push({ start, end: t });
    else if (request && call === 'read') arrived.set(socket, start);
    else if (reply && (call === 'write' || call === 'writev')) replies.push({ t: start, arrived: arrived.get(socket) });
  }
  walWrites.sort((a, b) => a - b);
  syncs.sort((a, b) => a.end - b.end);
  const covered = (from, before) => syncs.some((s) => s.start >= from && s.end <= before);
  let unsynced = 0;
  let early = 0;
  for (const r of replies) {
    const before = walWrites.filter((w) => w < r.t);
    if (before.length && !covered(before.at(-1), r.t)) unsynced++;
    // The request's own commit is at or after the first WAL write since it was read: no sync that
    // began after that write and returned before the reply means the reply left before its sync.
    const first = walWrites.find((w) => w > (r.arrived ?? Infinity) && w < r.t);
    if (first !== undefined && !covered(first, r.t)) early++;
  }
  return { replies: replies.length, walWrites: walWrites.length, syncs: syncs.length, unsynced, early };
}

try {
  cli(['seed']);
  cli(['users', 'add', 'admin', '--password-stdin'], 'bench-admin-passphrase\n');
  const one = checkOrder(await traced(N, 1));
  const many = checkOrder(await traced(N, 16));
  if (one.replies < N) throw new Error(`${one.replies} replies seen in the trace of ${N} requests`);
  const row = (label, r) =>
    `| ${label} | ${r.replies} | ${r.walWrites} | ${r.syncs} (${(r.syncs / r.replies).toFixed(2)} a reply) | ${r.unsynced} | ${r.early} |`;
  const section = `<!-- dur1-order -->
## DUR-1 under group commit, from the kernel's side (\`bench/dur1-order.mjs\`)

Written by \`node bench/dur1-order.mjs\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus().length} cores, a freshly
seeded store. \`serve\` under \`strace -f -ttt -yy\`; ${N} signed \`check_availability\` calls (each writes a hold and its
stored reply), first one at a time, then 16 at a time. For each HTTP reply written to a socket:

- *after an unsynced write*: the last write to the WAL before the reply was not covered by an fdatasync
  of the WAL that began after it and returned before the reply. With one request in flight that write
  is the request's own commit or a later one, so **0 there is DUR-1, exactly**. With 16 in flight it is
  mostly another request's commit, which this reply does not wait for: a count, not a failure.
- *before its sync*: no WAL sync began after the first WAL write since the request was read and
  returned before the reply; the request's commit is that write or a later one, so each is a reply
  certainly sent ahead of its step's sync. **Must be 0** in both rows.

| requests in flight | replies | WAL writes | WAL syncs | after an unsynced write | before its sync |
|---|---|---|---|---|---|
${row('1', one)}
${row('16', many)}
<!-- /dur1-order -->
`;
  const file = path.join(root, 'docs', 'benchmarks.md');
  const current = fs.readFileSync(file, 'utf8');
  fs.writeFileSync(
    file,
    current.includes('<!-- dur1-order -->')
      ? current.replace(/<!-- dur1-order -->[\s\S]*?<!-- \/dur1-order -->\n?/, section)
      : current.replace('<!-- gaps -->', `${section}\n<!-- gaps -->`),
  );
  process.stdout.write(section);
  if (one.unsynced || one.early || many.early) {
    process.stderr.write(
      `DUR-1 broken: ${one.unsynced + one.early + many.early} replies were written before their step's sync\n`,
    );
    process.exitCode = 1;
  }
} finally {
  if (process.env.BENCH_KEEP) process.stderr.write(`kept ${work}\n`);
  else fs.rmSync(work, { recursive: true, force: true });
}
