import { afterEach, beforeEach, expect, test } from 'vitest';
import { VapiClient, VapiError } from '@vapi-ai/server-sdk';
import { startFakeVapi, type FakeVapi } from '../support/fake-vapi.js';
import { defaultBotConfig } from '../../src/commands/seed/seed.js';

let fake: FakeVapi;
beforeEach(async () => {
  fake = await startFakeVapi();
});
afterEach(async () => {
  await fake.close();
});

const client = (token = fake.token) =>
  new VapiClient({ token, baseUrl: fake.url, maxRetries: 0, timeoutInSeconds: 60 });

test('the SDK creates and updates tools and assistants on the fake, which keeps them', async () => {
  const vapi = client();
  const config = defaultBotConfig();
  const tool = await vapi.tools.create(config.tools[0] as never);
  expect(fake.tools.get((tool as { id: string }).id)).toMatchObject({ function: { name: 'list_doctors' } });
  await vapi.tools.update({
    id: (tool as { id: string }).id,
    body: { function: { name: 'list_doctors', description: 'changed' } },
  } as never);
  expect(fake.tools.get((tool as { id: string }).id)!.function.description).toBe('changed');
  const asst = await vapi.assistants.create({
    ...(config.assistant as object),
    model: { provider: 'openai', model: 'gpt-4o', toolIds: [(tool as { id: string }).id] },
  } as never);
  expect(fake.assistants.get(asst.id)!.model.toolIds).toEqual([(tool as { id: string }).id]);
  expect(fake.requests.map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
    'POST /tool 201',
    `PATCH /tool/${(tool as { id: string }).id} 200`,
    'POST /assistant 201',
  ]);
});

test('a bad key gets 401 and a body the spec rejects gets 400, both as VapiError', async () => {
  const denied = (await client('wrong')
    .assistants.list()
    .catch((e: unknown) => e)) as VapiError;
  expect(denied).toBeInstanceOf(VapiError);
  expect(denied.statusCode).toBe(401);
  const bad = (await client()
    .assistants.create({ voice: { provider: 'nope', voiceId: 'x' } } as never)
    .catch((e: unknown) => e)) as VapiError;
  expect(bad.statusCode).toBe(400);
  expect(JSON.stringify(bad.body)).toMatch(/voice/);
});

test('verify() fails when an expected request never came, and passes once it did', async () => {
  const fake = await startFakeVapi();
  try {
    fake.expect('GET', '/assistant');
    expect(() => fake.verify()).toThrow('fake Vapi: expected but never received: GET /assistant ×1');
    await fetch(`${fake.url}/assistant`, { headers: { authorization: `Bearer ${fake.token}` } });
    expect(() => fake.verify()).not.toThrow();
  } finally {
    await fake.close();
  }
});
