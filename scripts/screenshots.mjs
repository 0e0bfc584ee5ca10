#!/usr/bin/env node
// `npm run screenshots`: screenshots of every studio page, written to docs/studio/ (shown in the
// README). A fresh store in a temp folder: seed, an admin and a receptionist, a few bookings on the
// next working day, and a few calls logged through `serve` and `trigger`; then `studio` on a free
// port, driven by Debian's Chromium through playwright-core. Needs no network beyond loopback.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { launchChromium } from './chromium.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'receptionist.js');
const outDir = path.join(root, 'docs', 'studio');
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'receptionist-shots-'));
const secret = 'screenshots-secret-0123456789abcdef';
const admin = { username: 'admin', password: 'screenshots admin passphrase' };
const receptionist = { username: 'asha', password: 'screenshots desk passphrase' };
const env = { VAPI_SERVER_SECRET: secret, NO_COLOR: '1', PATH: process.env.PATH ?? '' };

const cli = async (args, input) => {
  const r = await execa(process.execPath, [bin, ...args], { cwd: dir, env, extendEnv: false, input, reject: false });
  if (r.exitCode !== 0) throw new Error(`receptionist ${args.join(' ')} exited ${r.exitCode}: ${r.stderr}`);
  return r.stdout;
};

/** Starts a long-running command with --json and waits for the line `ready(line)` accepts. */
async function start(args, ready) {
  const proc = execa(process.execPath, [bin, ...args], { cwd: dir, env, extendEnv: false, reject: false });
  const value = await new Promise((resolve, reject) => {
    readline.createInterface({ input: proc.stdout }).on('line', (l) => {
      const v = ready(JSON.parse(l));
      if (v) resolve(v);
    });
    proc.then((r) => reject(new Error(`${args[0]} exited: ${r.stderr}`)));
  });
  return { proc, value };
}

// The next day Dr. Mehta works (Monday to Friday), from tomorrow in the clinic's zone.
const zoneDay = (d) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata' }).format(d);
let day = new Date(Date.now() + 86_400_000);
while ([0, 6].includes(new Date(`${zoneDay(day)}T12:00:00Z`).getUTCDay())) day = new Date(day.getTime() + 86_400_000);
const date = zoneDay(day);

let studio;
let browser;
try {
  await cli(['seed']);
  await cli(['users', 'add', admin.username, '--password-stdin'], `${admin.password}\n`);
  await cli(
    ['users', 'add', receptionist.username, '--role', 'receptionist', '--username', admin.username, '--password-stdin'],
    `${admin.password}\n${receptionist.password}\n`,
  );
  const patients = [
    ['dr-mehta', '09:30', 'Ravi Kumar', '+919812345678', 'ravi@example.com', 'fever'],
    ['dr-mehta', '11:00', 'Meena Iyer', '+919876543210', 'meena@example.com', 'follow-up'],
    ['dr-mehta', '15:00', 'Arjun Rao', '+919811112222', 'arjun@example.com', 'cough'],
  ];
  for (const [doctor, time, name, phone, email, reason] of patients)
    await cli([
      'appointments',
      'book',
      '--doctor',
      doctor,
      '--at',
      `${date} ${time}`,
      '--name',
      name,
      '--phone',
      phone,
      '--email',
      email,
      '--reason',
      reason,
    ]);
  // A few calls, through the webhook as Vapi would send them.
  const serve = await start(['serve', '--port', '0', '--json'], (e) => e.kind === 'ready' && e.webhookUrl);
  const reasons = ['customer-ended-call', 'customer-ended-call', 'assistant-ended-call', 'silence-timed-out'];
  for (const [i, reason] of reasons.entries())
    await cli([
      'trigger',
      'end-of-call-report',
      '--url',
      serve.value,
      '--call-id',
      `call_shot${i}`,
      '--set',
      `message.endedReason=${reason}`,
    ]);
  serve.proc.kill('SIGTERM');
  await serve.proc;

  studio = await start(['studio', '--port', '0', '--no-open', '--json'], (e) => e.event === 'ready' && e.link);
  browser = await launchChromium();
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, colorScheme: 'light' });
  const page = await context.newPage();
  fs.mkdirSync(outDir, { recursive: true });
  const shot = async (name, p = page) => {
    await p.waitForLoadState('networkidle');
    await p.screenshot({ path: path.join(outDir, `${name}.png`), fullPage: false });
    process.stdout.write(`wrote docs/studio/${name}.png\n`);
  };
  await page.goto(studio.value);
  await page.getByLabel('Username', { exact: true }).waitFor();
  await shot('sign-in');
  await page.getByLabel('Username', { exact: true }).fill(admin.username);
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Day', { exact: true }).fill(date);
  await page.getByText('Ravi Kumar').waitFor();
  await shot('today');
  await page.getByLabel('View').selectOption('week');
  await page.getByRole('heading', { name: /^Week of/ }).waitFor();
  await shot('today-week');
  await page.getByRole('link', { name: 'Calls' }).click();
  await page.getByText('call_shot0').waitFor();
  await shot('calls');
  await page.getByText('call_shot0').click();
  await page.getByLabel('Password', { exact: true }).fill(admin.password);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByText('Opened for').waitFor();
  await shot('call');
  await page.getByRole('link', { name: 'Assistant' }).click();
  await page.getByLabel('Voice provider').waitFor();
  await shot('assistant');
  await page.getByRole('link', { name: 'Metrics' }).click();
  await page.getByText('Calls by ended reason').waitFor();
  await page.waitForTimeout(300);
  await shot('metrics');
  await page.getByRole('link', { name: 'Doctors' }).click();
  await page.getByText('Save hours').first().waitFor();
  await shot('doctors');
  await page.getByRole('link', { name: 'Outbox' }).click();
  await page.getByRole('heading', { name: 'Outbox' }).waitFor();
  await shot('outbox');
  // Phone width, as the receptionist: names, times and doctors only.
  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  await phone.addCookies(await context.cookies().then((all) => all.filter((c) => c.name.endsWith('_gate'))));
  const p2 = await phone.newPage();
  await p2.goto(new URL('/today', studio.value).href);
  await p2.getByLabel('Username', { exact: true }).fill(receptionist.username);
  await p2.getByLabel('Password', { exact: true }).fill(receptionist.password);
  await p2.getByRole('button', { name: 'Sign in' }).click();
  await p2.getByLabel('Day', { exact: true }).fill(date);
  await p2.getByText('Ravi Kumar').waitFor();
  await shot('today-phone', p2);
} finally {
  await browser?.close();
  studio?.proc.kill('SIGTERM');
  await studio?.proc;
  fs.rmSync(dir, { recursive: true, force: true });
}
