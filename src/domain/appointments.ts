import { DateTime } from 'luxon';
import './zone-offsets.js';
import { DuplicateKeyError, type Collection, type Store } from '../store/types.js';
import type { ClinicSettings, Customer, Doctor } from './clinic.js';
import { bookableDays, isSlotStart, nearestOf, slotKey } from './schedule.js';
import { speakableId } from './ids.js';
import { claimEnds, freeStarts, TakenTimes } from './taken-times.js';
import { sealNamedFields, type FieldSealer } from './sealer.js';
import { isSealed } from '../crypto/seal.js';

export type AppointmentStatus = 'held' | 'confirmed' | 'cancelled' | 'expired' | 'rescheduled';

/**
 * One appointment (collection `appointments`). `activeSlot` is set only while it holds its
 * slot (a live hold or a confirmed booking); a unique sparse index on it means one slot never
 * holds two active appointments, in any process. Times are UTC ISO strings plus epoch ms.
 */
export interface Appointment {
  _id: string;
  appointmentId: string;
  status: AppointmentStatus;
  doctorId: string;
  doctorName: string;
  specialty: string;
  start: string;
  startMs: number;
  activeSlot?: string;
  /** Epoch ms after which a `held` appointment no longer holds its slot. */
  holdExpiresAt?: number;
  /** Call id that placed the hold (check_availability), which may confirm it. */
  holdOwner?: string;
  /** `<callId>:<toolCallId>` of the tool call that created it: one tool call books once. */
  sourceKey?: string;
  patientName?: string;
  /** Blind index of the patient's normalised name: the second factor of the access rule. */
  nameIndex?: string;
  /** Sealed at rest, like `phone`, `reason` and `cancelReason`. */
  email?: string;
  phone?: string;
  /** Blind index of the E.164 phone, for lookups without decryption. */
  phoneIndex?: string;
  reason?: string;
  cancelReason?: string;
  /** Id of the first appointment of a reschedule chain: what sealed fields are bound to. */
  rootId?: string;
  callId?: string;
  createdAt: string;
  confirmedAt?: string;
  cancelledAt?: string;
  /** Set by versions before moves kept the id: the appointment this one replaced, or replaced it. */
  rescheduledFrom?: string;
  rescheduledTo?: string;
  /** The times (UTC ISO) a moved appointment had before, oldest first. */
  movedFrom?: string[];
  movedAt?: string;
  /** While it is coming: the contact card sealed for serve, to notify the patient (see `domain/outbox.ts`). */
  contact?: string;
  [key: string]: unknown;
}

export interface Patient {
  name: string;
  email: string;
  /** E.164 */
  phone: string;
  reason: string;
}

export type ClaimResult = { ok: true; appointment: Appointment } | { ok: false; reason: 'taken' };

/** How many fresh ids a new appointment tries before giving up (each collision is independent). */
const ID_ATTEMPTS = 8;

/** Characters of a new appointment ID: 25^9 ≈ 2^41.8, so guessing one is hopeless. */
export const APPOINTMENT_ID_LENGTH = 9;

/** How many slots one call may hold at once (`check_availability` of several exact times). */
export const MAX_HOLDS_PER_CALL = 2;

/** Booking operations on one store; `now` is injected so tests control expiry. */
export class AppointmentBook {
  private readonly col: Collection<Appointment>;
  private readonly taken: TakenTimes;

  /**
   * The store, clinic settings, clock and sealer the book works with: also what the front-desk
   * steps of `domain/booking.ts` (a booking's notifications and reminder) write with.
   */
  constructor(
    readonly store: Store,
    readonly clinic: ClinicSettings,
    readonly now: () => Date,
    readonly sealer: FieldSealer,
  ) {
    this.col = store.collection('appointments');
    this.taken = new TakenTimes(this.col, clinic.bookingHorizonDays);
  }

  /** Seals the sensitive fields among `fields` for the record chain `rootId`, adding the phone's blind index. */
  private sealed(fields: Partial<Appointment>, rootId: string): Partial<Appointment> {
    return sealAppointmentFields(fields, rootId, this.sealer);
  }

  /** How many days ahead this clinic books (`clinic.bookingHorizonDays`). */
  get horizonDays(): number {
    return this.clinic.bookingHorizonDays;
  }

  /**
   * Slot keys (`<doctorId>|<UTC ISO start>`, {@link slotKey}) of active appointments for these doctors
   * in [from, to), from the index `activeSlot, status, holdExpiresAt, startMs` alone. Whatever holds
   * the slot in the unique index holds it here (an unknown status too), except a hold that has run out.
   */
  async occupied(doctorIds: string[], from: DateTime, to: DateTime): Promise<Set<string>> {
    const out = new Set<string>();
    const [lo, hi] = [from, to].map((t) => new Date(t.toMillis()).toISOString());
    const nowMs = this.now().getTime();
    for (const d of doctorIds) {
      const rows = await this.col.find(
        { activeSlot: { $gte: `${d}|${lo}`, $lt: `${d}|${hi}` } },
        { fields: ['activeSlot', 'status', 'holdExpiresAt'], covered: true },
      );
      for (const r of rows) if (claimEnds(r) > nowMs) out.add(r.activeSlot!);
    }
    return out;
  }

  /**
   * Adds the start times (epoch ms) each doctor has taken in [from, to) to `into`, by doctor id:
   * what {@link freeOn} checks each slot against ({@link TakenTimes}: read once while nothing changes).
   */
  private addTakenTimes(
    into: Map<string, ReadonlySet<number>>,
    doctors: Doctor[],
    fromMs: number,
    toMs: number,
  ): Promise<Map<string, ReadonlySet<number>>> {
    const ids = doctors.map((d) => d._id);
    return this.taken.addTo(into, ids, fromMs, toMs, this.now().getTime());
  }

  /** Free future slots of these doctors on `day` (clinic zone), optionally within a window of minutes. */
  async freeSlotsOnDay(
    doctors: Doctor[],
    day: DateTime,
    window?: { from: number; to: number },
  ): Promise<Array<{ doctor: Doctor; start: DateTime }>> {
    const dayStart = day.startOf('day');
    const taken = await this.addTakenTimes(
      new Map(),
      doctors,
      dayStart.toMillis(),
      dayStart.plus({ days: 1 }).toMillis(),
    );
    return this.freeOn(doctors, day, taken, window);
  }

  /** The slots of `day` that are in the future and not `taken` ({@link addTakenTimes}), earliest first. */
  private freeOn(
    doctors: Doctor[],
    day: DateTime,
    taken: Map<string, ReadonlySet<number>>,
    window?: { from: number; to: number },
  ): Array<{ doctor: Doctor; start: DateTime }> {
    const nowMs = this.now().getTime();
    const out: Array<{ doctor: Doctor; start: DateTime }> = [];
    for (const doctor of doctors) {
      for (const start of freeStarts(doctor, day, this.clinic.slotMinutes, taken.get(doctor._id), nowMs)) {
        if (window) {
          const m = start.hour * 60 + start.minute;
          if (m < window.from || m >= window.to) continue;
        }
        out.push({ doctor, start });
      }
    }
    return out.sort((a, b) => a.start.toMillis() - b.start.toMillis());
  }

  /**
   * Up to `n` free slots nearest to `target` (future only, within the booking horizon). The days are
   * searched outwards from the target; the taken slots are read for a window of days around it,
   * widened (3, 9, 27, … days each way) only when the window did not hold enough, each widening
   * reading only the days it adds: most answers are within a few days, and a full calendar's
   * horizon is read once.
   */
  async nearestFree(doctors: Doctor[], target: DateTime, n = 3): Promise<Array<{ doctor: Doctor; start: DateTime }>> {
    const now = DateTime.fromJSDate(this.now(), { zone: this.clinic.timeZone });
    const horizon = now.plus({ days: this.clinic.bookingHorizonDays });
    const centre = target < now ? now : target;
    const days = bookableDays(now, this.clinic.bookingHorizonDays);
    // A target past the horizon searches back from its last day.
    const at = days.index.get(centre.toISODate()!) ?? (centre > horizon ? days.list.length - 1 : 0);
    const last = days.list.length - 1;
    const taken = new Map<string, ReadonlySet<number>>();
    // Day i begins at its list entry; the day after the last at the end of the horizon.
    const startOf = (i: number) => (i < days.list.length ? days.list[i]!.toMillis() : days.end.toMillis() + 1);
    // The days read so far: [readLo, readHi]; none yet. A day's free slots, once its taken ones are
    // read, stay what they are while the search widens: worked out once, by day index.
    let [readLo, readHi] = [at + 1, at];
    const freeByDay = new Map<number, Array<{ doctor: Doctor; start: DateTime }>>();
    for (let radius = 3; ; radius *= 3) {
      const [lo, hi] = [Math.max(0, at - radius), Math.min(last, at + radius)];
      if (readLo > readHi) await this.addTakenTimes(taken, doctors, startOf(lo), startOf(hi + 1));
      else {
        if (lo < readLo) await this.addTakenTimes(taken, doctors, startOf(lo), startOf(readLo));
        if (hi > readHi) await this.addTakenTimes(taken, doctors, startOf(readHi + 1), startOf(hi + 1));
      }
      [readLo, readHi] = [lo, hi];
      const found: Array<{ doctor: Doctor; start: DateTime }> = [];
      for (let offset = 0; offset <= radius && found.length < n * 4; offset++) {
        for (const i of offset === 0 ? [at] : [at + offset, at - offset]) {
          const day = i >= lo && i <= hi ? days.list[i] : undefined;
          if (!day || day > horizon) continue;
          let free = freeByDay.get(i);
          if (!free) freeByDay.set(i, (free = this.freeOn(doctors, day, taken)));
          found.push(...free);
        }
      }
      if (found.length >= n * 4 || (lo === 0 && hi === last)) return nearestOf(found, target, n);
    }
  }

  isBookable(doctor: Doctor, start: DateTime): boolean {
    return isSlotStart(doctor, start.setZone(this.clinic.timeZone), this.clinic.slotMinutes);
  }

  /**
   * Whether slot `key` holds no active appointment, once a hold on it that expired by `nowMs` has
   * given it back. Looked up first: in a MongoDB transaction a unique violation aborts the whole
   * step, so the indexes only catch what another process wrote since (then the step is retried or
   * refused).
   */
  private async slotIsFree(key: string, nowMs: number): Promise<boolean> {
    await this.col.updateMany(
      { activeSlot: key, status: 'held', holdExpiresAt: { $lte: nowMs } },
      { $set: { status: 'expired' }, $unset: { activeSlot: true } },
    );
    // From the index alone: whether anything holds the key, not what (a document read and parse).
    const holders = await this.col.find({ activeSlot: key }, { fields: ['activeSlot'], covered: true, limit: 1 });
    return holders.length === 0;
  }

  /**
   * Claims a slot with a hold that expires after the clinic's `holdMinutes` (BOOK-3: an
   * expired hold frees the slot at once, because expiry is checked here, not by a sweeper).
   * @throws DuplicateKeyError on `sourceKey` when this tool call already created an appointment.
   */
  async hold(doctor: Doctor, start: DateTime, fields: Partial<Appointment>): Promise<ClaimResult> {
    const key = slotKey(doctor._id, start);
    const nowMs = this.now().getTime();
    if (!(await this.slotIsFree(key, nowMs))) return { ok: false, reason: 'taken' };
    // One call holds at most MAX_HOLDS_PER_CALL slots: a new hold gives back the oldest (no hoarding).
    if (fields.holdOwner) {
      const live = await this.col.find(
        { holdOwner: fields.holdOwner, status: 'held', holdExpiresAt: { $gt: nowMs } },
        { sort: { createdAt: 1, startMs: 1 }, fields: ['appointmentId'] },
      );
      for (const old of live.slice(0, Math.max(0, live.length - MAX_HOLDS_PER_CALL + 1)))
        await this.release(old.appointmentId);
    }
    // A new id that happens to be taken is drawn again (rare: 9 characters collide at ~2M appointments).
    for (let attempt = 1; ; attempt++) {
      const id = speakableId(APPOINTMENT_ID_LENGTH);
      if (attempt < ID_ATTEMPTS && (await this.col.findOne({ appointmentId: id }))) continue;
      const rootId = fields.rootId ?? id;
      const doc: Appointment = {
        _id: id,
        appointmentId: id,
        status: 'held',
        doctorId: doctor._id,
        doctorName: doctor.name,
        specialty: doctor.specialty,
        start: start.toUTC().toISO()!,
        startMs: start.toMillis(),
        activeSlot: key,
        holdExpiresAt: nowMs + this.clinic.holdMinutes * 60_000,
        createdAt: this.now().toISOString(),
        ...this.sealed(fields, rootId),
        rootId,
      };
      try {
        return { ok: true, appointment: await this.col.insertOne(doc) };
      } catch (err) {
        if (!(err instanceof DuplicateKeyError)) throw err;
        if ((err.key === 'appointmentId' || err.key === '_id') && attempt < ID_ATTEMPTS) continue;
        if (err.key !== 'sourceKey' && err.key !== 'appointmentId' && err.key !== '_id')
          return { ok: false, reason: 'taken' };
        throw err;
      }
    }
  }

  /** The live hold this call placed on a slot, if any. */
  async heldBy(callId: string, doctor: Doctor, start: DateTime): Promise<Appointment | null> {
    if (!callId) return null;
    return this.col.findOne({
      activeSlot: slotKey(doctor._id, start),
      status: 'held',
      holdOwner: callId,
      holdExpiresAt: { $gt: this.now().getTime() },
    });
  }

  /** Turns a live hold into a booking; false when the hold expired or is gone. */
  async confirm(held: Pick<Appointment, 'appointmentId' | 'rootId'>, fields: Partial<Appointment>): Promise<boolean> {
    const nowMs = this.now().getTime();
    const res = await this.col.updateOne(
      { appointmentId: held.appointmentId, status: 'held', holdExpiresAt: { $gt: nowMs } },
      {
        $set: {
          ...this.sealed(fields, held.rootId ?? held.appointmentId),
          status: 'confirmed',
          confirmedAt: this.now().toISOString(),
        },
        $unset: { holdExpiresAt: true, holdOwner: true },
      },
    );
    return res.matched === 1;
  }

  /** Gives a hold's slot back (used when a later step fails). */
  async release(appointmentId: string): Promise<void> {
    await this.col.updateOne(
      { appointmentId, status: 'held' },
      { $set: { status: 'expired' }, $unset: { activeSlot: true } },
    );
  }

  async find(appointmentId: string): Promise<Appointment | null> {
    return this.col.findOne({ appointmentId });
  }

  async findBySource(sourceKey: string): Promise<Appointment | null> {
    return this.col.findOne({ sourceKey });
  }

  /** Cancels a confirmed appointment; false when it is not confirmed (unknown, cancelled, moved). */
  async cancel(appt: Pick<Appointment, 'appointmentId' | 'rootId'>, reason: string | undefined): Promise<boolean> {
    const why = reason ? this.sealed({ cancelReason: reason }, appt.rootId ?? appt.appointmentId) : {};
    const res = await this.col.updateOne(
      { appointmentId: appt.appointmentId, status: 'confirmed' },
      { $set: { status: 'cancelled', cancelledAt: this.now().toISOString(), ...why }, $unset: { activeSlot: true } },
    );
    return res.matched === 1;
  }

  /**
   * Moves a confirmed appointment to `start` (same doctor) in one atomic step, keeping its id:
   * the new slot is claimed and the old one released together, so the patient never ends up with
   * neither, or with both. The times it had before are kept in `movedFrom` (UTC ISO).
   * Returns the moved appointment, `taken` when the new slot is held or booked, `gone` when the
   * appointment is no longer confirmed.
   */
  async reschedule(
    old: Appointment,
    doctor: Doctor,
    start: DateTime,
  ): Promise<ClaimResult | { ok: false; reason: 'gone' }> {
    return this.store.atomically(() =>
      this.moveConfirmed(old, slotKey(doctor._id, start), {
        doctorId: doctor._id,
        doctorName: doctor.name,
        specialty: doctor.specialty,
        start: start.toUTC().toISO()!,
        startMs: start.toMillis(),
        movedFrom: [...((old.movedFrom as string[] | undefined) ?? []), old.start],
        movedAt: this.now().toISOString(),
      }),
    );
  }

  /**
   * Claims slot `key` for a confirmed appointment and sets `fields` on it (its old slot is given
   * back by the same write): `taken` when the slot is held or booked, also by another process
   * since the look-up; `gone` when it is no longer confirmed.
   */
  private async moveConfirmed(
    appt: Appointment,
    key: string,
    fields: Partial<Appointment>,
  ): Promise<ClaimResult | { ok: false; reason: 'gone' }> {
    if (!(await this.slotIsFree(key, this.now().getTime()))) return { ok: false, reason: 'taken' };
    const set = { ...fields, activeSlot: key };
    try {
      const res = await this.col.updateOne({ appointmentId: appt.appointmentId, status: 'confirmed' }, { $set: set });
      if (res.matched !== 1) return { ok: false, reason: 'gone' };
    } catch (err) {
      if (err instanceof DuplicateKeyError && err.key === 'activeSlot') return { ok: false, reason: 'taken' };
      throw err;
    }
    return { ok: true, appointment: { ...appt, ...set } };
  }

  /**
   * Confirmed appointments that have not started yet, earliest first: of one doctor, or all; only
   * those starting in [`from`, `to`) when given (epoch ms).
   */
  async upcoming(opts: { doctorId?: string; from?: number; to?: number } = {}): Promise<Appointment[]> {
    const startMs: Record<string, number> = { $gt: this.now().getTime() };
    if (opts.from !== undefined) startMs.$gte = opts.from;
    if (opts.to !== undefined) startMs.$lt = opts.to;
    return this.col.find(
      { ...(opts.doctorId ? { doctorId: opts.doctorId } : {}), status: 'confirmed', startMs },
      { sort: { startMs: 1 } },
    );
  }

  /**
   * Gives a confirmed appointment to another doctor at the same time, keeping its id (a doctor
   * leaves). Returns the moved appointment, `taken` when that doctor's slot is held or booked,
   * `gone` when it is no longer confirmed. Call it inside an atomic step with the others it goes with.
   */
  async reassign(appt: Appointment, doctor: Doctor): Promise<ClaimResult | { ok: false; reason: 'gone' }> {
    const start = DateTime.fromMillis(appt.startMs, { zone: this.clinic.timeZone });
    return this.moveConfirmed(appt, slotKey(doctor._id, start), {
      doctorId: doctor._id,
      doctorName: doctor.name,
      specialty: doctor.specialty,
    });
  }

  /** The latest confirmed appointment of a caller, by the blind index of their E.164 number. */
  async latestFor(phoneIndex: string): Promise<Appointment | null> {
    const rows = await this.col.find({ phoneIndex, status: 'confirmed' }, { sort: { startMs: -1 }, limit: 1 });
    return rows[0] ?? null;
  }
}

/** The appointment fields sealed at rest. */
export const SEALED_APPOINTMENT_FIELDS = ['patientName', 'email', 'phone', 'reason', 'cancelReason'] as const;

/** Seals what is still plaintext among the sensitive fields and adds the phone's blind index. */
export function sealAppointmentFields(
  fields: Partial<Appointment>,
  rootId: string,
  sealer: FieldSealer,
): Partial<Appointment> {
  // The name's index is taken from the plaintext, then the name is sealed (to the receptionist key).
  return sealNamedFields(
    withNameIndex(fields, 'patientName', sealer),
    SEALED_APPOINTMENT_FIELDS,
    { collection: 'appointments', recordId: rootId },
    sealer,
  );
}

/** Adds `nameIndex` when the record's name field (`patientName` or `name`) is given as plaintext. */
function withNameIndex<T extends Record<string, unknown>>(fields: T, nameField: string, sealer: FieldSealer): T {
  const name = fields[nameField];
  return typeof name === 'string' && name && !isSealed(name)
    ? { ...fields, nameIndex: sealer.indexName(name) }
    : fields;
}

/**
 * Records the patient as a customer, found later by the blind index of their number
 * (assistant-request). An existing customer with that number (an AC customer, say) is updated.
 */
export async function upsertPatient(
  store: Store,
  patient: Patient,
  nowIso: string,
  sealer: FieldSealer,
): Promise<void> {
  const col = store.collection('customers');
  const phoneIndex = sealer.index(patient.phone);
  const existing = await col.findOne({ phoneIndex });
  const _id = existing?._id ?? `p-${phoneIndex.slice(0, 24)}`;
  const fields = sealCustomerFields(
    { name: patient.name, email: patient.email, phone: patient.phone, updatedAt: nowIso },
    _id,
    sealer,
  );
  await col.updateOne({ _id }, { $set: fields }, { upsert: true });
}

/** The customer fields sealed at rest (the name to the receptionist key, the rest to the admin key). */
export const SEALED_CUSTOMER_FIELDS = ['name', 'phone', 'email'] as const;

/** Seals a customer's name, phone and email (bound to the customer's `_id`) and adds the blind indexes. */
export function sealCustomerFields<T extends Partial<Customer>>(fields: T, customerId: string, sealer: FieldSealer): T {
  return sealNamedFields(
    withNameIndex(fields, 'name', sealer),
    SEALED_CUSTOMER_FIELDS,
    { collection: 'customers', recordId: customerId },
    sealer,
  );
}
