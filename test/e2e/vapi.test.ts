import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { startFakeVapi, type FakeVapi } from '../support/fake-vapi.js';

// The built binary against the fake Vapi API, every request body checked against the spec.
let tmp: ReturnType<typeof tempDir>;
let fake: FakeVapi;
beforeEach(async () => {
  tmp = tempDir('receptionist-e2e-vapi-');
  fake = await startFakeVapi();
});
afterEach(async () => {
  await fake.close();
  tmp.cleanup();
});

test('seed → sync → sync (nothing changes) → config set → sync --check (exit 2) → sync → call --dry-run → call', async () => {
  const env = {
    VAPI_API_KEY: fake.token,
    VAPI_BASE_URL: fake.url,
    RECEPTIONIST_PUBLIC_URL: 'https://clinic.example.com',
  };
  const step = async (args: string[], code = 0) => {
    const r = await cli(args, { cwd: tmp.dir, env });
    expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(code);
    return r;
  };
  await step(['seed']);
  expect((await step(['sync'])).stdout).toMatch(/11 to create/);
  const writes = () => fake.requests.filter((r) => r.method !== 'GET').length;
  const before = writes();
  expect((await step(['sync'])).stdout).toMatch(/0 to create, 0 to update, 11 unchanged/);
  expect(writes()).toBe(before);
  await step(['config', 'set', 'voice.voiceId', 'en-IN-PrabhatNeural']);
  expect((await step(['sync', '--check'], 7)).stderr).toContain('1 resource(s) on Vapi differ from the stored config.');
  expect((await step(['sync'])).stdout).toMatch(
    /~ assistant .*update\n\s+voice\.voiceId: "en-IN-NeerjaNeural" → "en-IN-PrabhatNeural"/,
  );
  expect([...fake.assistants.values()][0]!.voice.voiceId).toBe('en-IN-PrabhatNeural');
  const dry = await step(['call', '+919812345678', '--var', 'name=Asha', '--dry-run', '--json']);
  expect(JSON.parse(dry.stdout).request).toMatchObject({
    customer: { number: '+919812345678', name: 'Asha' },
    assistantOverrides: { variableValues: { name: 'Asha' } },
  });
  expect(fake.calls.size).toBe(0);
  const placed = await step(['call', '+919812345678', '--var', 'name=Asha', '--json']);
  expect(JSON.parse(placed.stdout)).toMatchObject({ ok: true, number: '+919812345678', status: 'queued' });
  expect(fake.calls.size).toBe(1);
  // Every body the CLI sent passed the spec's validation (the fake answers 400 otherwise).
  expect(fake.requests.filter((r) => r.status === 400)).toEqual([]);
});
