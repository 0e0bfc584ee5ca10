import { beforeEach, describe, expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';
import { FREE_VAPI_NUMBER } from '../support/fake-vapi.js';

const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: 'phone-hook-secret-0123456789' });
beforeEach(async () => {
  await run(['seed']);
  ctx.fake.phoneNumbers.set(FREE_VAPI_NUMBER.id, { ...FREE_VAPI_NUMBER, assistantId: 'asst_other' });
});

describe('receptionist phone-numbers list', () => {
  test('shows id, number, provider, what each points at and where it can call; --json for scripts', async () => {
    const table = await run(['phone-numbers', 'list']);
    expect(table.code, table.err).toBe(0);
    expect(table.out).toMatch(/│ pn_fake +│ \+918041234567 │ twilio +│ +│ nothing +│ any country +│/);
    expect(table.out).toMatch(
      /│ pn_free +│ \+14155550100 +│ vapi +│ US line │ assistant asst_other +│ US only \(free Vapi number\), not IN │/,
    );
    expect(table.err).toContain('A free Vapi number calls US numbers only');

    await run(['sync', '--server-url', 'https://clinic.example.com', '--phone-number', 'pn_fake']);
    const json = JSON.parse((await run(['phone-numbers', 'list', '--json'])).out);
    expect(json).toEqual([
      {
        id: 'pn_fake',
        number: '+918041234567',
        provider: 'twilio',
        pointsAt: 'server https://clinic.example.com/webhook (assistant-request)',
        serverUrl: 'https://clinic.example.com/webhook',
        credentialId: [...ctx.fake.credentials.keys()][0],
        callsOut: 'any',
        clinicRegion: 'IN',
        canCallClinic: true,
      },
      {
        id: 'pn_free',
        number: '+14155550100',
        provider: 'vapi',
        name: 'US line',
        pointsAt: 'assistant asst_other',
        callsOut: 'US',
        clinicRegion: 'IN',
        canCallClinic: false,
      },
    ]);
  });

  test('without a key it exits 5 with the fix', async () => {
    const r = await run(['phone-numbers', 'list'], { env: { VAPI_API_KEY: '' } });
    expect(r.code).toBe(5);
    expect(r.err).toContain('No Vapi API key.');
  });
});
