import { expect, test } from 'vitest';
import fc from 'fast-check';
import { DateTime } from 'luxon';
import '../../src/domain/zone-offsets.js';

// The remembered offsets (src/domain/zone-offsets.ts) are luxon's own: checked against Intl directly,
// minute by minute across transitions (a whole hour, half an hour in Lord Howe, 45 minutes in the
// Chatham Islands) and at random instants.

/** A zone's offset at `ts` in minutes, from Intl alone. */
function intlOffset(zone: string, ts: number): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ts));
  const n = (t: string) => Number(parts.find((p) => p.type === t)!.value);
  const asUtc = Date.UTC(n('year'), n('month') - 1, n('day'), n('hour'), n('minute'), n('second'));
  return Math.round((asUtc - Math.floor(ts / 1000) * 1000) / 60_000);
}

const ZONES = ['Asia/Kolkata', 'America/New_York', 'Europe/London', 'Australia/Lord_Howe', 'Pacific/Chatham'];
const TRANSITIONS: Array<[string, string]> = [
  ['America/New_York', '2026-03-08T07:00:00Z'],
  ['America/New_York', '2026-11-01T06:00:00Z'],
  ['Europe/London', '2026-03-29T01:00:00Z'],
  ['Australia/Lord_Howe', '2026-04-04T15:00:00Z'],
  ['Australia/Lord_Howe', '2026-10-03T15:30:00Z'],
  ['Pacific/Chatham', '2026-04-04T14:00:00Z'],
];

test('minute by minute across transitions, the offsets are those Intl gives', () => {
  for (const [zone, at] of TRANSITIONS) {
    const t0 = Date.parse(at);
    for (let ts = t0 - 3 * 3_600_000; ts <= t0 + 3 * 3_600_000; ts += 60_000 + 7_000)
      expect(DateTime.fromMillis(ts, { zone }).offset, `${zone} ${new Date(ts).toISOString()}`).toBe(
        intlOffset(zone, ts),
      );
  }
});

test('at random instants of 1990–2090, in every zone', () => {
  fc.assert(
    fc.property(fc.integer({ min: 631_152_000_000, max: 3_786_912_000_000 }), fc.constantFrom(...ZONES), (ts, zone) => {
      expect(DateTime.fromMillis(ts, { zone }).offset).toBe(intlOffset(zone, ts));
    }),
    { numRuns: 2_000 },
  );
});

test('local times in a gap and an overlap resolve as unpatched luxon resolves them', () => {
  // Unpatched luxon 3.7's answers: 02:30 on 8 March 2026 does not exist in New York (moved on),
  // 01:30 on 1 November happens twice (the later); Lord Howe's half-hour shifts likewise.
  const at = (iso: string, zone: string) => DateTime.fromISO(iso, { zone }).toISO();
  expect(at('2026-03-08T02:30', 'America/New_York')).toBe('2026-03-08T03:30:00.000-04:00');
  expect(at('2026-11-01T01:30', 'America/New_York')).toBe('2026-11-01T01:30:00.000-05:00');
  expect(at('2026-10-04T02:15', 'Australia/Lord_Howe')).toBe('2026-10-04T02:45:00.000+11:00');
  expect(at('2026-04-05T01:45', 'Australia/Lord_Howe')).toBe('2026-04-05T01:45:00.000+11:00');
});
