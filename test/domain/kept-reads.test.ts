import { DateTime } from 'luxon';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { AppointmentBook } from '../../src/domain/appointments.js';
import type { Doctor } from '../../src/domain/clinic.js';
import { clinicDoctors } from '../../src/domain/doctors.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Store } from '../../src/store/types.js';
import { MONDAY_DOCTOR, tempDir, testAppointmentBook } from '../support/store.js';

// Issue 28: the taken slots and the doctors are read once and kept while the store says nothing
// changed (Collection.changes). Every way a slot can change must still be seen by the next search.

let tmp: ReturnType<typeof tempDir>;
let store: Store;
let other: Store;
beforeEach(async () => {
  tmp = tempDir();
  store = await openSqliteStore({ dir: tmp.dir });
  // Another connection to the same file: what another process's writes look like to this one.
  other = await openSqliteStore({ dir: tmp.dir });
});
afterEach(async () => {
  await store.close();
  await other.close();
  tmp.cleanup();
});

const DR_B: Doctor = { ...MONDAY_DOCTOR, _id: 'dr-b', name: 'Dr. B' };
// testAppointmentBook's clock: Saturday 21 November 2026, 10:00 in Asia/Kolkata; Monday is the 23rd.
const monday = DateTime.fromISO('2026-11-23T00:00', { zone: 'Asia/Kolkata' });
const at = (hhmm: string) => DateTime.fromISO(`2026-11-23T${hhmm}`, { zone: 'Asia/Kolkata' });

/** The free times ("09:00 dr") of both doctors that Monday, as a search answers them now. */
async function free(book: AppointmentBook): Promise<string[]> {
  return (await book.freeSlotsOnDay([MONDAY_DOCTOR, DR_B], monday)).map(
    (s) => `${s.start.toFormat('HH:mm')} ${s.doctor._id}`,
  );
}

test("a slot taken or given back between two searches is seen by the next: this process's writes, another process's, a rollback, a move, a hold running out", async () => {
  let clock = new Date('2026-11-21T04:30:00Z');
  const base = testAppointmentBook(store);
  const book = new AppointmentBook(store, base.clinic, () => clock, base.sealer);
  const elsewhere = testAppointmentBook(other);
  expect(await free(book)).toContain('09:00 dr');

  // This process holds 09:00, then books it.
  const held = await book.hold(MONDAY_DOCTOR, at('09:00'), { holdOwner: 'call-1' });
  if (!held.ok) throw new Error('the hold failed');
  expect(await free(book)).not.toContain('09:00 dr');
  expect(await book.confirm(held.appointment, {})).toBe(true);
  expect(await free(book)).not.toContain('09:00 dr');

  // Another process holds 09:30 of Dr. X.
  expect((await elsewhere.hold(MONDAY_DOCTOR, at('09:30'), { holdOwner: 'call-2' })).ok).toBe(true);
  expect(await free(book)).not.toContain('09:30 dr');

  // A step that holds 10:00 and searches (seeing its own hold) is rolled back: 10:00 is free again.
  await expect(
    store.atomically(async () => {
      await book.hold(MONDAY_DOCTOR, at('10:00'), { holdOwner: 'call-3' });
      expect(await free(book)).not.toContain('10:00 dr');
      throw new Error('the step fails');
    }),
  ).rejects.toThrow('the step fails');
  expect(await free(book)).toContain('10:00 dr');

  // The 09:00 booking moves to Dr. B at 11:00: Dr. X's 09:00 is given back, Dr. B's 11:00 taken.
  const moved = await book.reschedule(held.appointment, DR_B, at('11:00'));
  expect(moved.ok).toBe(true);
  const now = await free(book);
  expect(now).toContain('09:00 dr');
  expect(now).not.toContain('11:00 dr-b');
  expect(now).toContain('11:00 dr');

  // A hold runs out (5 minutes): its slot is free at once, with nothing written.
  const hold = await book.hold(DR_B, at('12:00'), { holdOwner: 'call-4' });
  expect(hold.ok).toBe(true);
  expect(await free(book)).not.toContain('12:00 dr-b');
  clock = new Date(clock.getTime() + 5 * 60_000 + 1);
  expect(await free(book)).toContain('12:00 dr-b');
});

test('the nearest free times, searched outwards over days, skip a slot another process booked after the first search', async () => {
  const book = testAppointmentBook(store);
  const elsewhere = testAppointmentBook(other);
  const first = await book.nearestFree([MONDAY_DOCTOR], at('09:00'), 3);
  expect(first.map((s) => s.start.toFormat('ccc HH:mm'))).toEqual(['Mon 09:00', 'Mon 09:30', 'Mon 10:00']);
  expect((await elsewhere.hold(MONDAY_DOCTOR, at('09:00'), { holdOwner: 'call-9' })).ok).toBe(true);
  const second = await book.nearestFree([MONDAY_DOCTOR], at('09:00'), 3);
  expect(second.map((s) => s.start.toFormat('ccc HH:mm'))).toEqual(['Mon 09:30', 'Mon 10:00', 'Mon 10:30']);
});

test("the doctors are read again once a doctor or a holiday changes, in this process or another; the ones kept can't be changed by a caller", async () => {
  await store.collection('doctors').insertOne({ ...MONDAY_DOCTOR });
  const first = await clinicDoctors(store);
  expect(first.map((d) => d._id)).toEqual(['dr']);
  expect(Object.isFrozen(first[0])).toBe(true);
  // The array is the caller's own: changing it changes no other caller's list.
  first.pop();
  expect((await clinicDoctors(store)).map((d) => d._id)).toEqual(['dr']);

  await other.collection('doctors').insertOne({ ...DR_B });
  expect((await clinicDoctors(store)).map((d) => d._id)).toEqual(['dr-b', 'dr']);

  await store.collection('holidays').insertOne({ _id: 'h', name: 'Diwali', from: '2026-11-23', to: '2026-11-23' });
  const withHoliday = await clinicDoctors(store);
  expect(withHoliday.every((d) => d.leave?.some((l) => l.holiday === 'Diwali'))).toBe(true);
});

test("a day's free times kept from one search are not offered once they are past: the clock moves on, nothing is written", async () => {
  const base = testAppointmentBook(store);
  let clock = new Date('2026-11-22T17:30:00Z'); // Sunday 23:00 in Kolkata
  const book = new AppointmentBook(store, base.clinic, () => clock, base.sealer);
  expect((await free(book)).slice(0, 2)).toEqual(['09:00 dr', '09:00 dr-b']);
  clock = new Date('2026-11-23T03:45:00Z'); // Monday 09:15
  expect((await free(book)).slice(0, 2)).toEqual(['09:30 dr', '09:30 dr-b']);
  const nearest = await book.nearestFree([MONDAY_DOCTOR], at('09:00'), 2);
  expect(nearest.map((s) => s.start.toFormat('HH:mm'))).toEqual(['09:30', '10:00']);
});
