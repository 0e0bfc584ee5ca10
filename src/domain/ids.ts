import { randomInt } from 'node:crypto';

// No 0/O, 1/I/L, 5/S, 2/Z, 8/B: each character sounds and reads unlike the others.
const ALPHABET = 'ACDEFGHJKMNPQRTUVWXY34679';

/**
 * A random id of `length` unambiguous characters (25 symbols, ≈4.64 bits each) with an optional
 * prefix, e.g. "K7MHQPXY4": 9 characters are ≈41.8 bits, 6 only ≈27.9 (guessable).
 */
export function speakableId(length = 6, prefix = ''): string {
  let id = prefix;
  for (let i = 0; i < length; i++) id += ALPHABET[randomInt(ALPHABET.length)];
  return id;
}

/**
 * "K7MHQPXY4" → "K 7 M, H Q P, X Y 4": a voice reads it character by character, in groups of
 * three as people read numbers back; a prefix before "-" is a group of its own ("SV-K7MHQPXY4" →
 * "S V, K 7 M, H Q P, X Y 4"), and an id of up to 6 characters is not grouped ("K 7 M H Q P").
 */
export function spellOut(id: string): string {
  return id
    .split('-')
    .filter(Boolean)
    .map((part) => {
      const chars = part.split('');
      if (chars.length <= 6) return chars.join(' ');
      const groups: string[] = [];
      for (let i = 0; i < chars.length; i += 3) groups.push(chars.slice(i, i + 3).join(' '));
      return groups.join(', ');
    })
    .join(', ');
}

/** What a caller reads back ("k 7 m-h q p") → the stored form "K7MHQP" (or `prefix` + it). */
export function normaliseSpokenId(raw: string, prefix = ''): string {
  const compact = raw.toUpperCase().replace(/[^A-Z0-9]/g, '');
  const p = prefix.replace(/-/g, '');
  return p && compact.startsWith(p) ? prefix + compact.slice(p.length) : prefix + compact;
}
