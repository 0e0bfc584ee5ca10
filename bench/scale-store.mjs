// The store of a clinic's real volume, shared by the benchmarks: BENCH_CALLS call logs (default
// 1,000,000; built by store-scale.mjs) and BENCH_APPOINTMENTS appointments (default 100,000),
// made by the product's own code and cached in bench/.cache between runs.
import fs from 'node:fs';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { DatabaseSync } from 'node:sqlite';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const dist = (p) => import(path.join(root, 'dist', p));
export const CALLS = Number(process.env.BENCH_CALLS ?? 1_000_000);
export const APPOINTMENTS = Number(process.env.BENCH_APPOINTMENTS ?? 100_000);
export const cacheDir = path.join(root, 'bench', '.cache', `store-${CALLS}-v3`);
export const BLIND_KEY = Buffer.alloc(32, 9);

/**
 * Adds `APPOINTMENTS` confirmed appointments to the store in `dataDir`, once (marked by
 * `appointments-<n>` in the cache folder): the seeded doctors' real slots, newest first from the
 * end of the booking horizon, every other future slot left free (the future a caller asks about
 * is half booked), the rest in the past. Each document is what `hold` and `confirm` write:
 * sealed email, phone and reason, the phone's blind index, an active slot.
 */
/** The 50,000 callers of the scale store: `+9198` and eight digits from 10,000,000. */
export const CALLERS = Array.from({ length: 50_000 }, (_, k) => `+9198${String(10_000_000 + k).padStart(8, '0')}`);

/**
 * `sealer` with the callers' blind indexes stretched once each (on the thread pool, 2,000 at a
 * time) and remembered for the build: the product remembers 20,000 and the build cycles through
 * 50,000, which would stretch each number 20 times over (the index itself is the product's).
 */
export async function withCallerIndexes(sealer) {
  const memo = new Map();
  for (let i = 0; i < CALLERS.length; i += 2_000) {
    const chunk = CALLERS.slice(i, i + 2_000);
    await sealer.prepare({ phones: chunk });
    for (const n of chunk) memo.set(n, sealer.index(n));
  }
  return { ...sealer, index: (n) => memo.get(n) ?? sealer.index(n) };
}

export async function addAppointments(dataDir, marker) {
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8'));
  const { DateTime } = await import('luxon');
  const { openSqliteStore } = await dist('store/sqlite/index.js');
  const { createSealer } = await dist('domain/sealer.js');
  const { activeSealingKey } = await dist('domain/keyring.js');
  const { loadBotConfig } = await dist('domain/clinic.js');
  const { sealAppointmentFields } = await dist('domain/appointments.js');
  const { slotKey, slotsOnDay } = await dist('domain/schedule.js');
  const { speakableId } = await dist('domain/ids.js');
  const { APPOINTMENT_ID_LENGTH } = await dist('domain/appointments.js');
  const store = await openSqliteStore({ dir: dataDir });
  const sealer = await withCallerIndexes(createSealer(await activeSealingKey(store), BLIND_KEY));
  const config = await loadBotConfig(store.collection('bot_configs'));
  const doctors = await store.collection('doctors').find({});
  await store.close();
  const zone = config.clinic.timeZone;
  const t0 = performance.now();
  const db = new DatabaseSync(path.join(dataDir, 'receptionist.db'));
  const insert = db.prepare('INSERT INTO c_appointments (id, doc) VALUES (?, ?)');
  const exists = db.prepare('SELECT 1 FROM c_appointments WHERE id = ?');
  const now = DateTime.now().setZone(zone);
  let day = now.plus({ days: config.clinic.bookingHorizonDays }).startOf('day');
  let made = 0;
  let future = 0;
  // One transaction: a build that fails leaves no half of it behind.
  db.exec('BEGIN');
  while (made < APPOINTMENTS) {
    for (const doctor of doctors) {
      for (const [i, start] of slotsOnDay(doctor, day, config.clinic.slotMinutes).entries()) {
        if (made >= APPOINTMENTS) break;
        if (start > now && i % 2) continue;
        if (start > now) future++;
        // Drawn again when taken, as AppointmentBook.hold does.
        let id = speakableId(APPOINTMENT_ID_LENGTH);
        while (exists.get(id)) id = speakableId(APPOINTMENT_ID_LENGTH);
        const phone = CALLERS[made % CALLERS.length];
        const doc = {
          appointmentId: id,
          status: 'confirmed',
          doctorId: doctor._id,
          doctorName: doctor.name,
          specialty: doctor.specialty,
          start: start.toUTC().toISO(),
          startMs: start.toMillis(),
          activeSlot: slotKey(doctor._id, start),
          createdAt: start.minus({ days: 3 }).toUTC().toISO(),
          confirmedAt: start.minus({ days: 3 }).toUTC().toISO(),
          callId: `call_appt_${made}`,
          sourceKey: `call_appt_${made}:${randomBytes(6).toString('hex')}`,
          patientName: `Patient ${made % 50_000}`,
          ...sealAppointmentFields(
            { email: `patient${made % 50_000}@example.com`, phone, reason: 'follow-up visit' },
            id,
            sealer,
          ),
          rootId: id,
        };
        insert.run(id, JSON.stringify(doc));
        made++;
      }
    }
    day = day.minus({ days: 1 });
  }
  db.exec('COMMIT');
  db.close();
  const built = { appointments: made, future, seconds: (performance.now() - t0) / 1000, from: day.toISODate() };
  fs.writeFileSync(marker, JSON.stringify(built));
  return built;
}
