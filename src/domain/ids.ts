import { randomInt } from 'node:crypto';

// No 0/O, 1/I/L, 5/S, 2/Z, 8/B: each character sounds and reads unlike the others.
const ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679';

/** A random id of `length` unambiguous characters with an optional prefix, e.g. "K7MHQP". */
export function speakableId(length = 6, prefix = ''): string {
  let id = prefix;
  for (let i = 0; i < length; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/** "K7MHQP" → "K 7 M H Q P", so a voice reads it character by character. */
export function spellOut(id: string): string {
  return id.replace(/-/g, '').split('').join(' ');
}

/** What a caller reads back ("k 7 m-h q p") → the stored form "K7MHQP" (or `prefix` + it). */
export function normaliseSpokenId(raw: string, prefix = ''): string {
  const compact = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const p = prefix.replace(/-/g, '');
  return p && compact.startsWith(p) ? prefix + compact.slice(p.length) : prefix + compact;
}
