import { expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';

const { run } = commandEnv({ VAPI_SERVER_SECRET: 'email-secret-0123456789abcdef' });

test('serve: SMTP_URL without SMTP_FROM, or not an smtp URL, exits 2 before anything starts', async () => {
  const noFrom = await run(['serve', '--port', '0'], { env: { SMTP_URL: 'smtp://desk:pw@127.0.0.1:2525' } });
  expect(noFrom.code).toBe(2);
  expect(noFrom.err).toContain('Error: SMTP_URL is set (from $SMTP_URL) but SMTP_FROM is not: emails need a sender.');
  const http = await run(['serve', '--port', '0'], {
    env: { SMTP_URL: 'https://mail.example.com', SMTP_FROM: 'x@y.z' },
  });
  expect(http.code).toBe(2);
  expect(http.err).toContain('Error: Invalid SMTP_URL (from $SMTP_URL): https: is not smtp: or smtps:.');
  expect(http.err).not.toContain('pw');
});

test('serve: TWILIO_ACCOUNT_SID without a token exits 5, without a sender 2', async () => {
  const noToken = await run(['serve', '--port', '0'], { env: { TWILIO_ACCOUNT_SID: 'AC123' } });
  expect(noToken.code).toBe(5);
  expect(noToken.err).toContain('TWILIO_ACCOUNT_SID is set (from $TWILIO_ACCOUNT_SID) but TWILIO_AUTH_TOKEN is not.');
  const noSender = await run(['serve', '--port', '0'], {
    env: { TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 't' },
  });
  expect(noSender.code).toBe(2);
  expect(noSender.err).toContain('SMS need a sender');
  const badFrom = await run(['serve', '--port', '0'], {
    env: { TWILIO_ACCOUNT_SID: 'AC123', TWILIO_AUTH_TOKEN: 't', TWILIO_FROM: '4155550100' },
  });
  expect(badFrom.err).toContain('Invalid TWILIO_FROM "4155550100".');
});
