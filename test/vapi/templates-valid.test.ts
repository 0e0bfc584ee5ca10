import { expect, test } from 'vitest';
import { defaultBotConfig } from '../../src/commands/seed/seed.js';
import { describeErrors, requestValidator } from '../support/vapi-spec.js';
import { startTestServer } from '../support/app.js';

test("the seeded assistant is a valid CreateAssistantDTO by Vapi's published spec", () => {
  const validate = requestValidator('post', '/assistant');
  const ok = validate(defaultBotConfig().assistant);
  expect(ok, describeErrors(validate)).toBe(true);
});

test('every seeded tool is a valid POST /tool body, and bad values are rejected', () => {
  const validate = requestValidator('post', '/tool');
  for (const tool of defaultBotConfig().tools)
    expect(validate(tool), `${tool.function.name}: ${describeErrors(validate)}`).toBe(true);
  expect(validate({ type: 'function', function: { name: 'bad name!' } })).toBe(false);
  expect(requestValidator('post', '/assistant')({ voice: { provider: 'nope', voiceId: 'x' } })).toBe(false);
});

test('the inline assistant that assistant-request returns is a valid CreateAssistantDTO', async () => {
  const s = await startTestServer();
  try {
    const res = await s.send({ type: 'assistant-request', call: { id: 'c1' }, customer: { number: '+14155550100' } });
    const validate = requestValidator('post', '/assistant');
    expect(validate(res.body.assistant), describeErrors(validate)).toBe(true);
  } finally {
    await s.close();
  }
});
