// DUR-2 on the built binary: `serve` on MongoDB (the wire-protocol double from test/support,
// transpiled here), then the database stops. Measures how long a tool call takes to answer
// with its apology, how long a spooled end-of-call-report takes to be acknowledged, and how
// long the spool takes to drain once the database is back.
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import ts from 'typescript';
import { signedHeaders } from './load.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'receptionist.js');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function loadDouble() {
  const src = fs.readFileSync(path.join(root, 'test', 'support', 'mongo-double.ts'), 'utf8');
  const js = ts.transpileModule(src, {
    compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
  }).outputText;
  const out = path.join(root, 'bench', '.cache', 'mongo-double.mjs');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, js);
  return import(out);
}

/** A command in `cwd`: its .env (the key pin the first `users add` writes) is that folder's. */
function run(args, env, input, cwd) {
  const p = spawn('node', [bin, ...args], { env, cwd, stdio: ['pipe', 'ignore', 'inherit'] });
  p.stdin.end(input ?? '');
  return new Promise((resolve, reject) =>
    p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`receptionist ${args[0]} exited ${c}`)))),
  );
}

export async function dur2Bench() {
  const { startMongoDouble } = await loadDouble();
  const double = await startMongoDouble();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-bench-dur2-'));
  const secret = randomBytes(24).toString('hex');
  const env = {
    ...process.env,
    MONGODB_URI: double.uri,
    VAPI_SERVER_SECRET: secret,
    RECEPTIONIST_DATA_DIR: dir,
    RECEPTIONIST_BLIND_INDEX_KEY: randomBytes(32).toString('base64url'),
  };
  let proc;
  try {
    // Not spawnSync: the double answers from this process's event loop.
    await run(['seed'], env, undefined, dir);
    await run(['users', 'add', 'admin', '--password-stdin'], env, 'bench-admin-passphrase\n', dir);
    proc = spawn('node', [bin, 'serve', '--port', '0', '--json'], {
      env,
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const url = await new Promise((resolve, reject) => {
      readline.createInterface({ input: proc.stdout }).on('line', (l) => {
        const e = JSON.parse(l);
        if (e.kind === 'ready') resolve(e.webhookUrl);
        if (e.kind === 'failure' && process.env.BENCH_DEBUG) console.error(l);
      });
      proc.on('exit', (c) => reject(new Error(`serve exited ${c}`)));
    });
    const post = async (message) => {
      const body = JSON.stringify({ message });
      const started = performance.now();
      const res = await fetch(url, { method: 'POST', body, headers: signedHeaders(secret, body) });
      const json = await res.json();
      return { ms: performance.now() - started, status: res.status, json };
    };
    const tool = (i) => ({
      type: 'tool-calls',
      call: { id: `bench_dur2_${i}` },
      toolCallList: [
        {
          id: `tc_${i}`,
          type: 'function',
          function: { name: 'get_warranty_info', arguments: { customerId: 'CUST-1001' } },
        },
      ],
    });
    const report = (i) => ({
      type: 'end-of-call-report',
      endedReason: 'customer-ended-call',
      endedAt: new Date().toISOString(),
      call: { id: `bench_spooled_${i}` },
      artifact: { transcript: 'AI: Hello\nUser: Hi' },
    });
    for (let i = 0; i < 20; i++) await post(tool(`warm_${i}`));

    await double.stop();
    const toolMs = [];
    let apologies = 0;
    for (let i = 0; i < 20; i++) {
      const r = await post(tool(i));
      toolMs.push(r.ms);
      if (r.status === 200 && r.json.results?.[0]?.error) apologies++;
      else if (process.env.BENCH_DEBUG) console.error(JSON.stringify(r));
    }
    const ackMs = [];
    const N = 200;
    for (let i = 0; i < N; i++) {
      const r = await post(report(i));
      if (r.status !== 200) throw new Error(`report ${i} got ${r.status}`);
      ackMs.push(r.ms);
    }
    const health = url.replace('/webhook', '/health');
    const depth = async () => (await (await fetch(health)).json()).spoolDepth;
    const spooled = await depth();
    const back = performance.now();
    await double.start();
    while ((await depth()) > 0) await new Promise((r) => setTimeout(r, 20));
    const drainMs = performance.now() - back;
    const written = double
      .collection('receptionist', 'call_logs')
      .filter((d) => String(d._id).startsWith('bench_spooled_')).length;
    return {
      toolP50: median(toolMs),
      toolMax: Math.max(...toolMs),
      apologies,
      tools: toolMs.length,
      ackP50: median(ackMs),
      ackMax: Math.max(...ackMs),
      spooled,
      drainMs,
      written,
      N,
    };
  } finally {
    proc?.kill('SIGTERM');
    if (proc) await new Promise((r) => proc.on('exit', r));
    await double.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
