import { expect, test, vi } from 'vitest';

// Issue 28 (PERF-5, idle RSS): `serve` loads at start what every serve uses, and the rest with its
// first use: the CSV call log's parser and writer (--log-to csv), the iCalendar builder (a doctor's
// feed, an email invitation), Standard Webhooks' signer (a webhook channel), the CLI spinner, SMS
// and email clients, the default libphonenumber build (serve uses the full one), and chrono's
// other 15 locales. These throw if serve's modules import them when loaded.
const { loaded } = vi.hoisted(() => ({
  loaded: (name: string) => () => {
    throw new Error(`${name} was imported when serve's modules loaded`);
  },
}));
vi.mock('csv-parse', loaded('csv-parse'));
vi.mock('csv-stringify/sync', loaded('csv-stringify'));
vi.mock('ical-generator', loaded('ical-generator'));
vi.mock('standardwebhooks', loaded('standardwebhooks'));
vi.mock('ora', loaded('ora'));
vi.mock('twilio', loaded('twilio'));
vi.mock('nodemailer', loaded('nodemailer'));
vi.mock('libphonenumber-js', loaded('libphonenumber-js'));
vi.mock('chrono-node', loaded('chrono-node'));

test.each([
  ['serve’s command', () => import('../src/commands/serve/serve.js')],
  ['serve’s flags', () => import('../src/commands/serve/options.js')],
  ['the runtime', () => import('../src/server/runtime.js')],
  ['the webhook app', () => import('../src/server/app.js')],
  ['the embedded store', () => import('../src/store/embedded.js')],
])('%s loads none of them', async (_what, load) => {
  await expect(load()).resolves.toBeDefined();
});
