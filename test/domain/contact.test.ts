import { expect, test } from 'vitest';
import { toE164 } from '../../src/domain/contact.js';

test.each([
  ['98123 45678', 'IN', '+919812345678'],
  ['+91-98123-45678', 'US', '+919812345678'],
  ['(415) 555-2671', 'US', '+14155552671'],
  ['080 4123 4567', 'IN', '+918041234567'],
  ['5555555555', 'IN', undefined],
  ['12345', 'IN', undefined],
  ['not a number', 'IN', undefined],
])('toE164(%s, %s) is %s, by the full metadata', (raw, region, e164) => {
  expect(toE164(raw, region)).toBe(e164);
});

test("redactContacts takes emails and phone numbers out of a server's refusal, and leaves its codes", async () => {
  const { redactContacts } = await import('../../src/domain/outbox.js');
  expect(redactContacts('550 5.1.1 <ravi.kumar+x@mail.example.co.in>: Recipient address rejected')).toBe(
    '550 5.1.1 <[email]>: Recipient address rejected',
  );
  expect(redactContacts("21211: The 'To' number +91 98123-45678 is not a valid phone number")).toBe(
    "21211: The 'To' number [phone] is not a valid phone number",
  );
  expect(redactContacts('to 919812345678 failed (HTTP 400) at 2026-12-01')).toBe(
    'to [phone] failed (HTTP 400) at 2026-12-01',
  );
});
