import { describe, expect, test } from 'vitest';
import { parseLimit, parseSince } from '../../../src/commands/shared/parse.js';

const NOW = new Date('2026-11-21T04:30:00.000Z');

describe('--since and --limit', () => {
  test.each([
    ['30m', 'UTC', '2026-11-21T04:00:00.000Z'],
    ['24h', 'UTC', '2026-11-20T04:30:00.000Z'],
    ['7d', 'UTC', '2026-11-14T04:30:00.000Z'],
    ['2026-11-01', 'Asia/Kolkata', '2026-10-31T18:30:00.000Z'],
    ['2026-11-01T09:00', 'Asia/Kolkata', '2026-11-01T03:30:00.000Z'],
    ['2026-11-01T09:00Z', 'Asia/Kolkata', '2026-11-01T09:00:00.000Z'],
  ])('--since %s (%s) is %s', (flag, zone, iso) => {
    expect(parseSince(flag, NOW, zone)!.toISOString()).toBe(iso);
  });

  test.each([
    ['yesterday', /^Invalid --since "yesterday"$/],
    ['Nov 1 2026', /^Invalid --since "Nov 1 2026"$/],
    ['2026-13-01', /^Invalid --since "2026-13-01"$/],
    ['2026-12-24', /^--since 2026-12-24 is in the future \(read in UTC\)\.$/],
  ])('--since %s is refused', (flag, message) => {
    expect(() => parseSince(flag, NOW)).toThrow(message);
  });

  test('--limit is a whole number of at least 1', () => {
    expect(parseLimit('20')).toBe(20);
    expect(parseLimit(undefined)).toBeUndefined();
    for (const bad of ['0', '-1', '2.5', 'ten']) expect(() => parseLimit(bad)).toThrow(/^Invalid --limit/);
  });
});
