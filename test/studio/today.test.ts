import { DateTime } from 'luxon';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AppointmentBook } from '../../src/domain/appointments.js';
import { clinicDoctors } from '../../src/domain/doctors.js';
import { requireBotConfig } from '../../src/domain/clinic.js';
import { writeOnlySealer } from '../../src/domain/sealing-keys.js';
import { commandEnv } from '../support/command-env.js';
import { STUDIO_USERS, studioEnv } from '../support/studio.js';

// The Today page in Debian's Chromium, on the in-process studio with a pinned clock late in the day
// (Mon 23 Nov 2026, 19:03 in Asia/Kolkata), a clinic holiday the next day and a slot held by a call
// the day after: the page offers exactly the slots the front desk would book, and booking one works.
const { ctx: env, run } = commandEnv();
const startStudio = studioEnv(env, run);
const ZONE = 'Asia/Kolkata';
const LATE = DateTime.fromISO('2026-11-23T19:03', { zone: ZONE });

let browser: Browser;
beforeAll(async () => {
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update'],
  });
});
afterAll(async () => {
  await browser?.close();
});

/** The Book buttons' labels on the page, e.g. "Book Dr. Anil Mehta at 09:30". */
async function offered(page: Page): Promise<string[]> {
  return page
    .getByRole('button', { name: /^Book .+ at \d\d:\d\d$/ })
    .evaluateAll((bs) => bs.map((b) => b.getAttribute('aria-label')!));
}

test('Today offers only the slots the front desk would book: none past at 19:03, none on a holiday, not a held one', async () => {
  const studio = await startStudio({}, LATE.toJSDate());
  const holiday = await run(['doctors', 'holidays', 'add', '2026-11-24', '--name', "Founders' Day"]);
  expect(holiday.code, holiday.err).toBe(0);
  // A caller's check_availability holds Dr. Mehta's 09:00 on Wednesday for the clinic's hold minutes.
  const store = await studio.ctx.store();
  const config = await requireBotConfig(store);
  const book = new AppointmentBook(store, config.clinic, studio.deps.now, await writeOnlySealer(store, studio.ctx));
  const mehta = (await clinicDoctors(store)).find((d) => d._id === 'dr-mehta')!;
  const held = await book.hold(mehta, DateTime.fromISO('2026-11-25T09:00', { zone: ZONE }), {
    holdOwner: 'call_today',
    callId: 'call_today',
  });
  expect(held.ok).toBe(true);

  const desk = await studio.signIn(STUDIO_USERS.DESK);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const host = new URL(studio.base).hostname;
  await context.addCookies([
    { name: 'receptionist_studio_gate', value: studio.gate.split('=')[1]!, domain: host, path: '/' },
  ]);
  const page = await context.newPage();
  try {
    await page.goto(`${studio.base}/today`);
    await page.getByLabel('Username', { exact: true }).fill(STUDIO_USERS.DESK.username);
    await page.getByLabel('Password', { exact: true }).fill(STUDIO_USERS.DESK.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText(`${STUDIO_USERS.DESK.username} (`).waitFor();

    // Today, 19:03: the doctors' hours are on the grid, and every one of them has passed.
    await page.getByRole('heading', { name: /23/ }).waitFor();
    await page.locator('td[aria-label="not bookable"]').first().waitFor();
    expect(await offered(page)).toEqual([]);

    // The holiday: nothing to book.
    await page.getByLabel('Day', { exact: true }).fill('2026-11-24');
    await page.getByRole('heading', { name: /24/ }).waitFor();
    await page.locator('td[aria-label="not bookable"]').or(page.getByText('No doctor sees patients')).first().waitFor();
    expect(await offered(page)).toEqual([]);

    // Wednesday: the held 09:00 is not offered, the 09:30 next to it is; the page's offer is the server's list.
    await page.getByLabel('Day', { exact: true }).fill('2026-11-25');
    await page.getByRole('button', { name: 'Book Dr. Anil Mehta at 09:30' }).waitFor();
    const shown = await offered(page);
    expect(shown).not.toContain('Book Dr. Anil Mehta at 09:00');
    const server = await desk('GET', '/api/slots?date=2026-11-25');
    expect(server.status).toBe(200);
    const doctors = (await desk('GET', '/api/doctors')).body.data.doctors as Array<{ _id: string; name: string }>;
    const name = new Map(doctors.map((d) => [d._id, d.name]));
    const fromServer = (server.body.data.slots as Array<{ doctorId: string; start: string }>).map(
      (s) => `Book ${name.get(s.doctorId)} at ${DateTime.fromISO(s.start, { zone: ZONE }).toFormat('HH:mm')}`,
    );
    expect(shown.sort()).toEqual(fromServer.sort());

    // And what is offered can be booked.
    await page.getByRole('button', { name: 'Book Dr. Anil Mehta at 09:30' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel("Patient's name").fill('Ravi Kumar');
    await dialog.getByLabel('Phone').fill('98123 45678');
    await dialog.getByLabel('Email').fill('ravi@example.com');
    await dialog.getByLabel('Reason').fill('fever');
    await dialog.getByRole('button', { name: 'Book' }).click();
    await page.getByText(/Booked [A-Z0-9]+: Dr\. Anil Mehta/).waitFor();
    // The booked slot is an appointment now, no longer offered (once the page has the new list).
    await page.getByRole('button', { name: 'Book Dr. Anil Mehta at 09:30' }).waitFor({ state: 'detached' });
    expect(await offered(page)).not.toContain('Book Dr. Anil Mehta at 09:30');
  } finally {
    await context.close();
  }
}, 120_000);
