import { DateTime } from 'luxon';
import { afterEach, expect, test, vi } from 'vitest';
import { AppointmentBook } from '../../src/domain/appointments.js';
import { createSealer } from '../../src/domain/sealer.js';
import { generateSealingKeyPair } from '../../src/crypto/seal.js';
import type { ClinicSettings, Doctor } from '../../src/domain/clinic.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { tempDir } from '../support/store.js';

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
  const clinic: ClinicSettings = {
    name: 'c',
    timeZone: 'Asia/Kolkata',
    defaultRegion: 'IN',
    slotMinutes: 30,
    holdMinutes: 5,
    bookingHorizonDays: 60,
    locale: 'en-IN',
  };
  const doctor: Doctor = { _id: 'dr', name: 'Dr. X', specialty: 'general', weeklyHours: { mon: [['09:00', '17:00']] } };
  const book = new AppointmentBook(
    store,
    clinic,
    () => new Date('2026-11-21T04:30:00Z'),
    createSealer(generateSealingKeyPair('k1'), Buffer.alloc(32, 1)),
  );
  const at = (h: number) => DateTime.fromISO(`2026-11-23T${h}:00:00`, { zone: 'Asia/Kolkata' });
  const first = await book.hold(doctor, at(10), { sourceKey: 's1' });
  const second = await book.hold(doctor, at(11), { sourceKey: 's2' });
  expect([first, second].map((r) => r.ok && r.appointment.appointmentId)).toEqual(['TAKEN1', 'FRESH2']);
  await store.close();
});
