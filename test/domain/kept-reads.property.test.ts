import fc from 'fast-check';
import { DateTime } from 'luxon';
import { expect, test } from 'vitest';
import { AppointmentBook, type Appointment } from '../../src/domain/appointments.js';
import type { Doctor } from '../../src/domain/clinic.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { MONDAY_DOCTOR, tempDir, testAppointmentBook } from '../support/store.js';

// Issue 28: whatever this process and another one do to a day's slots, in any order, a search
// made through the kept reads (TakenTimes, the kept free starts) answers what a plain read of every
// appointment says at that moment.

const DOCTORS: Doctor[] = [MONDAY_DOCTOR, { ...MONDAY_DOCTOR, _id: 'dr-b', name: 'Dr. B' }];
const monday = DateTime.fromISO('2026-11-23T00:00', { zone: 'Asia/Kolkata' });
const slot = (i: number) => monday.set({ hour: 9 }).plus({ minutes: 30 * i });

type Op =
  | { kind: 'hold'; here: boolean; doctor: number; slot: number }
  | { kind: 'confirm' | 'release' | 'cancel'; pick: number }
  | { kind: 'move'; pick: number; doctor: number; slot: number }
  | { kind: 'rolled-back-hold'; doctor: number; slot: number }
  | { kind: 'tick'; minutes: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('hold' as const), here: fc.boolean(), doctor: fc.nat(1), slot: fc.nat(15) }),
  fc.record({ kind: fc.constantFrom('confirm' as const, 'release' as const, 'cancel' as const), pick: fc.nat(50) }),
  fc.record({ kind: fc.constant('move' as const), pick: fc.nat(50), doctor: fc.nat(1), slot: fc.nat(15) }),
  fc.record({ kind: fc.constant('rolled-back-hold' as const), doctor: fc.nat(1), slot: fc.nat(15) }),
  fc.record({ kind: fc.constant('tick' as const), minutes: fc.integer({ min: 1, max: 8 }) }),
);

test('kept reads answer as a plain read does, after any sequence of holds, bookings, moves, cancellations, rollbacks and expiries from two processes', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 30 }), async (ops) => {
      const tmp = tempDir();
      const store = await openSqliteStore({ dir: tmp.dir });
      const other = await openSqliteStore({ dir: tmp.dir });
      try {
        let clock = new Date('2026-11-21T04:30:00Z');
        const base = testAppointmentBook(store);
        const here = new AppointmentBook(store, base.clinic, () => clock, base.sealer);
        const there = new AppointmentBook(other, base.clinic, () => clock, base.sealer);
        const made: Appointment[] = [];
        const expected = async () => {
          // Every appointment, read through the other connection without any kept read.
          const all = await other.collection('appointments').find({});
          const nowMs = clock.getTime();
          const taken = new Set(
            all
              .filter((a) => a.activeSlot && (a.status !== 'held' || (a.holdExpiresAt ?? -Infinity) > nowMs))
              .map((a) => a.activeSlot!),
          );
          return DOCTORS.flatMap((d) =>
            Array.from({ length: 16 }, (_, i) => slot(i)).flatMap((s) =>
              taken.has(`${d._id}|${s.toUTC().toISO()}`) ? [] : [`${s.toFormat('HH:mm')} ${d._id}`],
            ),
          ).sort();
        };
        const searched = async () =>
          (await here.freeSlotsOnDay(DOCTORS, monday))
            .map((s) => `${s.start.toFormat('HH:mm')} ${s.doctor._id}`)
            .sort();
        for (const o of ops) {
          const pick = 'pick' in o ? made[o.pick % Math.max(1, made.length)] : undefined;
          if (o.kind === 'hold') {
            const r = await (o.here ? here : there).hold(DOCTORS[o.doctor]!, slot(o.slot), { holdOwner: 'c' });
            if (r.ok) made.push(r.appointment);
          } else if (o.kind === 'confirm' && pick) await here.confirm(pick, {});
          else if (o.kind === 'release' && pick) await there.release(pick.appointmentId);
          else if (o.kind === 'cancel' && pick) await there.cancel(pick, undefined);
          else if (o.kind === 'move' && pick) {
            const current = await here.find(pick.appointmentId);
            if (current) await here.reschedule(current, DOCTORS[o.doctor]!, slot(o.slot));
          } else if (o.kind === 'rolled-back-hold')
            await store
              .atomically(async () => {
                await here.hold(DOCTORS[o.doctor]!, slot(o.slot), { holdOwner: 'r' });
                await searched(); // kept inside the step, with its own hold in it
                throw new Error('rolled back');
              })
              .catch(() => {});
          else if (o.kind === 'tick') clock = new Date(clock.getTime() + o.minutes * 60_000);
          expect(await searched()).toEqual(await expected());
        }
      } finally {
        await store.close();
        await other.close();
        tmp.cleanup();
      }
    }),
    { numRuns: 25 },
  );
});
