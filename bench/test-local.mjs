#!/usr/bin/env node
// `receptionist test --local` on a clinic's store at scale (issue 27): the six shipped tests on a
// freshly seeded store, and on one holding BENCH_APPOINTMENTS appointments (default 100,000, made by
// the product's own sealing code, bench/scale-store.mjs). A test run copies the clinic's setup, not
// its patients, so the two should cost the same. Whole-process wall time and peak RSS, median of 3.
// The real store is checked afterwards: its appointment count is what it was (nothing written).
// Writes its section of docs/benchmarks.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { APPOINTMENTS, BLIND_KEY, addAppointments, root } from './scale-store.mjs';

const bin = path.join(root, 'bin', 'receptionist.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-bench-test-'));
// The big store is cached between runs (building 100,000 sealed appointments takes minutes).
const cached = path.join(root, 'bench', '.cache', `test-local-${APPOINTMENTS}`);
const env = (dir) => ({
  ...process.env,
  RECEPTIONIST_DATA_DIR: path.join(dir, '.receptionist'),
  RECEPTIONIST_BLIND_INDEX_KEY: BLIND_KEY.toString('base64url'),
});
const cli = (dir, args, input) =>
  spawnSync(process.execPath, [bin, ...args], { env: env(dir), cwd: dir, input, encoding: 'utf8' });

function project(dir, appointments) {
  if (fs.existsSync(path.join(dir, 'built.json'))) return { dir, appointments };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const [args, input] of [
    [['seed'], undefined],
    [['users', 'add', 'admin', '--password-stdin'], 'bench-admin-passphrase\n'],
  ]) {
    const r = cli(dir, args, input);
    if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  }
  return { dir, appointments };
}

function measure(dir) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(
      'sh',
      ['-c', `/usr/bin/time -f '%e %M' "$@" > /dev/null`, 'sh', process.execPath, bin, 'test', '--local'],
      {
        env: env(dir),
        cwd: dir,
        encoding: 'utf8',
      },
    );
    if (r.status !== 0) throw new Error(`test --local exited ${r.status}: ${r.stderr}`);
    const [s, kb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
    runs.push({ s, mb: kb / 1024 });
  }
  runs.sort((a, b) => a.s - b.s);
  return runs[1];
}

const count = (dir) => {
  const db = new DatabaseSync(path.join(dir, '.receptionist', 'receptionist.db'), { readOnly: true });
  try {
    return db.prepare('SELECT count(*) AS n FROM c_appointments').get().n;
  } finally {
    db.close();
  }
};

try {
  const small = project(path.join(work, 'seeded'), 0);
  const big = project(cached, APPOINTMENTS);
  await addAppointments(path.join(big.dir, '.receptionist'), path.join(big.dir, 'built.json'));
  const rows = [];
  for (const p of [small, big]) {
    const before = count(p.dir);
    const m = measure(p.dir);
    if (count(p.dir) !== before) throw new Error(`test --local wrote to the store in ${p.dir}`);
    rows.push({ ...p, ...m, before });
  }
  const section = `<!-- test-local -->
## \`receptionist test --local\` (\`bench/test-local.mjs\`)

Written by \`node bench/test-local.mjs\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus().length} cores. The six
shipped tests (their scripted tool calls through serve's code path), whole process from spawn, median of 3.
The store's appointments were counted after each run: unchanged (the tools wrote a throwaway store).

| store | \`test --local\` |
|---|---|
${rows.map((r) => `| ${r.before.toLocaleString('en')} appointments${r.appointments ? ` (sealed, made by the benchmark and cached)` : ' (freshly seeded)'} | ${r.s.toFixed(2)} s, ${r.mb.toFixed(0)} MB RSS |`).join('\n')}
<!-- /test-local -->
`;
  const file = path.join(root, 'docs', 'benchmarks.md');
  const current = fs.readFileSync(file, 'utf8');
  const next = current.includes('<!-- test-local -->')
    ? current.replace(/<!-- test-local -->[\s\S]*<!-- \/test-local -->\n?/, section)
    : current.replace('<!-- gaps -->', `${section}\n<!-- gaps -->`);
  fs.writeFileSync(file, next);
  process.stdout.write(section);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
