import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { seedStore } from '../../src/commands/seed/seed.js';
import type { Collection, CollectionName, Doc, Store } from '../../src/store/types.js';
import { AppointmentBook } from '../../src/domain/appointments.js';
import type { ClinicSettings, Doctor } from '../../src/domain/clinic.js';
import { createSealer, type FieldSealer } from '../../src/domain/sealer.js';
import { generateSealingKeyPair } from '../../src/crypto/seal.js';

/** A temp directory removed by the returned cleanup. */
export function tempDir(prefix = 'receptionist-test-'): { dir: string; cleanup: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A seeded local store in a temp dir. */
export async function seededStore(dir: string): Promise<Store> {
  const store = await openSqliteStore({ dir, busyTimeoutMs: 300 });
  await seedStore(store, { force: false });
  return store;
}

/**
 * The bytes at rest of an embedded store (the SQLite file and its write-ahead log) as text, for
 * canaries ("no plaintext number anywhere") and for spotting a stored value.
 */
export function storeText(dataDir: string): string {
  return ['receptionist.db', 'receptionist.db-wal']
    .map((f) => path.join(dataDir, f))
    .filter((f) => fs.existsSync(f))
    .map((f) => fs.readFileSync(f).toString('latin1'))
    .join('');
}

/** A doctor who works Mondays 09:00–17:00, for appointment-book tests without seed data. */
export const MONDAY_DOCTOR: Doctor = {
  _id: 'dr',
  name: 'Dr. X',
  specialty: 'general',
  weeklyHours: { mon: [['09:00', '17:00']] },
};

/**
 * An appointment book on `store` for a minimal clinic in Asia/Kolkata (30-minute slots, 5-minute
 * holds), its clock at Saturday 21 November 2026, 10:00 there, sealing with `sealer` (default: to a
 * throwaway key).
 */
export function testAppointmentBook(store: Store, sealer?: FieldSealer): AppointmentBook {
  const clinic: ClinicSettings = {
    name: 'c',
    timeZone: 'Asia/Kolkata',
    defaultRegion: 'IN',
    slotMinutes: 30,
    holdMinutes: 5,
    bookingHorizonDays: 60,
    locale: 'en-IN',
  };
  return new AppointmentBook(
    store,
    clinic,
    () => new Date('2026-11-21T04:30:00Z'),
    sealer ?? createSealer(generateSealingKeyPair('k1'), Buffer.alloc(32, 1)),
  );
}

/**
 * A collection without its record type, for tests of the store itself and of what malformed or
 * foreign records do: the documents they write are deliberately not the domain's.
 */
export function rawCollection(store: Store, name: CollectionName): Collection<Doc> {
  return store.collection<CollectionName>(name);
}
