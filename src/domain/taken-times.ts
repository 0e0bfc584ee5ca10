import type { DateTime } from 'luxon';
import type { Collection } from '../store/types.js';
import type { Appointment } from './appointments.js';
import type { Doctor } from './clinic.js';
import { slotsOnDay } from './schedule.js';

const DAY_MS = 86_400_000;

/**
 * One doctor's active appointments whose start lies in [fromMs, toMs): start times (epoch ms) and,
 * for each, the instant its claim ends ({@link claimEnds}).
 */
interface DoctorRows {
  fromMs: number;
  toMs: number;
  starts: number[];
  until: number[];
  /** The starts taken at `live.at`, shared by every search until a hold among them runs out (`live.lapse`). */
  live?: { set: ReadonlySet<number>; at: number; lapse: number };
}

/**
 * The instant an active appointment's claim on its slot ends, epoch ms: `Infinity` for anything but
 * a hold (a booking; an unknown status holds its slot too), a hold's expiry, `-Infinity` for a hold
 * without one, which holds nothing. It holds its slot at `nowMs` while this is later.
 */
export function claimEnds(a: Pick<Appointment, 'status' | 'holdExpiresAt'>): number {
  return a.status !== 'held' ? Infinity : typeof a.holdExpiresAt === 'number' ? a.holdExpiresAt : -Infinity;
}

/** What was read per appointments collection, at its version `version` (`Collection.changes`). */
const kept = new WeakMap<Collection<Appointment>, { version: string; byDoctor: Map<string, DoctorRows> }>();

/**
 * The start times each doctor has taken (a live hold or a booking), from the index `activeSlot,
 * status, holdExpiresAt, startMs` alone. Where the store can say what changed
 * (`Collection.changes`: the embedded store), a doctor's rows are read for the whole booking
 * horizon at once and kept until one of that doctor's appointments changes (before or after the
 * write), or anything the store cannot account for does (another process's commit, a rollback):
 * a full calendar's refusals, which search outwards day by day for the nearest free times, then
 * read nothing (issue 28). MongoDB is read on every call. Whether a hold still holds is decided at each
 * use against `nowMs`, so a hold that runs out frees its slot at once (BOOK-3).
 */
export class TakenTimes {
  constructor(
    private readonly col: Collection<Appointment>,
    private readonly horizonDays: number,
  ) {}

  /**
   * Adds each doctor's start times taken at `nowMs` in [fromMs, toMs) to `into`, by doctor id: a set
   * that may hold more of that doctor's times, outside the window, and may be shared (never change
   * one; a second window's times come as a new set holding both).
   * @throws StoreUnavailableError
   */
  async addTo(
    into: Map<string, ReadonlySet<number>>,
    doctorIds: string[],
    fromMs: number,
    toMs: number,
    nowMs: number,
  ): Promise<Map<string, ReadonlySet<number>>> {
    let entry = kept.get(this.col);
    const changes = await this.col.changes(entry?.version);
    if (!changes) entry = undefined;
    else if (!entry || !changes.changed)
      kept.set(this.col, (entry = { version: changes.version, byDoctor: new Map() }));
    else {
      // Only a version with a slot (`<doctorId>|<start>`) takes or gives one back.
      for (const a of changes.changed as Array<Partial<Appointment>>)
        if (typeof a.activeSlot === 'string') entry.byDoctor.delete(a.activeSlot.slice(0, a.activeSlot.indexOf('|')));
      entry.version = changes.version;
    }
    for (const id of doctorIds) {
      let rows = entry?.byDoctor.get(id);
      if (!rows || rows.fromMs > fromMs || rows.toMs < toMs) {
        // Kept rows cover today and the horizon (and the window asked), so the next windows fall inside.
        const at = entry?.version;
        rows = entry
          ? await this.read(
              id,
              Math.min(fromMs, nowMs - DAY_MS),
              Math.max(toMs, nowMs + (this.horizonDays + 2) * DAY_MS),
            )
          : await this.read(id, fromMs, toMs);
        // Kept only if no other call took in changes meanwhile: a write those changes listed may be
        // newer than this read (a write not yet taken in will be, by the next call).
        if (entry && entry.version === at && kept.get(this.col) === entry) entry.byDoctor.set(id, rows);
      }
      const taken = liveAt(rows, nowMs);
      const mine = into.get(id);
      if (!mine) into.set(id, taken);
      else if (mine !== taken) into.set(id, new Set([...mine, ...taken]));
    }
    return into;
  }

  /** One doctor's active rows with a start in [fromMs, toMs), from the covering index. */
  private async read(doctorId: string, fromMs: number, toMs: number): Promise<DoctorRows> {
    const [lo, hi] = [fromMs, toMs].map((ms) => `${doctorId}|${new Date(ms).toISOString()}`);
    const found = await this.col.find(
      { activeSlot: { $gte: lo, $lt: hi } },
      { fields: ['startMs', 'status', 'holdExpiresAt', 'activeSlot'], covered: true },
    );
    return {
      fromMs,
      toMs,
      // A record without its start time (hand-made; `preflight` names it) still holds its slot: read by key.
      starts: found.map((r) =>
        typeof r.startMs === 'number' ? r.startMs : Date.parse(r.activeSlot!.slice(doctorId.length + 1)),
      ),
      until: found.map(claimEnds),
    };
  }
}

/**
 * The starts of `rows` taken at `nowMs`: the set made last time while no hold in it has run out
 * since (and the clock has not gone back), else a new one, kept for the next search.
 */
function liveAt(rows: DoctorRows, nowMs: number): ReadonlySet<number> {
  const live = rows.live;
  if (live && live.at <= nowMs && nowMs < live.lapse) return live.set;
  const set = new Set<number>();
  let lapse = Infinity;
  for (let i = 0; i < rows.starts.length; i++) {
    const until = rows.until[i]!;
    if (until <= nowMs) continue;
    set.add(rows.starts[i]!);
    lapse = Math.min(lapse, until);
  }
  rows.live = { set, at: nowMs, lapse };
  return set;
}

/**
 * A doctor's slots on `day` that start after `nowMs` and are not in `taken`, in the order
 * {@link slotsOnDay} gives them. While every slot of the day is still ahead, the answer depends
 * only on the taken set and the doctor, so it is kept with the set (shared while nothing changes,
 * see {@link TakenTimes}): the next search of a full calendar walks none of that day's slots again.
 * Shared: do not change it.
 */
export function freeStarts(
  doctor: Doctor,
  day: DateTime,
  slotMinutes: number,
  taken: ReadonlySet<number> | undefined,
  nowMs: number,
): readonly DateTime[] {
  let byDay = taken ? freeKept.get(taken)?.get(doctor) : undefined;
  const known = byDay?.get(day);
  if (known && known.firstMs > nowMs && known.slotMinutes === slotMinutes) return known.free;
  const slots = slotsOnDay(doctor, day, slotMinutes);
  const free = slots.filter((s) => s.toMillis() > nowMs && !taken?.has(s.toMillis()));
  const firstMs = Math.min(...slots.map((s) => s.toMillis()));
  if (taken && firstMs > nowMs) {
    let byDoctor = freeKept.get(taken);
    if (!byDoctor) freeKept.set(taken, (byDoctor = new WeakMap()));
    if (!byDay) byDoctor.set(doctor, (byDay = new WeakMap()));
    byDay.set(day, { free, firstMs, slotMinutes });
  }
  return free;
}
/** {@link freeStarts}' answers by taken set, doctor and day, with the day's first slot (epoch ms) and the clinic's slot length they were worked out for. */
const freeKept = new WeakMap<
  ReadonlySet<number>,
  WeakMap<Doctor, WeakMap<DateTime, { free: readonly DateTime[]; firstMs: number; slotMinutes: number }>>
>();
