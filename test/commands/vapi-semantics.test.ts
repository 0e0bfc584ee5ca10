import { Liquid } from 'liquidjs';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { credentialName, secretFingerprint } from '../../src/vapi/credential.js';

/**
 * Vapi's documented semantics that its spec cannot check (issue 24): the assistant's clock, where
 * transfers go, who holds the webhook secret. Each through `main()` against the fake Vapi.
 */
const SECRET = 'hook-secret-0123456789abcdef';
const OTHER = 'another-machine-secret-9876543210';
const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: SECRET });
const URL = 'https://clinic.example.com';
beforeEach(async () => {
  expect((await run(['seed'])).code).toBe(0);
});
afterEach(() => {
  vi.useRealTimers();
});

const assistant = () => [...ctx.fake.assistants.values()][0]!;
const systemPrompt = () =>
  (assistant().model.messages as Array<{ role: string; content: string }>).find((m) => m.role === 'system')!.content;

/** What Vapi's LiquidJS makes of a text at `at` (its `"now"` is the system clock). */
function renderAt(text: string, at: string): string {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(new Date(at));
  try {
    return new Liquid().parseAndRenderSync(text, { name: 'Asha' });
  } finally {
    vi.useRealTimers();
  }
}

describe("the assistant's clock is the clinic's", () => {
  test("sync writes the prompt's date and time with Liquid's date filter in clinic.timeZone: at 01:30 IST it is already Tuesday", async () => {
    expect((await run(['sync', '--server-url', URL])).code).toBe(0);
    const prompt = systemPrompt();
    expect(prompt).toContain(
      'Today is {{"now" | date: "%A %-d %B %Y", "Asia/Kolkata"}} and the time is {{"now" | date: "%-I:%M %p", "Asia/Kolkata"}} (clinic time).',
    );
    expect(prompt).not.toMatch(/\{\{\s*(date|time|now)\s*\}\}/);
    // Monday 7 December 2026, 20:00 UTC is Tuesday 8 December, 01:30 in India.
    expect(renderAt(prompt, '2026-12-07T20:00:00Z')).toContain(
      'Today is Tuesday 8 December 2026 and the time is 1:30 AM (clinic time).',
    );
    // And in the afternoon the same day stays the same day.
    expect(renderAt(prompt, '2026-12-08T09:15:00Z')).toContain(
      'Today is Tuesday 8 December 2026 and the time is 2:45 PM',
    );
  });

  test('a time-zone change shows in the plan and reaches Vapi; an unknown zone is refused', async () => {
    expect((await run(['sync', '--server-url', URL])).code).toBe(0);
    expect((await run(['config', 'set', 'clinic.timeZone', 'Europe/London'])).code).toBe(0);
    const dry = await run(['sync', '--dry-run']);
    expect(dry.out).toMatch(/~ assistant +Sunrise Receptionist +update\n +model\.messages\[0\]\.content: /);
    expect((await run(['sync', '--check'])).code).toBe(7);
    expect((await run(['sync'])).code).toBe(0);
    expect(renderAt(systemPrompt(), '2026-12-07T20:00:00Z')).toContain(
      'Today is Monday 7 December 2026 and the time is 8:00 PM',
    );
    const bad = await run(['config', 'set', 'clinic.timeZone', 'Asia/Bangalore']);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('clinic.timeZone "Asia/Bangalore" is not an IANA time zone');
  });

  test("config set warns when a prompt or first message reads Vapi's UTC clock", async () => {
    const r = await run(['config', 'set', 'firstMessage', 'Good day! It is {{time}} on {{ date }}.']);
    expect(r.code).toBe(0);
    expect(r.err).toContain(
      "Warning: firstMessage uses {{time}}, {{date}}: Vapi fills these in UTC, not in the clinic's zone (Asia/Kolkata). Use {{clinic.date}}, {{clinic.time}} or {{clinic.now}}",
    );
    const fine = await run(['config', 'set', 'firstMessage', 'Good day! It is {{clinic.time}}.']);
    expect(fine.err).not.toContain('Warning');
  });
});

describe('transfers reach the front desk the config names', () => {
  test('a new frontDeskNumber shows in the plan and becomes the transferCall destination on Vapi', async () => {
    expect((await run(['sync', '--server-url', URL])).code).toBe(0);
    const set = await run(['config', 'set', 'clinic.frontDeskNumber', '+91 98450 11223']);
    expect(set.code).toBe(0);
    const dry = await run(['sync', '--dry-run']);
    expect(dry.out).toContain('model.tools[1].destinations[0].number: "+918041234567" → "+919845011223"');
    expect((await run(['sync'])).code).toBe(0);
    const transfer = (assistant().model.tools as Array<Record<string, any>>).find((t) => t.type === 'transferCall')!;
    expect(transfer.destinations).toEqual([
      {
        type: 'number',
        number: '+919845011223',
        message: 'Connecting you to our front desk now.',
        description: "The clinic's front desk, for anything the assistant cannot handle",
      },
    ]);
    const wrong = await run(['config', 'set', 'clinic.frontDeskNumber', '080 4123']);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('clinic.frontDeskNumber "080 4123" is not a phone number in E.164 form');
  });
});

describe('the webhook secret is changed only on purpose', () => {
  const credentialId = () => [...ctx.fake.credentials.keys()][0]!;
  const secretOnVapi = () => ctx.fake.credentials.get(credentialId())!.authenticationPlan.secretKey;

  test("a second machine with another secret is refused (exit 8), naming both fingerprints; Vapi keeps the live serve's secret", async () => {
    expect((await run(['sync', '--server-url', URL])).code).toBe(0);
    for (const args of [['sync'], ['sync', '--check'], ['sync', '--dry-run']]) {
      const r = await run(args, { env: { VAPI_SERVER_SECRET: OTHER } });
      expect(r.code, args.join(' ')).toBe(8);
      expect(r.err).toContain(
        `Error: The webhook credential on Vapi (${credentialId()}) holds another secret (fingerprint ${secretFingerprint(SECRET)}) than VAPI_SERVER_SECRET here (fingerprint ${secretFingerprint(OTHER)})`,
      );
      expect(r.err).toContain('--rotate-secret');
    }
    expect(secretOnVapi()).toBe(SECRET);
    // From a fresh store too (it adopts the credential, then refuses).
    const fresh = await run(['--data-dir', `${ctx.tmp.dir}/fresh`, 'seed']);
    expect(fresh.code).toBe(0);
    const adopt = await run(['--data-dir', `${ctx.tmp.dir}/fresh`, 'sync', '--server-url', URL], {
      env: { VAPI_SERVER_SECRET: OTHER },
    });
    expect(adopt.code).toBe(8);
    expect(secretOnVapi()).toBe(SECRET);
  });

  test('rotation: with the previous secret set it switches the credential, then finishes; started twice or without the previous secret it is refused', async () => {
    expect((await run(['sync', '--server-url', URL])).code).toBe(0);
    const noPrevious = await run(['sync', '--rotate-secret'], { env: { VAPI_SERVER_SECRET: OTHER } });
    expect(noPrevious.code).toBe(8);
    expect(noPrevious.err).toContain(
      `--rotate-secret needs VAPI_SERVER_SECRET_PREVIOUS to be the secret the credential ${credentialId()} holds now (fingerprint ${secretFingerprint(SECRET)}); it is not set.`,
    );
    const wrongPrevious = await run(['sync', '--rotate-secret'], {
      env: { VAPI_SERVER_SECRET: OTHER, VAPI_SERVER_SECRET_PREVIOUS: 'not-the-one-0123456789' },
    });
    expect(wrongPrevious.code).toBe(8);
    expect(secretOnVapi()).toBe(SECRET);

    const rotating = { VAPI_SERVER_SECRET: OTHER, VAPI_SERVER_SECRET_PREVIOUS: SECRET };
    const rotated = await run(['sync', '--rotate-secret'], { env: rotating });
    expect(rotated.code, rotated.err).toBe(0);
    expect(rotated.out).toContain(`~ credential   ${credentialName(OTHER)} update`);
    expect(rotated.err).toContain(
      `Rotated: the credential now holds the secret ${secretFingerprint(OTHER)} (was ${secretFingerprint(SECRET)}).`,
    );
    expect(secretOnVapi()).toBe(OTHER);
    expect(ctx.fake.credentials.size).toBe(1);

    const twice = await run(['sync', '--rotate-secret'], { env: rotating });
    expect(twice.code).toBe(8);
    expect(twice.err).toContain(`This rotation was already done: the credential ${credentialId()} has held the secret`);
    const notYet = await run(['sync'], { env: rotating });
    expect(notYet.code).toBe(0);
    expect(notYet.err).toContain('is not finished: remove VAPI_SERVER_SECRET_PREVIOUS');
    const finished = await run(['sync'], { env: { VAPI_SERVER_SECRET: OTHER } });
    expect(finished.code).toBe(0);
    expect(finished.err).toContain(
      `Rotation finished: the credential and serve use only the secret ${secretFingerprint(OTHER)}.`,
    );
    expect(JSON.parse((await run(['config', 'show', '--json'])).out).vapi).toBeUndefined();
  });

  test('a credential deleted on Vapi mid-rotation: a clear message, nothing else written; with none at all there is nothing to rotate', async () => {
    expect((await run(['sync', '--server-url', URL])).code).toBe(0);
    const id = credentialId();
    // Deleted between sync's read and its write.
    const original = ctx.fake.credentials.get.bind(ctx.fake.credentials);
    let reads = 0;
    ctx.fake.credentials.get = (key: string) => {
      if (key === id && ++reads > 1) ctx.fake.credentials.delete(id);
      return original(key);
    };
    const before = ctx.fake.requests.length;
    const r = await run(['sync', '--rotate-secret'], {
      env: { VAPI_SERVER_SECRET: OTHER, VAPI_SERVER_SECRET_PREVIOUS: SECRET },
    });
    ctx.fake.credentials.get = original;
    expect(r.code, r.err).toBe(1);
    expect(r.err).toContain(
      `Error: The webhook credential ${id} was deleted on Vapi while sync ran; nothing else was changed.`,
    );
    expect(ctx.fake.requests.slice(before).filter((q) => q.method !== 'GET' && q.status < 300)).toEqual([]);
    const none = await run(['sync', '--rotate-secret'], {
      env: { VAPI_SERVER_SECRET: OTHER, VAPI_SERVER_SECRET_PREVIOUS: SECRET },
    });
    expect(none.code).toBe(8);
    expect(none.err).toContain('There is no webhook credential on Vapi to rotate');
  });
});
