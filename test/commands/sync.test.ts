import path from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { freePort } from '../support/net.js';
import { commandEnv } from '../support/command-env.js';

const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: 'hook-secret-0123456789' });
beforeEach(async () => {
  await run(['seed']);
});


describe('receptionist sync', () => {
  test('creates the tools, then the assistant with their ids; a second run changes nothing', async () => {
    const first = await run(['sync', '--server-url', 'https://clinic.example.com']);
    expect(first.code, first.err).toBe(0);
    expect(first.out).toMatch(/^Plan for Vapi at http:\/\/127\.0\.0\.1:\d+, webhook https:\/\/clinic\.example\.com\/webhook:\n  \+ tool      list_doctors +create\n/);
    expect(first.out).toMatch(/10 to create, 0 to update, 0 unchanged, 0 changed on Vapi\.\n$/);
    expect(ctx.fake.tools.size).toBe(9);
    expect(ctx.fake.assistants.size).toBe(1);
    const assistant = [...ctx.fake.assistants.values()][0]!;
    expect(assistant.model.toolIds).toEqual([...ctx.fake.tools.values()].map((t) => t.id));
    expect(assistant.server).toEqual({ url: 'https://clinic.example.com/webhook', timeoutSeconds: 20, headers: { 'X-Vapi-Secret': 'hook-secret-0123456789' } });
    expect(assistant.metadata).toEqual({ managedBy: 'receptionist' });
    for (const t of ctx.fake.tools.values()) expect(t.server.url).toBe('https://clinic.example.com/webhook');

    const writes = ctx.fake.requests.length;
    const second = await run(['sync']);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/0 to create, 0 to update, 10 unchanged, 0 changed on Vapi\.\n$/);
    expect(second.err).toContain('Nothing to change.');
    expect(ctx.fake.requests.slice(writes).every((r) => r.method === 'GET')).toBe(true);
  });

  test('a config change: --check exits 2, --dry-run shows the diff and writes nothing, sync updates only the assistant', async () => {
    await run(['sync', '--server-url', 'https://clinic.example.com']);
    await run(['config', 'set', 'voice.voiceId', 'Kylie']);
    const check = await run(['sync', '--check']);
    expect(check.code).toBe(2);
    expect(check.err).toContain('1 resource(s) on Vapi differ from the stored config.');
    const writes = ctx.fake.requests.filter((r) => r.method !== 'GET').length;
    const dry = await run(['sync', '--dry-run']);
    expect(dry.out).toContain('  ~ assistant Sunrise Receptionist       update\n      voice.voiceId: "Elliot" → "Kylie"\n');
    expect(ctx.fake.requests.filter((r) => r.method !== 'GET').length).toBe(writes);
    const apply = await run(['sync']);
    expect(apply.code, apply.err).toBe(0);
    expect(ctx.fake.requests.filter((r) => r.method !== 'GET').map((r) => r.method + ' ' + r.path.replace(/[0-9a-f-]{36}/, ':id')).slice(writes)).toEqual(['PATCH /assistant/:id']);
    expect([...ctx.fake.assistants.values()][0]!.voice).toEqual({ provider: 'vapi', voiceId: 'Kylie' });
    expect((await run(['sync', '--check'])).code).toBe(0);
  });

  test('an edit on Vapi is shown and not overwritten without --force', async () => {
    await run(['sync', '--server-url', 'https://clinic.example.com']);
    const a = [...ctx.fake.assistants.values()][0]!;
    ctx.fake.assistants.set(a.id, { ...a, firstMessage: 'Edited in the dashboard' });
    const refused = await run(['sync']);
    expect(refused.code).toBe(1);
    expect(refused.out).toContain('  ! assistant Sunrise Receptionist       changed on Vapi since the last sync\n      on Vapi: firstMessage: "Welcome! Are you calling for a doctor appointment or AC … → "Edited in the dashboard"\n');
    expect(refused.err).toContain('1 resource(s) were changed on Vapi since the last sync (shown above); sync refuses to overwrite them.');
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

  test('bad input: no key, a rejected key, Vapi unreachable, no server URL', async () => {
    const noKey = await run(['sync', '--server-url', 'https://x.example'], { env: { VAPI_API_KEY: '' } });
    expect(noKey.code).toBe(5);
    expect(noKey.err).toBe('Error: No Vapi API key.\n  Pass --vapi-key, or set VAPI_API_KEY (environment or .env) to your private key from the Vapi dashboard.\n');
    const rejected = await run(['sync', '--server-url', 'https://x.example', '--vapi-key', 'wrong']);
    expect(rejected.code).toBe(5);
    expect(rejected.err).toMatch(/^Error: Vapi rejected the API key \(401\)\.\n  Check the key from --vapi-key/);
    const port = await freePort();
    const down = await run(['sync', '--server-url', 'https://x.example'], { env: { VAPI_BASE_URL: `http://127.0.0.1:${port}` } });
    expect(down.code).toBe(6);
    expect(down.err).toMatch(new RegExp(`^Error: Cannot reach Vapi at http://127\\.0\\.0\\.1:${port} to create tool list_doctors: ECONNREFUSED\\.`));
    expect(down.err).not.toMatch(/at .*\.js:\d+/);
    const noUrl = await run(['sync']);
    expect(noUrl.code).toBe(2);
    expect(noUrl.err).toContain('No server URL for the assistant and its tools.');
  });
});
