#!/usr/bin/env node
// The studio at a clinic's real volume (issue 15): `receptionist studio` from the built binary on
// the scale store (1,000,000 sealed call logs, 100,000 appointments; bench/store-scale.mjs builds
// and caches it; BENCH_STORE_DIR points at another built one), driven by Debian's Chromium with
// playwright-core. Each figure is the median of RUNS fresh browser contexts (empty cache), from the
// navigation's start to the moment the page shows what it is for:
//   first page: the sign-in form, ready to type in (the bundle loaded, parsed and rendered);
//   sign-in: the password checked (scrypt, as the CLI does) and Today's grid shown;
//   Today: the next weekday's appointments per doctor (names opened: an audited opening);
//   Calls: the newest 100 of the 1,000,000 calls; Metrics: 30 days of calls, charted three ways.
// The durable part is checked: every sign-in's audit record is in the store afterwards.
// Also the bundle's gzipped size. Writes its section of docs/benchmarks.md.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { spawn } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import { DatabaseSync } from 'node:sqlite';
import { launchChromium } from '../scripts/chromium.mjs';
import { BLIND_KEY, cacheDir, root } from './scale-store.mjs';

const RUNS = Number(process.env.BENCH_STUDIO_RUNS ?? 5);
const PASSWORD = 'bench-admin-passphrase';
const dir = path.resolve(process.env.BENCH_STORE_DIR ?? cacheDir);
const dataDir = path.join(dir, '.receptionist');
if (!fs.existsSync(path.join(dataDir, 'receptionist.db'))) {
  process.stderr.write(`No scale store in ${dir}: run \`npm run bench:store\` first (it builds and caches it).\n`);
  process.exit(1);
}
const db = () => new DatabaseSync(path.join(dataDir, 'receptionist.db'), { readOnly: true });
const count = (sql) => {
  const d = db();
  try {
    return d.prepare(sql).get().n;
  } finally {
    d.close();
  }
};
const signIns = () =>
  count("SELECT count(*) AS n FROM log_audit WHERE json_extract(entry, '$.action') = 'studio.sign-in'");
const counts = {
  calls: count('SELECT count(*) AS n FROM call_logs'),
  appointments: count('SELECT count(*) AS n FROM c_appointments'),
};

const studio = spawn(
  process.execPath,
  [path.join(root, 'bin', 'receptionist.js'), 'studio', '--port', '0', '--no-open', '--json'],
  {
    cwd: dir,
    env: {
      ...process.env,
      RECEPTIONIST_DATA_DIR: dataDir,
      RECEPTIONIST_BLIND_INDEX_KEY: BLIND_KEY.toString('base64url'),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  },
);
const link = await new Promise((resolve, reject) => {
  readline.createInterface({ input: studio.stdout }).on('line', (l) => {
    const e = JSON.parse(l);
    if (e.event === 'ready') resolve(e.link);
  });
  studio.on('exit', (code) => reject(new Error(`studio exited ${code}`)));
});
const base = new URL(link).origin;
const browser = await launchChromium();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let day = new Date(Date.now() + 86_400_000);
const zoneDay = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(d);
while ([0, 6].includes(new Date(`${zoneDay(day)}T12:00:00Z`).getUTCDay())) day = new Date(day.getTime() + 86_400_000);
const date = zoneDay(day);

const figures = { first: [], signIn: [], today: [], calls: [], metrics: [] };
const before = signIns();
try {
  const opener = await browser.newContext();
  await (await opener.newPage()).goto(link);
  const gate = (await opener.cookies()).filter((c) => c.name === 'receptionist_studio_gate');
  await opener.close();
  const timed = async (list, fn) => {
    const t0 = performance.now();
    await fn();
    list.push(performance.now() - t0);
  };
  for (let i = 0; i < RUNS; i++) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    await context.addCookies(gate);
    const page = await context.newPage();
    await timed(figures.first, async () => {
      await page.goto(`${base}/today?date=${date}`);
      await page.getByLabel('Username', { exact: true }).waitFor();
    });
    await page.getByLabel('Username', { exact: true }).fill('admin');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await timed(figures.signIn, async () => {
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.locator('table.calendar').waitFor();
    });
    await timed(figures.today, async () => {
      await page.getByLabel('Day', { exact: true }).fill(date);
      await page
        .getByRole('heading', {
          name: new Intl.DateTimeFormat('en-GB', {
            timeZone: 'UTC',
            weekday: 'short',
            day: 'numeric',
            month: 'short',
          }).format(new Date(`${date}T12:00:00Z`)),
        })
        .waitFor();
      await page.locator('table.calendar td.booked').first().waitFor();
    });
    await timed(figures.calls, async () => {
      await page.getByRole('link', { name: 'Calls' }).click();
      await page.locator('tbody tr').nth(99).waitFor();
    });
    await timed(figures.metrics, async () => {
      await page.getByRole('link', { name: 'Metrics' }).click();
      await page.getByRole('heading', { name: 'Calls by assistant' }).waitFor();
      await page.waitForFunction("document.querySelectorAll('canvas').length === 3");
    });
    await context.close();
  }
} finally {
  await browser.close();
  studio.kill('SIGTERM');
}
const after = signIns();
if (after - before !== RUNS)
  throw new Error(`${RUNS} sign-ins, but ${after - before} studio.sign-in audit records in the store`);

const assets = path.join(root, 'dist', 'web', 'assets');
const html = fs.readFileSync(path.join(root, 'dist', 'web', 'index.html'), 'utf8');
const gz = (f) => gzipSync(fs.readFileSync(path.join(assets, f))).length;
const all = fs.readdirSync(assets).filter((f) => /\.(js|css)$/.test(f));
const total = all.reduce((s, f) => s + gz(f), 0);
const firstFiles = [...html.matchAll(/\/assets\/([\w.-]+\.(?:js|css))/g)].map((m) => m[1]);
const chart = all.filter((f) => f.startsWith('chart-')).reduce((s, f) => s + gz(f), 0);
const kb = (b) => `${(b / 1024).toFixed(0)} kB`;
const ms = (xs) => `${median(xs).toFixed(0)} ms`;
const section = `<!-- studio -->
## The studio

Written by \`node bench/studio-load.mjs\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${os.cpus().length} cores, \`receptionist studio\`
from the built binary on the scale store${process.env.BENCH_STORE_DIR ? ` in \`${path.relative(root, dir)}\`` : ''} (${counts.calls.toLocaleString('en')} call logs, ${counts.appointments.toLocaleString('en')} appointments), Debian's Chromium
headless on loopback. Median of ${RUNS} fresh browser contexts (empty cache), from the navigation's start to
the page showing what it is for. Every sign-in's audit record was found in the store afterwards.

| what | measured | goal |
|---|---|---|
| first page (sign-in form ready to type in) | ${ms(figures.first)} | < 1 s |
| sign-in (scrypt N=2^17 unlock) to Today's grid | ${ms(figures.signIn)} | |
| Today: ${date}'s appointments per doctor, names opened (audited) | ${ms(figures.today)} | |
| Calls: the newest 100 of ${counts.calls.toLocaleString('en')} | ${ms(figures.calls)} | |
| Metrics: 30 days by day, ended reason and assistant, charted | ${ms(figures.metrics)} | |
| bundle, gzipped: all of it / the first page's files / Chart.js (Metrics only) | ${kb(total)} / ${kb(firstFiles.reduce((s, f) => s + gz(f), 0))} / ${kb(chart)} | < 500 kB |
<!-- /studio -->
`;
const file = path.join(root, 'docs', 'benchmarks.md');
const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
fs.writeFileSync(
  file,
  current.includes('<!-- studio -->')
    ? current.replace(/<!-- studio -->[\s\S]*<!-- \/studio -->\n?/, section)
    : current.replace('<!-- gaps -->', `${section}\n<!-- gaps -->`),
);
process.stdout.write(section);
