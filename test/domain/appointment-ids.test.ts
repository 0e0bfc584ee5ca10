import { DateTime } from 'luxon';
import { afterEach, expect, test, vi } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { MONDAY_DOCTOR, tempDir, testAppointmentBook } from '../support/store.js';

// The id generator draws a taken id first: the booking must draw again, not fail.
const { drawn } = vi.hoisted(() => ({ drawn: ['TAKEN1', 'TAKEN1', 'FRESH2'] }));
vi.mock('../../src/domain/ids.js', async (orig) => ({
  ...(await orig<typeof import('../../src/domain/ids.js')>()),
  speakableId: () => drawn.shift() ?? 'LAST99',
}));

const tmp = tempDir();
afterEach(() => tmp.cleanup());

test('a new appointment whose id is taken draws a fresh one instead of failing', async () => {
  const store = await openSqliteStore({ dir: tmp.dir });
  const book = testAppointmentBook(store);
  const doctor = MONDAY_DOCTOR;
  const at = (h: number) => DateTime.fromISO(`2026-11-23T${h}:00:00`, { zone: 'Asia/Kolkata' });
  const first = await book.hold(doctor, at(10), { sourceKey: 's1' });
  const second = await book.hold(doctor, at(11), { sourceKey: 's2' });
  expect([first, second].map((r) => r.ok && r.appointment.appointmentId)).toEqual(['TAKEN1', 'FRESH2']);
  await store.close();
});
