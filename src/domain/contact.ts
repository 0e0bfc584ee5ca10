// The full ("max") metadata: the default build accepts numbers such as 5555555555 that no carrier assigns.
import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';

/**
 * Normalises a phone number as transcribed ("98123 45678", "+91-98123-45678") to E.164,
 * reading numbers without a country code in `defaultRegion` (ISO 3166-1 alpha-2).
 * Returns undefined when it is not a valid number.
 */
export function toE164(raw: string, defaultRegion: string): string | undefined {
  const digits = raw.replace(/[^\d+]/g, '');
  if (digits.replace(/\D/g, '').length < 6) return undefined;
  const parsed = parsePhoneNumberFromString(digits, defaultRegion.toUpperCase() as CountryCode);
  return parsed?.isValid() ? parsed.number : undefined;
}

const SPOKEN_EMAIL: Array<[RegExp, string]> = [
  [/\s+at the rate( of)?\s+/g, '@'],
  [/\s+at\s+/g, '@'],
  [/\s+dot\s+/g, '.'],
  [/\s+(underscore|under score)\s+/g, '_'],
  [/\s+(dash|hyphen|minus)\s+/g, '-'],
  [/\s+/g, ''],
];

/**
 * Turns an email address as spelled on the phone ("asha dot verma at gmail dot com",
 * "a s h a at example.com") into an address. Returns undefined when the result is not one.
 */
export function normaliseSpokenEmail(raw: string): string | undefined {
  let s = ` ${raw.toLowerCase().trim()} `;
  for (const [re, to] of SPOKEN_EMAIL) s = s.replace(re, to);
  return /^[a-z0-9._%+-]+@[a-z0-9-]+(\.[a-z0-9-]+)*\.[a-z]{2,}$/.test(s) ? s : undefined;
}
