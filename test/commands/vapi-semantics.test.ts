import { Liquid } from 'liquidjs';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import fs from 'node:fs';
import path from 'node:path';
import { credentialName, secretFingerprint } from '../../src/vapi/credential.js';
import { FAKE_PHONE_NUMBER, FREE_VAPI_NUMBER } from '../support/fake-vapi.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { loadBotConfig } from '../../src/domain/clinic.js';
import { notificationChannels } from '../../src/commands/serve/serve.js';
import { packageRoot } from '../../src/paths.js';

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

describe('the phone number is read back from Vapi', () => {
  test('a field Vapi kept though sync sent null: sync says so (exit 1) and preflight fails the inbound-calls check', async () => {
    ctx.fake.phoneNumbers.set(FAKE_PHONE_NUMBER.id, {
      ...ctx.fake.phoneNumbers.get(FAKE_PHONE_NUMBER.id)!,
      assistantId: 'asst_dashboard',
    });
    ctx.fake.keepOnNull.add('assistantId');
    expect((await run(['config', 'set', 'clinic.frontDeskNumber', '+919845011223'])).code).toBe(0);
    const r = await run(['sync', '--server-url', URL, '--phone-number', FAKE_PHONE_NUMBER.number]);
    expect(r.code).toBe(1);
    expect(r.err).toContain(
      'Error: Vapi kept assistantId "asst_dashboard" on the phone number +918041234567 though sync sent null: inbound calls go there, not to serve.',
    );
    expect(
      ctx.fake.requests.filter((q) => q.method === 'GET' && q.path === `/phone-number/${FAKE_PHONE_NUMBER.id}`).length,
    ).toBeGreaterThanOrEqual(2);
    const pre = await run(['preflight', '--public-url', URL]);
    expect(pre.code).toBe(1);
    expect(pre.out).toContain(
      '✗ inbound calls       calls to +918041234567 bypass serve: assistant asst_dashboard is bound to it (Vapi sends no assistant-request)',
    );
  });

  test('preflight fails when the number posts elsewhere or names another credential', async () => {
    expect((await run(['sync', '--server-url', URL, '--phone-number', FAKE_PHONE_NUMBER.number])).code).toBe(0);
    const pn = ctx.fake.phoneNumbers.get(FAKE_PHONE_NUMBER.id)!;
    ctx.fake.phoneNumbers.set(pn.id, {
      ...pn,
      server: { ...pn.server, url: 'https://old.example.com/hook', credentialId: 'cred_other' },
    });
    const pre = await run(['preflight', '--public-url', URL]);
    expect(pre.out).toContain(
      `✗ inbound calls       calls to +918041234567 bypass serve: its server.url is https://old.example.com/hook, not ${URL}/webhook; its server.credentialId is cred_other, not ${[...ctx.fake.credentials.keys()][0]}`,
    );
  });
});

describe('a free Vapi number calls US numbers only', () => {
  beforeEach(() => {
    ctx.fake.phoneNumbers.set(FREE_VAPI_NUMBER.id, { ...FREE_VAPI_NUMBER });
  });

  test('call to an Indian number from it is refused before dialling (exit 8); a US number is placed', async () => {
    expect((await run(['sync', '--server-url', URL])).code).toBe(0);
    const refused = await run([
      'call',
      '+919812345678',
      '--var',
      'name=Asha',
      '--phone-number-id',
      FREE_VAPI_NUMBER.id,
    ]);
    expect(refused.code).toBe(8);
    expect(refused.err).toContain(
      'Error: +14155550100 (pn_free) is a free Vapi number, which calls US numbers only; +919812345678 is not. Nothing was placed.',
    );
    expect(refused.err).toContain('Import a Twilio, Vonage or Telnyx number');
    expect(ctx.fake.calls.size).toBe(0);
    const us = await run(['call', '+14155550123', '--var', 'name=Jo', '--phone-number-id', FREE_VAPI_NUMBER.id]);
    expect(us.code, us.err).toBe(0);
    expect(ctx.fake.calls.size).toBe(1);
    // An imported number calls India.
    const imported = await run([
      'call',
      '+919812345678',
      '--var',
      'name=Asha',
      '--phone-number-id',
      FAKE_PHONE_NUMBER.id,
    ]);
    expect(imported.code, imported.err).toBe(0);
  });

  test("preflight fails the outbound check, and serve's reminder calls are off with the reason", async () => {
    expect((await run(['sync', '--server-url', URL, '--phone-number', FREE_VAPI_NUMBER.number])).code).toBe(0);
    const pre = await run(['preflight', '--public-url', URL]);
    expect(pre.out).toContain(
      '✗ outbound calls      +14155550100 is a free Vapi number: it calls US numbers only, so reminder calls and `call` to IN patients fail',
    );
    // What serve reads at start: the config sync recorded.
    const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store'), busyTimeoutMs: 300 });
    try {
      const full = (await loadBotConfig(store.collection('bot_configs')))!;
      const { setup } = notificationChannels(
        {
          vapi: {
            apiKey: { value: 'k', source: 'test' },
            baseUrl: { value: ctx.fake.url, source: 'test' },
            timeoutSeconds: 5,
            connectTimeoutMs: 1000,
            maxRetries: 0,
            retryBaseMs: 1,
          },
        },
        full,
        () => new Date(),
      );
      expect(setup.reminders?.off.call).toMatch(
        /^\+14155550100 is a free Vapi number, which calls US numbers only, not IN patients\./,
      );
      expect(setup.channels).not.toContain('call');
    } finally {
      await store.close();
    }
  });
});

describe('reminder calls', () => {
  test('a placeholder in clinic.reminderFirstMessage that no reminder call fills is refused (exit 2)', async () => {
    const r = await run([
      'config',
      'set',
      'clinic.reminderFirstMessage',
      'Hi {{name}}, see {{nosuch}} at {{appointmentTime}}',
    ]);
    expect(r.code).toBe(2);
    expect(r.err).toContain('clinic.reminderFirstMessage uses {{nosuch}}, which no reminder call fills.');
    const fine = await run([
      'config',
      'set',
      'clinic.reminderFirstMessage',
      'Hi {{name}}, it is {{clinic.time}}: your visit to {{doctor}} is {{appointmentTime}} (ID {{appointmentId}}, {{clinic}}).',
    ]);
    expect(fine.code, fine.err).toBe(0);
  });
});

describe('one validation for every way a config comes in', () => {
  const MESSAGE = 'model.temperature must be a number from 0 to 2.';
  test('temperature 9 is refused by config set, import, edit --editor and sync --config alike, with the same message; nothing reaches Vapi', async () => {
    const set = await run(['config', 'set', 'model.temperature', '9']);
    expect(set.code).toBe(2);
    expect(set.err).toContain(MESSAGE);

    const file = path.join(ctx.tmp.dir, 'receptionist.config.json');
    expect((await run(['config', 'export', file])).code).toBe(0);
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    config.assistant.model.temperature = 9;
    fs.writeFileSync(file, JSON.stringify(config));

    const imported = await run(['config', 'import', file]);
    expect(imported.code).toBe(2);
    expect(imported.err).toContain(MESSAGE);

    const synced = await run(['sync', '--server-url', URL, '--config', file]);
    expect(synced.code).toBe(2);
    expect(synced.err).toContain(MESSAGE);
    expect(ctx.fake.assistants.size).toBe(0);

    const editor = path.join(ctx.tmp.dir, 'editor.mjs');
    fs.writeFileSync(
      editor,
      "import fs from 'node:fs';\nconst f = process.argv[2];\nconst c = JSON.parse(fs.readFileSync(f, 'utf8'));\nc.assistant.model.temperature = 9;\nfs.writeFileSync(f, JSON.stringify(c));\n",
    );
    const edited = await run(['config', 'edit', '--editor'], { env: { EDITOR: `"${process.execPath}" "${editor}"` } });
    expect(edited.code).toBe(2);
    expect(edited.err).toContain(MESSAGE);
    expect(JSON.parse((await run(['config', 'show', '--json'])).out).assistant.model.temperature).toBe(0.3);
  });

  test("anything else Vapi's own schema refuses is caught before sync, with the field and the rule", async () => {
    const file = path.join(ctx.tmp.dir, 'c.json');
    expect((await run(['config', 'export', file])).code).toBe(0);
    const config = JSON.parse(fs.readFileSync(file, 'utf8'));
    config.assistant.maxDurationSeconds = 5;
    fs.writeFileSync(file, JSON.stringify(config));
    const message = "assistant.maxDurationSeconds must be >= 10 (Vapi's CreateAssistantDTO).";
    for (const args of [
      ['config', 'import', file],
      ['sync', '--server-url', URL, '--config', file],
    ]) {
      const r = await run(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.err).toContain(message);
    }
    config.assistant.maxDurationSeconds = 900;
    config.tools[0].async = 'yes';
    fs.writeFileSync(file, JSON.stringify(config));
    const tool = await run(['config', 'import', file]);
    expect(tool.code).toBe(2);
    expect(tool.err).toContain("tools.list_doctors.async must be boolean (Vapi's CreateFunctionToolDTO).");
    expect(ctx.fake.assistants.size + ctx.fake.tools.size).toBe(0);
  });

  test('an imported clinic setting gets the rule config set has (front desk, reminder hours, an unknown zone)', async () => {
    const file = path.join(ctx.tmp.dir, 'c.json');
    expect((await run(['config', 'export', file])).code).toBe(0);
    for (const [field, value, message] of [
      ['frontDeskNumber', '12345', 'clinic.frontDeskNumber "12345" is not a phone number in E.164 form'],
      ['reminderHours', 500, 'clinic.reminderHours must be a whole number of hours from 0 (no reminders) to 168.'],
      ['timeZone', 'Mars/Olympus', 'clinic.timeZone "Mars/Olympus" is not an IANA time zone'],
    ] as const) {
      const config = JSON.parse(fs.readFileSync(file, 'utf8'));
      config.clinic[field] = value;
      fs.writeFileSync(path.join(ctx.tmp.dir, 'bad.json'), JSON.stringify(config));
      const r = await run(['config', 'import', 'bad.json']);
      expect(r.code, field).toBe(2);
      expect(r.err).toContain(message);
      const viaSet = await run(['config', 'set', `clinic.${field}`, String(value)]);
      expect(viaSet.err).toContain(message);
    }
  });
});

describe('what HIPAA mode keeps at Vapi', () => {
  test("config set's help says Vapi still stores recordings and transcripts with HIPAA, and that keeping nothing is Zero Data Retention", async () => {
    const help = await run(['config', 'set', '--help']);
    expect(help.out).toContain('Vapi then still keeps recordings and transcripts, in HIPAA storage');
    expect(help.out).toContain('Zero Data Retention');
    expect(help.out).not.toMatch(/keeps no recordings/);
    const readme = fs.readFileSync(path.join(packageRoot(), 'README.md'), 'utf8');
    expect(readme).toMatch(/\*\*With HIPAA mode Vapi still\s+stores recordings, transcripts and logs\*\*/);
    expect(readme).not.toMatch(/Vapi then keeps no recording/);
  });
});
