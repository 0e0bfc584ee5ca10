import { createRequire } from 'node:module';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import readline from 'node:readline';
import { execa, type ResultPromise } from 'execa';
import { DateTime } from 'luxon';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { BIN, E2E_ADMIN, E2E_SECRET, cli, patientFlags, setup, startServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { startFakeVapi, type FakeVapi } from '../support/fake-vapi.js';

// `receptionist studio` from the built binary, in Debian's Chromium (playwright-core, headless):
// the one-time link, sign-in as receptionist and admin, a booking made and cancelled on Today and
// seen by `appointments list`, an admin opening one call, a voice changed and published to the
// fake Vapi (then `sync --check` exits 0), and what must be refused: a wrong token or cookie
// (401), a cross-site write (403, nothing changed). One studio and one browser for the file.
const DESK = { username: 'asha', password: 'e2e-desk-passphrase' };
const PATIENT_EMAIL = 'ravi.kumar@example.com';
const EMAIL = /[\w.+-]+@[\w-]+\.[a-z]{2,}/i;

let tmp: ReturnType<typeof tempDir>;
let fake: FakeVapi;
let studio: ResultPromise;
let link: string;
let base: string;
let browser: Browser;
let env: Record<string, string>;
/** A weekday after today in the clinic's zone (Dr. Mehta works Monday to Friday), and its seeded booking. */
let day: string;
let seeded: string;

const cliJson = async (args: string[]) => {
  const r = await cli([...args, '--json'], { cwd: tmp.dir, env });
  expect(r.exitCode, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Array<Record<string, string>>;
};

beforeAll(async () => {
  tmp = tempDir('receptionist-studio-');
  fake = await startFakeVapi();
  env = { VAPI_API_KEY: fake.token, VAPI_BASE_URL: fake.url, RECEPTIONIST_PUBLIC_URL: 'https://clinic.example.test' };
  await setup(tmp.dir);
  const desk = await cli(
    ['users', 'add', DESK.username, '--role', 'receptionist', '--username', E2E_ADMIN.username, '--password-stdin'],
    { cwd: tmp.dir, input: `${E2E_ADMIN.password}\n${DESK.password}\n` },
  );
  expect(desk.exitCode, desk.stderr).toBe(0);
  let d = DateTime.now().setZone('Asia/Kolkata').plus({ days: 1 });
  while (d.weekday > 5) d = d.plus({ days: 1 });
  day = d.toISODate()!;
  const booked = await cli(
    [
      ...['appointments', 'book', '--doctor', 'dr-mehta', '--at', `${day} 09:30`, '--json'],
      ...patientFlags('Ravi Kumar', '+919812345678', { email: PATIENT_EMAIL, reason: 'fever' }),
    ],
    { cwd: tmp.dir },
  );
  expect(booked.exitCode, booked.stderr).toBe(0);
  seeded = (JSON.parse(booked.stdout) as { appointment: { appointmentId: string } }).appointment.appointmentId;
  const serve = await startServe(tmp.dir);
  const report = await cli(['trigger', 'end-of-call-report', '--url', serve.url, '--call-id', 'call_studio'], {
    cwd: tmp.dir,
  });
  expect(report.exitCode, report.stderr).toBe(0);
  await serve.stop();

  studio = execa(process.execPath, [BIN, 'studio', '--port', '0', '--no-open', '--json'], {
    cwd: tmp.dir,
    env: { VAPI_SERVER_SECRET: E2E_SECRET, ...env },
    extendEnv: false,
    reject: false,
  });
  link = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('studio did not become ready')), 20_000);
    readline.createInterface({ input: studio.stdout! }).on('line', (l) => {
      const e = JSON.parse(l) as { event: string; link?: string };
      if (e.event === 'ready') {
        clearTimeout(timer);
        resolve(e.link!);
      }
    });
    void studio.then((r) => reject(new Error(`studio exited early (${r.exitCode}): ${r.stderr}`)));
  });
  base = new URL(link).origin;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update'],
  });
}, 90_000);

afterAll(async () => {
  await browser?.close();
  studio?.kill('SIGTERM');
  await studio;
  await fake?.close();
  tmp?.cleanup();
});

/** The gate cookie the one-time link sets, shared by every browser context of this file (the link works once). */
let gate: Awaited<ReturnType<BrowserContext['cookies']>> | undefined;
async function gateCookies() {
  if (!gate) {
    const context = await browser.newContext();
    const page = await context.newPage();
    expect((await page.goto(link))!.status()).toBe(200);
    gate = (await context.cookies()).filter((c) => c.name === 'receptionist_studio_gate');
    await context.close();
  }
  return gate;
}

/** A page past the link, signed in as `who`. */
async function signedIn(who: { username: string; password: string }): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addCookies(await gateCookies());
  const page = await context.newPage();
  await page.goto(`${base}/today`);
  await page.getByLabel('Username', { exact: true }).fill(who.username);
  await page.getByLabel('Password', { exact: true }).fill(who.password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText(`${who.username} (`).waitFor();
  return page;
}

test('the link works once; a wrong token or a forged cookie gets 401', async () => {
  const page = await signedIn(DESK);
  // The link was spent by the first page: a second use, or any other token, is refused.
  expect((await fetch(link, { redirect: 'manual' })).status).toBe(401);
  expect((await fetch(`${base}/?token=not-the-token`, { redirect: 'manual' })).status).toBe(401);
  expect((await fetch(`${base}/today`)).status).toBe(401);
  const forged = { cookie: 'receptionist_studio_session=forged; receptionist_studio_gate=forged' };
  expect((await fetch(`${base}/api/me`, { headers: forged })).status).toBe(401);
  expect((await fetch(`${base}/api/appointments`, { headers: forged })).status).toBe(401);
  expect((await fetch(`${base}/today`, { headers: forged })).status).toBe(401);
  // The real session's cookie, for contrast.
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  expect((await fetch(`${base}/api/me`, { headers: { cookie } })).status).toBe(200);
  await page.context().close();
});

test('a receptionist sees names, times and doctors, and no email anywhere in the page', async () => {
  const page = await signedIn(DESK);
  await page.getByLabel('Day', { exact: true }).fill(day);
  await page.getByText('Ravi Kumar').waitFor();
  expect(await page.content()).not.toMatch(EMAIL);
  await page.getByRole('link', { name: 'Calls' }).click();
  await page.getByRole('link', { name: 'call_studio' }).click();
  await page.getByRole('heading', { name: 'Call call_studio' }).waitFor();
  const html = await page.content();
  expect(html).not.toMatch(EMAIL);
  expect(html).not.toContain('+919812345678');
  // Only an admin may open a call's sealed fields; the Assistant is not in a receptionist's menu.
  expect(await page.getByRole('button', { name: 'Open' }).count()).toBe(0);
  expect(await page.getByRole('link', { name: 'Assistant' }).count()).toBe(0);
  await page.context().close();
});

test('a booking made and cancelled on Today is what `appointments list` shows', async () => {
  const page = await signedIn(DESK);
  await page.getByLabel('Day', { exact: true }).fill(day);
  await page.getByRole('button', { name: 'Book Dr. Anil Mehta at 10:00' }).click();
  const dialog = page.getByRole('dialog');
  await dialog.getByLabel("Patient's name").fill('Meena Iyer');
  await dialog.getByLabel('Phone').fill('98765 43210');
  await dialog.getByLabel('Email').fill('meena@example.com');
  await dialog.getByLabel('Reason').fill('follow-up');
  await dialog.getByRole('button', { name: 'Book' }).click();
  const note = await page.getByRole('status').filter({ hasText: 'Booked' }).textContent();
  const id = /Booked (\w+):/.exec(note ?? '')?.[1];
  expect(id, note ?? '').toBeTruthy();
  const listed = await cliJson(['appointments', 'list', '--date', day]);
  expect(listed.find((a) => a.appointmentId === id)).toMatchObject({ status: 'confirmed', doctorId: 'dr-mehta' });
  expect(
    DateTime.fromISO(listed.find((a) => a.appointmentId === id)!.start!)
      .setZone('Asia/Kolkata')
      .toFormat('HH:mm'),
  ).toBe('10:00');

  // The same slot again is refused with the nearest free times, as on the command line.
  await page.getByRole('button', { name: 'Book…' }).click();
  await dialog.getByLabel('When').fill(`${day} 10:00`);
  await dialog.getByLabel("Patient's name").fill('Arjun Rao');
  await dialog.getByLabel('Phone').fill('+919811112222');
  await dialog.getByLabel('Email').fill('arjun@example.com');
  await dialog.getByLabel('Reason').fill('cough');
  await dialog.getByRole('button', { name: 'Book' }).click();
  await expect(dialog.getByRole('alert').textContent()).resolves.toMatch(/10:00 is taken\.Nearest free: /);
  await dialog.getByRole('button', { name: 'Close' }).click();

  const cell = page.getByRole('cell').filter({ hasText: id! });
  await cell.getByRole('button', { name: 'Cancel' }).click();
  await dialog.getByLabel('Reason').fill('patient asked');
  await dialog.getByRole('button', { name: 'Cancel the appointment' }).click();
  await page
    .getByRole('status')
    .filter({ hasText: `Cancelled ${id}` })
    .waitFor();
  const cancelled = await cliJson(['appointments', 'list', '--date', day, '--status', 'cancelled']);
  expect(cancelled.map((a) => a.appointmentId)).toEqual([id]);
  await page.context().close();
});

test("an admin opens one call's, and one appointment's, sealed fields after the password; a wrong one opens nothing", async () => {
  const page = await signedIn(E2E_ADMIN);
  await page.goto(`${base}/calls/call_studio`);
  await page.getByRole('heading', { name: 'Call call_studio' }).waitFor();
  expect(await page.content()).not.toContain('+919812345678');
  await page.getByLabel('Password', { exact: true }).fill('not the password');
  await page.getByRole('button', { name: 'Open' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toContain('Wrong username or password');
  expect(await page.content()).not.toContain('+919812345678');
  await page.getByLabel('Password', { exact: true }).fill(E2E_ADMIN.password);
  await page.getByRole('button', { name: 'Open' }).click();
  await page.getByText('Opened for admin').waitFor();
  expect(await page.content()).toContain('+919812345678');
  const audit = await cli(['audit', '--json'], { cwd: tmp.dir });
  const actions = (JSON.parse(audit.stdout) as Array<{ user: string; action: string; details: { command?: string } }>)
    .filter((e) => e.user === 'admin')
    .map((e) => `${e.action}:${e.details.command ?? ''}`);
  expect(actions).toEqual(expect.arrayContaining(['unlock.failed:studio', 'decrypt:logs']));

  // An appointment in full, on Today, after the password again.
  await page.goto(`${base}/today`);
  await page.getByLabel('Day', { exact: true }).fill(day);
  await page.getByRole('cell').filter({ hasText: seeded }).getByRole('button', { name: 'Details' }).click();
  const dialog = page.getByRole('dialog');
  expect(await dialog.textContent()).not.toContain(PATIENT_EMAIL);
  await dialog.getByLabel('Password', { exact: true }).fill(E2E_ADMIN.password);
  await dialog.getByRole('button', { name: 'Open' }).click();
  await dialog.getByText(PATIENT_EMAIL).waitFor();
  await page.context().close();
});

test('an admin changes the voice, saves and publishes to Vapi; then `sync --check` exits 0', async () => {
  const page = await signedIn(E2E_ADMIN);
  await page.getByRole('link', { name: 'Assistant' }).click();
  const voice = page.getByLabel('Voice', { exact: true });
  await voice.waitFor();
  expect(await voice.inputValue()).toBe('en-IN-NeerjaNeural');
  await voice.fill('en-IN-PrabhatNeural');
  await page.getByRole('button', { name: /^Save/ }).click();
  await page.getByRole('status').filter({ hasText: 'Saved: voice.voiceId' }).waitFor();
  await page.getByRole('button', { name: 'Review the plan' }).click();
  await page.getByRole('table', { name: 'Plan' }).waitFor();
  await page.getByRole('button', { name: 'Publish', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'Published: assistant' }).waitFor();
  expect([...fake.assistants.values()][0]!.voice.voiceId).toBe('en-IN-PrabhatNeural');
  const check = await cli(['sync', '--check'], { cwd: tmp.dir, env });
  expect(check.exitCode, check.stderr).toBe(0);
  expect(fake.requests.filter((r) => r.status === 400)).toEqual([]);

  // Someone changes the assistant in Vapi's dashboard: the plan shows it, and Publish leaves it be.
  const onVapi = [...fake.assistants.values()][0]!;
  onVapi.firstMessage = 'Changed in the dashboard';
  await page.getByRole('button', { name: 'Review the plan' }).click();
  await page.getByText('on Vapi: firstMessage').waitFor();
  expect(await page.getByRole('button', { name: 'Publish', exact: true }).isDisabled()).toBe(true);
  const refused = await page.evaluate(async () => {
    const me = (await (await fetch('/api/me')).json()) as { data: { csrfToken: string } };
    const r = await fetch('/api/assistant/publish', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': me.data.csrfToken },
      body: '{}',
    });
    return { status: r.status, body: (await r.json()) as { error: { message: string } } };
  });
  expect(refused.status).toBe(422);
  expect(refused.body.error.message).toMatch(/changed on Vapi since the last sync.*refuses to overwrite/);
  expect(onVapi.firstMessage).toBe('Changed in the dashboard');
  await page.context().close();
});

test('a write from another origin is refused, even with the session cookie, and changes nothing', async () => {
  const page = await signedIn(DESK);
  // Another server on loopback: same site as the studio (so its SameSite cookie goes along), another origin.
  const evil = http.createServer((_req, res) => {
    res.setHeader('content-type', 'text/html');
    res.end(
      `<form id="f" method="POST" enctype="text/plain" action="${base}/api/appointments/${seeded}/cancel">` +
        `<input name='{"reason":"x","pad":"' value='"}'></form><script>f.submit()</script>`,
    );
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  try {
    const refused = page.waitForResponse((r) => r.url().includes('/cancel'));
    await page.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    const res = await refused;
    expect(res.status()).toBe(403);
    expect(await res.text()).toContain('Refused');
  } finally {
    evil.close();
  }
  // A script's fetch with the page's cookie and CSRF token, but a foreign Origin, is refused too.
  const cookie = (await page.context().cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
  const me = (await (await fetch(`${base}/api/me`, { headers: { cookie } })).json()) as { data: { csrfToken: string } };
  const forged = await fetch(`${base}/api/appointments/${seeded}/cancel`, {
    method: 'POST',
    headers: {
      cookie,
      origin: 'http://evil.example',
      'content-type': 'application/json',
      'x-csrf-token': me.data.csrfToken,
    },
    body: JSON.stringify({ reason: 'x' }),
  });
  expect(forged.status).toBe(403);
  const listed = await cliJson(['appointments', 'list', '--date', day]);
  expect(listed.find((a) => a.appointmentId === seeded)).toMatchObject({ status: 'confirmed' });
  await page.context().close();
});

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
/** axe-core's WCAG 2 A and AA checks on what the page shows now: the violations, by rule and element. */
async function accessibilityProblems(page: Page): Promise<string[]> {
  await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (o: unknown) => Promise<{ violations: any[] }> } }).axe;
    const r = await axe.run({ runOnly: ['wcag2a', 'wcag2aa'] });
    return r.violations.map(
      (v) => `${v.id}: ${v.nodes.map((n: { target: string[] }) => n.target.join(' ')).join(', ')}`,
    );
  });
}

test('every page passes axe-core’s WCAG 2 AA checks, works from the keyboard, and fits a phone', async () => {
  // Signed in with the keyboard only: Tab to each field, Enter to send.
  // bypassCSP: the studio's policy refuses every inline script, axe's own too.
  const context = await browser.newContext({
    viewport: { width: 390, height: 844 },
    isMobile: true,
    hasTouch: true,
    bypassCSP: true,
  });
  await context.addCookies(await gateCookies());
  const page = await context.newPage();
  await page.goto(`${base}/today`);
  await page.getByLabel('Username', { exact: true }).waitFor();
  expect(await accessibilityProblems(page)).toEqual([]);
  await page.keyboard.type(E2E_ADMIN.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(E2E_ADMIN.password);
  await page.keyboard.press('Enter');
  await page.getByText('admin (admin)').waitFor();
  const pages: Array<[string, () => Promise<unknown>]> = [
    ['/today', () => page.getByText('Ravi Kumar').waitFor()],
    ['/calls', () => page.getByRole('link', { name: 'call_studio' }).waitFor()],
    ['/calls/call_studio', () => page.getByRole('heading', { name: 'Call call_studio' }).waitFor()],
    ['/assistant', () => page.getByLabel('Voice provider').waitFor()],
    ['/metrics', () => page.getByRole('heading', { name: 'Calls by ended reason' }).waitFor()],
    ['/doctors', () => page.getByRole('heading', { name: /Dr\. Anil Mehta/ }).waitFor()],
    ['/outbox', () => page.getByRole('cell', { name: 'appointment.booked' }).first().waitFor()],
  ];
  for (const [url, ready] of pages) {
    await page.goto(`${base}${url}`);
    if (url === '/today') await page.getByLabel('Day', { exact: true }).fill(day);
    await ready();
    expect(await accessibilityProblems(page), url).toEqual([]);
    // Wide tables scroll inside their box; the page itself never scrolls sideways.
    const wide = await page.evaluate(() =>
      document.documentElement.scrollWidth > 390
        ? [...document.querySelectorAll('body *')]
            .filter((e) => e.getBoundingClientRect().right > 391 && !e.closest('.scroll'))
            .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
            .slice(0, 5)
        : [],
    );
    expect(wide, url).toEqual([]);
  }
  await context.close();
});

test('it works while serve runs: a call serve logs now is on the Calls page at once', async () => {
  const serve = await startServe(tmp.dir);
  try {
    const page = await signedIn(DESK);
    const r = await cli(['trigger', 'end-of-call-report', '--url', serve.url, '--call-id', 'call_while_serving'], {
      cwd: tmp.dir,
    });
    expect(r.exitCode, r.stderr).toBe(0);
    await page.getByRole('link', { name: 'Calls' }).click();
    await page.getByRole('link', { name: 'call_while_serving' }).waitFor();
    await page.context().close();
  } finally {
    await serve.stop();
  }
});
