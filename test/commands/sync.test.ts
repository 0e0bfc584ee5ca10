import fs from 'node:fs';
import path from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { freePort } from '../support/net.js';
import { commandEnv } from '../support/command-env.js';
import { FAKE_PHONE_NUMBER } from '../support/fake-vapi.js';
import { credentialName } from '../../src/vapi/credential.js';

const SECRET = 'hook-secret-0123456789abcdef';
const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: SECRET });
beforeEach(async () => {
  await run(['seed']);
});

const writes = () =>
  ctx.fake.requests
    .filter((r) => r.method !== 'GET' && r.status < 300)
    .map((r) => `${r.method} ${r.path.replace(/[0-9a-f-]{36}/, ':id')}`);
const SERVER = {
  url: 'https://clinic.example.com/webhook',
  timeoutSeconds: 20,
  backoffPlan: { type: 'exponential', maxRetries: 4, baseDelaySeconds: 1, excludedStatusCodes: [400, 401, 413] },
};

describe('receptionist sync', () => {
  test('creates the credential, the tools, then the assistant, each server with the credential and a backoffPlan; a second run changes nothing', async () => {
    const first = await run(['sync', '--server-url', 'https://clinic.example.com']);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(
      /^Plan for Vapi at http:\/\/127\.0\.0\.1:\d+, webhook https:\/\/clinic\.example\.com\/webhook \(from --server-url\):\n  \+ credential   receptionist webhook [0-9a-f]{8} create\n  \+ tool         list_doctors +create\n/,
    );
    expect(first.out).toMatch(/11 to create, 0 to update, 0 unchanged, 0 changed on Vapi\.\n$/);
    expect(writes()).toEqual(['POST /credential', ...Array(9).fill('POST /tool'), 'POST /assistant']);

    expect(ctx.fake.credentials.size).toBe(1);
    const credential = [...ctx.fake.credentials.values()][0]!;
    expect(credential).toMatchObject({
      provider: 'webhook',
      name: credentialName(SECRET),
      authenticationPlan: {
        type: 'hmac',
        algorithm: 'sha256',
        secretKey: SECRET,
        signatureHeader: 'x-signature',
        timestampHeader: 'x-timestamp',
        payloadFormat: '{timestamp}.{body}',
        signatureEncoding: 'hex',
      },
    });
    const server = { ...SERVER, credentialId: credential.id };
    const assistant = [...ctx.fake.assistants.values()][0]!;
    expect(assistant.server).toEqual(server);
    expect(assistant.model.toolIds).toEqual([...ctx.fake.tools.values()].map((t) => t.id));
    expect(assistant.metadata).toEqual({ managedBy: 'receptionist' });
    expect(assistant.compliancePlan).toEqual({ hipaaEnabled: false });
    for (const t of ctx.fake.tools.values()) expect(t.server).toEqual(server);
    // No secret travels as a header, and none is kept in the store.
    expect(JSON.stringify([...ctx.fake.assistants.values(), ...ctx.fake.tools.values()])).not.toContain(SECRET);
    for (const f of fs.readdirSync(path.join(ctx.tmp.dir, 'store')))
      expect(fs.readFileSync(path.join(ctx.tmp.dir, 'store', f), 'utf8')).not.toContain(SECRET);

    const before = writes().length;
    const second = await run(['sync']);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/0 to create, 0 to update, 11 unchanged, 0 changed on Vapi\.\n$/);
    expect(second.err).toContain('Nothing to change.');
    expect(writes().length).toBe(before);
  });

  test('a config change: --check exits 2, --dry-run shows the diff and writes nothing, sync updates only the assistant', async () => {
    await run(['sync', '--server-url', 'https://clinic.example.com']);
    await run(['config', 'set', 'voice.voiceId', 'en-IN-PrabhatNeural']);
    const check = await run(['sync', '--check']);
    expect(check.code).toBe(7);
    expect(check.err).toContain('1 resource(s) on Vapi differ from the stored config.');
    const before = writes().length;
    const dry = await run(['sync', '--dry-run']);
    expect(dry.out).toContain(
      '  ~ assistant    Sunrise Receptionist       update\n      voice.voiceId: "en-IN-NeerjaNeural" → "en-IN-PrabhatNeural"\n',
    );
    expect(writes().length).toBe(before);
    const apply = await run(['sync']);
    expect(apply.code, apply.err).toBe(0);
    expect(writes().slice(before)).toEqual(['PATCH /assistant/:id']);
    expect([...ctx.fake.assistants.values()][0]!.voice.voiceId).toBe('en-IN-PrabhatNeural');
    expect((await run(['sync', '--check'])).code).toBe(0);
  });

  test('an edit on Vapi is shown and not overwritten without --force', async () => {
    await run(['sync', '--server-url', 'https://clinic.example.com']);
    const a = [...ctx.fake.assistants.values()][0]!;
    ctx.fake.assistants.set(a.id, { ...a, firstMessage: 'Edited in the dashboard' });
    const refused = await run(['sync']);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain(
      '  ! assistant    Sunrise Receptionist       changed on Vapi since the last sync\n      on Vapi: firstMessage: "Welcome! Are you calling for a doctor appointment or AC … → "Edited in the dashboard"\n',
    );
    expect(refused.err).toContain(
      '1 resource(s) were changed on Vapi since the last sync (shown above); sync refuses to overwrite them.',
    );
    expect(ctx.fake.assistants.get(a.id)!.firstMessage).toBe('Edited in the dashboard');
    expect((await run(['sync', '--force'])).code).toBe(0);
    expect(ctx.fake.assistants.get(a.id)!.firstMessage).toMatch(/^Welcome!/);
  });

  test('a tool deleted on Vapi is created again', async () => {
    await run(['sync', '--server-url', 'https://clinic.example.com']);
    const [id] = [...ctx.fake.tools.keys()];
    ctx.fake.tools.delete(id!);
    const r = await run(['sync']);
    expect(r.out).toMatch(/\+ tool +list_doctors +create/);
    expect(ctx.fake.tools.size).toBe(9);
  });

  test('from a fresh store (CI, a second laptop) sync adopts what it made before and creates nothing; --check exits 0', async () => {
    expect((await run(['sync', '--server-url', 'https://clinic.example.com'])).code).toBe(0);
    const exported = path.join(ctx.tmp.dir, 'receptionist.config.json');
    expect((await run(['config', 'export', exported])).code).toBe(0);
    const counts = () => [ctx.fake.credentials.size, ctx.fake.tools.size, ctx.fake.assistants.size];
    expect(counts()).toEqual([1, 9, 1]);

    // A fresh checkout: no store at all, only the exported config file.
    const fresh = ['--data-dir', path.join(ctx.tmp.dir, 'fresh')];
    const check = await run([...fresh, 'sync', '--check', '--config', exported]);
    expect(check.code, check.out + check.err).toBe(0);
    expect(check.out).toContain('webhook https://clinic.example.com/webhook (from the assistant on Vapi)');
    expect(check.out).toMatch(/= assistant +Sunrise Receptionist +unchanged \(found on Vapi: [0-9a-f-]{36}\)/);
    expect(check.out).toMatch(/0 to create, 0 to update, 11 unchanged, 0 changed on Vapi\.\n$/);

    const before = writes().length;
    const adopt = await run([...fresh, 'sync', '--config', exported]);
    expect(adopt.code, adopt.err).toBe(0);
    expect(counts()).toEqual([1, 9, 1]);
    expect(writes().length).toBe(before);
    // The ids are now recorded: a later sync reads them directly.
    expect((await run([...fresh, 'sync', '--check'])).code).toBe(0);

    // A change in the file is the only write.
    const file = JSON.parse(fs.readFileSync(exported, 'utf8'));
    file.assistant.firstMessage = 'Namaste! Clinic or AC support?';
    fs.writeFileSync(exported, JSON.stringify(file));
    expect((await run([...fresh, 'sync', '--check', '--config', exported])).code).toBe(7);
    expect((await run([...fresh, 'sync', '--config', exported])).code).toBe(0);
    expect(writes().slice(before)).toEqual(['PATCH /assistant/:id']);
    expect(counts()).toEqual([1, 9, 1]);
  });

  test('rotating VAPI_SERVER_SECRET (--rotate-secret, the old one as VAPI_SERVER_SECRET_PREVIOUS) updates the credential, and only it', async () => {
    await run(['sync', '--server-url', 'https://clinic.example.com']);
    ctx.fake.expect('PATCH', /^\/credential\/[0-9a-f-]{36}$/);
    const id = [...ctx.fake.credentials.keys()][0]!;
    const rotated = 'rotated-secret-abcdef0123456789';
    const env = { VAPI_SERVER_SECRET: rotated, VAPI_SERVER_SECRET_PREVIOUS: SECRET };
    const check = await run(['sync', '--check', '--rotate-secret'], { env });
    expect(check.code).toBe(7);
    expect(check.out).toContain(
      `~ credential   ${credentialName(rotated)} update\n      name: "${credentialName(SECRET)}" → "${credentialName(rotated)}"`,
    );
    const before = writes().length;
    expect((await run(['sync', '--rotate-secret'], { env })).code).toBe(0);
    expect(writes().slice(before)).toEqual(['PATCH /credential/:id']);
    expect(ctx.fake.credentials.get(id)!.authenticationPlan.secretKey).toBe(rotated);
    expect(ctx.fake.credentials.size).toBe(1);
  });

  test('--phone-number points the number at serve (no assistant: assistant-request), shows it in the plan and is remembered', async () => {
    ctx.fake.expect('PATCH', '/phone-number/pn_fake');
    ctx.fake.expect('POST', '/credential');
    const r = await run(['sync', '--server-url', 'https://clinic.example.com', '--phone-number', '+91 80 4123 4567']);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain(
      '  ~ phone-number +918041234567              update (found on Vapi: pn_fake)\n      server: (unset) → {"url":"https://clinic.example.com/webhook"',
    );
    const pn = ctx.fake.phoneNumbers.get(FAKE_PHONE_NUMBER.id)!;
    expect(pn.server).toEqual({ ...SERVER, credentialId: [...ctx.fake.credentials.keys()][0] });
    expect(pn.assistantId).toBeUndefined();
    const again = await run(['sync', '--check']);
    expect(again.code, again.out).toBe(0);
    expect(again.out).toMatch(/= phone-number +\+918041234567 +unchanged/);
    const config = JSON.parse((await run(['config', 'show', '--json'])).out);
    expect(config.clinic.phoneNumber).toBe('+91 80 4123 4567');

    // Someone gives the number an assistant in the dashboard: drift, not silently undone.
    ctx.fake.phoneNumbers.set(pn.id, { ...pn, assistantId: 'asst_dashboard' });
    const drift = await run(['sync']);
    expect(drift.code).toBe(1);
    expect(drift.out).toContain('on Vapi: assistantId: (unset) → "asst_dashboard"');
  });

  test('bad input: no key, a rejected key, no secret, Vapi unreachable, no server URL, an unknown phone number, a bad --config', async () => {
    const noKey = await run(['sync', '--server-url', 'https://x.example'], { env: { VAPI_API_KEY: '' } });
    expect(noKey.code).toBe(5);
    expect(noKey.err).toBe(
      'Error: No Vapi API key.\n  Pass --vapi-key, or set VAPI_API_KEY (environment or .env) to your private key from the Vapi dashboard.\n',
    );
    const rejected = await run(['sync', '--server-url', 'https://x.example', '--vapi-key', 'wrong']);
    expect(rejected.code).toBe(5);
    expect(rejected.err).toMatch(/^Error: Vapi rejected the API key \(401\)\.\n  Check the key from --vapi-key/);
    const noSecret = await run(['sync', '--server-url', 'https://x.example'], { env: { VAPI_SERVER_SECRET: '' } });
    expect(noSecret.code).toBe(5);
    expect(noSecret.err).toMatch(/^Error: No VAPI_SERVER_SECRET/);
    const port = await freePort();
    const down = await run(['sync', '--server-url', 'https://x.example'], {
      env: { VAPI_BASE_URL: `http://127.0.0.1:${port}` },
    });
    expect(down.code).toBe(6);
    expect(down.err).toMatch(
      new RegExp(
        `^Error: Cannot reach Vapi at http://127\\.0\\.0\\.1:${port} to list credentials: connection refused\\.`,
      ),
    );
    expect(down.err).not.toMatch(/at .*\.js:\d+/);
    const noUrl = await run(['sync']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.err).toContain('No server URL for the assistant and its tools.');
    const unknownNumber = await run(['sync', '--server-url', 'https://x.example', '--phone-number', '+14155550100']);
    expect(unknownNumber.code).toBe(1);
    expect(unknownNumber.err).toContain(
      'Error: +14155550100 is not a phone number of this Vapi account.\n  There are: +918041234567 (pn_fake).',
    );
    const notANumber = await run(['sync', '--server-url', 'https://x.example', '--phone-number', '+12']);
    expect(notANumber.code).toBe(2);
    fs.writeFileSync(path.join(ctx.tmp.dir, 'bad.json'), '{"assistant": 1}');
    const badConfig = await run(['sync', '--check', '--config', 'bad.json']);
    expect(badConfig.code).toBe(2);
    expect(badConfig.err).toMatch(/^Error: --config bad\.json: "assistant" must be an object/);
    expect(ctx.fake.credentials.size + ctx.fake.tools.size + ctx.fake.assistants.size).toBe(0);
  });
});
