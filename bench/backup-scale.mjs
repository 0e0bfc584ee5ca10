#!/usr/bin/env node
// Backup and restore at a clinic's real volume (issue 14 item 6): `receptionist backup` of the
// scale store (1,000,000 sealed call logs and 100,000 appointments, built by bench/store-scale.mjs
// and bench/run.mjs, cached in bench/.cache; BENCH_STORE_DIR points at another built one), then
// `receptionist restore` of that archive into an empty data directory. Whole-process wall time
// and peak RSS, one run each. The durable outcome is checked, not assumed: the archive is
// re-read and every checksum verified (restore does it before writing), and the restored store's
// call-log and appointment counts must equal the source's. Writes its section of docs/benchmarks.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { DatabaseSync } from 'node:sqlite';
import { cacheDir, root } from './scale-store.mjs';

const dir = path.resolve(process.env.BENCH_STORE_DIR ?? cacheDir);
const dataDir = path.join(dir, '.receptionist');
if (!fs.existsSync(path.join(dataDir, 'receptionist.db'))) {
  process.stderr.write(`No scale store in ${dir}: run \`npm run bench:store\` first (it builds and caches it).\n`);
  process.exit(1);
}
const bin = path.join(root, 'bin', 'receptionist.js');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-bench-backup-'));
const archive = path.join(work, 'clinic.tar.gz');
const restored = path.join(work, 'restored');

/** Wall time (s) and peak RSS (MB) of one whole command. */
function measure(args, dataDirectory) {
  const r = spawnSync('sh', ['-c', `/usr/bin/time -f '%e %M' "$@" > /dev/null`, 'sh', process.execPath, bin, ...args], {
    env: { ...process.env, RECEPTIONIST_DATA_DIR: dataDirectory },
    cwd: work,
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  const [secs, kb] = r.stderr.trim().split('\n').at(-1).split(' ').map(Number);
  return { s: secs, mb: kb / 1024 };
}
const counts = (d) => {
  const db = new DatabaseSync(path.join(d, 'receptionist.db'), { readOnly: true });
  try {
    return {
      calls: db.prepare('SELECT count(*) AS n FROM call_logs').get().n,
      appointments: db.prepare('SELECT count(*) AS n FROM c_appointments').get().n,
    };
  } finally {
    db.close();
  }
};

try {
  const source = counts(dataDir);
  const dbBytes = fs.statSync(path.join(dataDir, 'receptionist.db')).size;
  const backup = measure(['backup', archive], dataDir);
  const archiveBytes = fs.statSync(archive).size;
  const restore = measure(['restore', archive], restored);
  const after = counts(restored);
  if (after.calls !== source.calls || after.appointments !== source.appointments)
    throw new Error(`restored ${JSON.stringify(after)}, the source holds ${JSON.stringify(source)}`);
  const gib = (b) => (b / 2 ** 30).toFixed(2);
  const section = `<!-- backup-scale -->
## Backup and restore at scale

Written by \`node bench/backup-scale.mjs\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus().length} cores, the scale
store${process.env.BENCH_STORE_DIR ? ` in \`${path.relative(root, dir)}\`` : ''} (${source.calls.toLocaleString('en')} sealed call logs, ${source.appointments.toLocaleString('en')} appointments, a ${gib(dbBytes)} GiB \`receptionist.db\`). One run
each, whole process from spawn. The restore checks every checksum before it writes, and the
restored store's call logs and appointments were counted: equal to the source's. The backup
reads each collection whole (the call logs are streamed), hence its RSS.

| what | measured |
|---|---|
| \`backup <file>\` (VACUUM INTO snapshot, NDJSON, gzip) | ${backup.s.toFixed(0)} s, ${backup.mb.toFixed(0)} MB RSS; archive ${gib(archiveBytes)} GiB |
| \`restore <file>\` into an empty store (checks, then one transaction) | ${restore.s.toFixed(0)} s, ${restore.mb.toFixed(0)} MB RSS |
<!-- /backup-scale -->
`;
  const file = path.join(root, 'docs', 'benchmarks.md');
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const next = current.includes('<!-- backup-scale -->')
    ? current.replace(/<!-- backup-scale -->[\s\S]*<!-- \/backup-scale -->\n?/, section)
    : current.replace('<!-- gaps -->', `${section}\n<!-- gaps -->`);
  fs.writeFileSync(file, next);
  process.stdout.write(section);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
