import { afterEach, beforeEach, expect, test } from 'vitest';
import ical, { type VEvent } from 'node-ical';
import { cli, E2E_ADMIN, postSigned, setup, startServe, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { spokenDayAhead } from '../support/dates.js';

// Issue 14 item 5 on the built binary: a doctor's calendar feed served by serve at an unguessable
// URL (fetched over HTTP, parsed with node-ical), rotated; and `appointments export --ics`.
let tmp: ReturnType<typeof tempDir>;
let s: RunningServe | undefined;
beforeEach(() => {
  tmp = tempDir('receptionist-e2e-calendar-');
});
afterEach(async () => {
  await s?.stop('SIGKILL');
  tmp.cleanup();
});

const events = (ics: string) => Object.values(ical.sync.parseICS(ics)).filter((c): c is VEvent => c?.type === 'VEVENT');

test("a doctor's feed: the appointments with names, no contact details; a wrong or rotated token is a 404; export --ics matches", async () => {
  await setup(tmp.dir);
  s = await startServe(tmp.dir);
  const day = spokenDayAhead(3); // a Wednesday: Dr. Rao sees patients
  for (const [i, time] of ['10am', '11am'].entries()) {
    const r = await postSigned(s.url, {
      type: 'tool-calls',
      call: { id: `call_${i}` },
      toolCallList: [
        {
          id: `tc_${i}`,
          function: {
            name: 'book_appointment',
            arguments: {
              name: `Patient ${i}`,
              email: `p${i}@example.com`,
              phone: `+91981234567${i}`,
              reason: 'secret-reason',
              doctor: 'Rao',
              date: `${day} at ${time}`,
            },
          },
        },
      ],
    });
    expect(r.body.results[0].result).toMatch(/^You're booked/);
  }
  const base = s.url.replace('/webhook', '');
  const url = (await cli(['doctors', 'feed-url', 'rao', '--public-url', base], { cwd: tmp.dir })).stdout.trim();
  expect(url).toMatch(new RegExp(`^${base}/calendars/dr-rao/[A-Za-z0-9_-]{43}\\.ics$`));
  const res = await fetch(url);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/calendar; charset=utf-8');
  const feed = await res.text();
  const got = events(feed);
  expect(got.map((e) => String(e.summary)).sort()).toEqual(['Patient 0 (Dr. Priya Rao)', 'Patient 1 (Dr. Priya Rao)']);
  expect(feed).not.toMatch(/example\.com|98123456|secret-reason/);

  // Anything else is the same 404: another doctor's path, a token one character off.
  const other = url.replace('/dr-rao/', '/dr-mehta/');
  const off = url.replace(/.\.ics$/, (m) => `${m[0] === 'A' ? 'B' : 'A'}.ics`);
  for (const u of [other, off, `${base}/calendars/dr-rao/short.ics`]) expect((await fetch(u)).status).toBe(404);

  const rotated = (
    await cli(['doctors', 'feed-url', 'rao', '--rotate', '--public-url', base], { cwd: tmp.dir })
  ).stdout.trim();
  expect(rotated).not.toBe(url);
  expect((await fetch(url)).status).toBe(404);
  expect((await fetch(rotated)).status).toBe(200);

  // The same appointments exported: without a password no names; with one, the names.
  const plain = await cli(['appointments', 'export', '--ics', '--doctor', 'rao'], { cwd: tmp.dir });
  expect(events(plain.stdout).map((e) => String(e.summary))).toEqual([
    expect.stringMatching(/^Appointment \w{9} \(Dr\. Priya Rao\)$/),
    expect.stringMatching(/^Appointment \w{9} \(Dr\. Priya Rao\)$/),
  ]);
  const named = await cli(
    [
      'appointments',
      'export',
      '--ics',
      '--doctor',
      'rao',
      '--decrypt',
      '--username',
      E2E_ADMIN.username,
      '--password-stdin',
    ],
    {
      cwd: tmp.dir,
      input: `${E2E_ADMIN.password}\n`,
    },
  );
  expect(
    events(named.stdout)
      .map((e) => e.uid)
      .sort(),
  ).toEqual(got.map((e) => e.uid).sort());
  expect(named.stdout).toContain('Patient 0 (Dr. Priya Rao)');
  expect(named.stdout).not.toMatch(/example\.com|secret-reason/);
}, 60_000);
