import { expect, test } from 'vitest';
import { normaliseSpokenId, speakableId, spellOut } from '../../src/domain/ids.js';
import { blindNameIndex, normaliseName } from '../../src/crypto/blind-index.js';

test('spellOut reads long ids in groups of three and a prefix on its own', () => {
  expect(spellOut('K7MHQPXY4')).toBe('K 7 M, H Q P, X Y 4');
  expect(spellOut('SV-K7MHQPXY4')).toBe('S V, K 7 M, H Q P, X Y 4');
  expect(spellOut('K7MHQP')).toBe('K 7 M H Q P');
  // What the caller reads back, commas and all, is the stored id again.
  expect(normaliseSpokenId('k 7 m, h q p, x y 4')).toBe('K7MHQPXY4');
});

test('speakableId draws only from the unambiguous alphabet', () => {
  const ids = Array.from({ length: 200 }, () => speakableId(9));
  expect(ids.every((id) => /^[ACDEFGHJKMNPQRTUVWXY34679]{9}$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(200);
});

test('names compare without case, titles, accents, punctuation or word order', () => {
  expect(normaliseName('Dr. José  Kumar')).toBe('jose kumar');
  expect(normaliseName('KUMAR, jose')).toBe('jose kumar');
  expect(normaliseName('Mr.')).toBe('');
  const key = Buffer.alloc(32, 1);
  expect(blindNameIndex(key, 'Ravi Kumar')).toBe(blindNameIndex(key, 'mr kumar ravi'));
  expect(blindNameIndex(key, 'Ravi Kumar')).not.toBe(blindNameIndex(key, 'Ravi Kumari'));
});
