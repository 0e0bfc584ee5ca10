import { beforeEach, describe, expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';

const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: 'phone-hook-secret-0123456789' });
beforeEach(async () => {
  await run(['seed']);
  ctx.fake.phoneNumbers.set('pn_twilio', {
    id: 'pn_twilio',
    orgId: 'org_fake',
    provider: 'twilio',
    number: '+14155550100',
    twilioAccountSid: 'AC1',
    name: 'US line',
    assistantId: 'asst_other',
    createdAt: '2026-11-01T00:00:00Z',
    updatedAt: '2026-11-01T00:00:00Z',
  });
});

describe('receptionist phone-numbers list', () => {
  test('shows id, number, provider and what each points at; --json for scripts', async () => {
    const table = await run(['phone-numbers', 'list']);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(/│ pn_fake +│ \+918041234567 │ vapi +│ +│ nothing +│/);
    expect(table.out).toMatch(/│ pn_twilio +│ \+14155550100 +│ twilio +│ US line │ assistant asst_other +│/);

    await run(['sync', '--server-url', 'https://clinic.example.com', '--phone-number', 'pn_fake']);
    const json = JSON.parse((await run(['phone-numbers', 'list', '--json'])).out);
    expect(json).toEqual([
      {
        id: 'pn_fake',
        number: '+918041234567',
        provider: 'vapi',
        pointsAt: 'server https://clinic.example.com/webhook (assistant-request)',
        serverUrl: 'https://clinic.example.com/webhook',
        credentialId: [...ctx.fake.credentials.keys()][0],
      },
      {
        id: 'pn_twilio',
        number: '+14155550100',
        provider: 'twilio',
        name: 'US line',
        pointsAt: 'assistant asst_other',
      },
    ]);
  });

  test('without a key it exits 5 with the fix', async () => {
    const r = await run(['phone-numbers', 'list'], { env: { VAPI_API_KEY: '' } });
    expect(r.code).toBe(5);
    expect(r.err).toContain('No Vapi API key.');
  });
});
