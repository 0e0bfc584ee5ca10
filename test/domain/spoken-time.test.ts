import { describe, expect, test } from 'vitest';
import { resolveSpokenTime } from '../../src/domain/spoken-time.js';

// Saturday 21 November 2026, 10:00 in Asia/Kolkata; doctors open 09:00–18:00.
const NOW = new Date('2026-11-21T04:30:00Z');
const resolve = (text: string, zone = 'Asia/Kolkata') => {
  const r = resolveSpokenTime(text, NOW, zone, { from: 9 * 60, to: 18 * 60 });
  if (r.kind === 'exact') return r.start.toISO();
  if (r.kind === 'day') return `${r.day.toISODate()}${r.window ? ` ${r.window.label}` : ''}`;
  return `? ${r.question}`;
};

describe('spoken dates and times in the clinic zone', () => {
  test.each([
    ['Tuesday 1 December at 11am', '2026-12-01T11:00:00.000+05:30'],
    ['next Wednesday at 3pm', '2026-11-25T15:00:00.000+05:30'],
    ['tomorrow at noon', '2026-11-22T12:00:00.000+05:30'],
    ['day after tomorrow at 10', '2026-11-23T10:00:00.000+05:30'],
    ['at 5', '2026-11-21T17:00:00.000+05:30'],
    ['2pm', '2026-11-21T14:00:00.000+05:30'],
    ['the 3rd at 10am', '2026-12-03T10:00:00.000+05:30'],
    ['on the 25th at 3 in the afternoon', '2026-11-25T15:00:00.000+05:30'],
    ['this Saturday at 11am', '2026-11-21T11:00:00.000+05:30'],
    ['24th November 3:30 p.m.', '2026-11-24T15:30:00.000+05:30'],
    ['Friday 20 November at 3pm', '2026-11-20T15:00:00.000+05:30'],
  ])('"%s" is %s', (text, expected) => expect(resolve(text)).toBe(expected));

  test.each([
    ['tomorrow morning', '2026-11-22 morning'],
    ['Wednesday 25 November in the afternoon', '2026-11-25 afternoon'],
    ['Monday', '2026-11-23'],
  ])('"%s" is a day without a time: %s', (text, expected) => expect(resolve(text)).toBe(expected));

  test.each([
    ['next Monday at 2pm', '? Which Monday did you mean: Monday 23 November or Monday 30 November?'],
    ['Saturday at 11am', '? Do you mean today, or Saturday 28 November?'],
    ['Monday or Tuesday', '? Did you mean Monday 23 November or Tuesday 24 November?'],
    ['next week', '? Which day next week would suit you?'],
    ['tomorrow at 6', '? Did you mean 6 in the morning or 6 in the evening?'],
    ['Monday the 27th at 11am', '? 27 November 2026 is a Friday. Which day did you mean?'],
    [
      'whenever',
      '? Sorry, I didn\'t catch the date in "whenever". Which day would you like, for example Monday the 23rd?',
    ],
    ['', '? Which day and time would you like?'],
  ])('"%s" is a question: %s', (text, expected) => expect(resolve(text)).toBe(expected));

  test('the zone decides the day: 10:00 in Kolkata is still Friday in New York', () => {
    expect(resolve('tomorrow at 10am', 'America/New_York')).toBe('2026-11-21T10:00:00.000-05:00');
  });

  test('across a DST change the wall-clock time is kept', () => {
    const r = resolveSpokenTime('Sunday 29 March 2026 at 10am', new Date('2026-03-27T09:00:00Z'), 'Europe/London', {
      from: 540,
      to: 1080,
    });
    expect(r.kind === 'exact' && r.start.toISO()).toBe('2026-03-29T10:00:00.000+01:00');
  });
});
