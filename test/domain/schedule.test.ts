import { DateTime } from 'luxon';
import { expect, test } from 'vitest';
import { slotKey, slotsOnDay } from '../../src/domain/schedule.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { MONDAY_DOCTOR, rawCollection, tempDir, testAppointmentBook } from '../support/store.js';

test('slotKey is the doctor and the UTC ISO start, in any zone', () => {
  for (const zone of ['Asia/Kolkata', 'America/New_York', 'Australia/Lord_Howe', 'UTC']) {
    const start = DateTime.fromISO('2026-03-08T02:30:00', { zone });
    expect(slotKey('d1', start)).toBe(`d1|${start.toUTC().toISO()}`);
  }
});

test('slotsOnDay: the same slots for the same day asked again, other ones for another zone or slot length', () => {
  const day = DateTime.fromISO('2026-11-23', { zone: 'Asia/Kolkata' });
  const first = slotsOnDay(MONDAY_DOCTOR, day, 30);
  expect(first.length).toBeGreaterThan(0);
  expect(first[0]!.toISO()).toMatch(/^2026-11-23T\d\d:\d\d:00\.000\+05:30$/);
  expect(slotsOnDay(MONDAY_DOCTOR, day.set({ hour: 15 }), 30)).toBe(first);
  const inLondon = slotsOnDay(MONDAY_DOCTOR, DateTime.fromISO('2026-11-23', { zone: 'Europe/London' }), 30);
  expect(inLondon[0]!.toISO()).toMatch(/\+00:00$/);
  expect(slotsOnDay(MONDAY_DOCTOR, day, 60).length).toBeLessThan(first.length);
});

test('nearestFree: around a target inside the horizon, and from the last bookable day for one past it', async () => {
  const tmp = tempDir();
  const store = await openSqliteStore({ dir: tmp.dir });
  try {
    const book = testAppointmentBook(store);
    // The clock: Saturday 21 November 2026; the horizon: 60 days, to 20 January 2027; the doctor sees Mondays.
    const near = await book.nearestFree(
      [MONDAY_DOCTOR],
      DateTime.fromISO('2026-11-30T10:00', { zone: 'Asia/Kolkata' }),
    );
    expect(near.map((s) => s.start.toISO())).toEqual([
      '2026-11-30T09:30:00.000+05:30',
      '2026-11-30T10:00:00.000+05:30',
      '2026-11-30T10:30:00.000+05:30',
    ]);
    const past = await book.nearestFree(
      [MONDAY_DOCTOR],
      DateTime.fromISO('2027-03-01T10:00', { zone: 'Asia/Kolkata' }),
    );
    expect(past.map((s) => s.start.toISODate())).toEqual(['2027-01-18', '2027-01-18', '2027-01-18']);
  } finally {
    await store.close();
    tmp.cleanup();
  }
});

test('nearestFree: with the weeks around the target booked solid, the answer comes from weeks away (the window widens)', async () => {
  const tmp = tempDir();
  const store = await openSqliteStore({ dir: tmp.dir });
  try {
    const book = testAppointmentBook(store);
    const col = rawCollection(store, 'appointments');
    let n = 0;
    // Every slot of the four Mondays around Monday 30 November, and a hold that has run out on 21 December.
    for (const day of ['2026-11-23', '2026-11-30', '2026-12-07', '2026-12-14'])
      for (const start of slotsOnDay(MONDAY_DOCTOR, DateTime.fromISO(day, { zone: 'Asia/Kolkata' }), 30))
        await col.insertOne({ _id: `a${++n}`, status: 'confirmed', activeSlot: slotKey(MONDAY_DOCTOR._id, start) });
    const dec21 = DateTime.fromISO('2026-12-21T09:00', { zone: 'Asia/Kolkata' });
    await col.insertOne({
      _id: 'held',
      status: 'held',
      holdExpiresAt: 0,
      activeSlot: slotKey(MONDAY_DOCTOR._id, dec21),
    });
    const near = await book.nearestFree(
      [MONDAY_DOCTOR],
      DateTime.fromISO('2026-11-30T10:00', { zone: 'Asia/Kolkata' }),
    );
    expect(near.map((s) => s.start.toISO())).toEqual([
      '2026-12-21T09:00:00.000+05:30',
      '2026-12-21T09:30:00.000+05:30',
      '2026-12-21T10:00:00.000+05:30',
    ]);
  } finally {
    await store.close();
    tmp.cleanup();
  }
});
