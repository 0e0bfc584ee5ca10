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
