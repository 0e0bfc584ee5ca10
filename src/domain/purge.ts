import type { Doc, Store } from '../store/types.js';

/** Call ids `trigger` makes up (`trigger-<16 hex>`): what `trigger --purge` removes. */
export const TRIGGER_CALL_PREFIX = 'trigger-';

/** What a purge removed (or, with `dryRun`, would remove), per place. */
export interface PurgeResult {
  dryRun: boolean;
  /** The call ids found, sorted. */
  calls: string[];
  callLogs: number;
  statuses: number;
  /** Bookings and holds made during those calls. */
  appointments: number;
  /** AC technician visits booked during those calls. */
  visits: number;
  /** Stored first replies (`tool:<callId>:…`, `fn:<callId>:…`, `assistant-request:<callId>`). */
  replies: number;
  /** Outbox entries about those appointments and visits (confirmations, reminders): not sent once purged. */
  notifications: number;
}

/** `<callId>:<toolCallId>` → callId; `tool:<callId>:<id>` → callId. */
const callIdOfKey = (key: unknown, at: 0 | 1): string | undefined =>
  typeof key === 'string' ? key.split(':')[at] : undefined;

/**
 * Removes every trace of the calls `matches` picks: call logs, call statuses, appointments and
 * holds, AC visits, their notifications in the outbox (a made-up booking's reminder never rings), stored replies, and the access rule's failed-attempt counts (not counted in
 * the result: they are the calls' own state). Slots the calls held or booked are free again. Recordings
 * (`serve --record`) are an append-only log and stay, sealed.
 * @throws StoreUnavailableError
 */
export async function purgeCalls(
  store: Store,
  matches: (callId: string) => boolean,
  opts: { dryRun: boolean },
): Promise<PurgeResult> {
  const calls = new Set<string>();
  const pick = <T extends Doc>(docs: T[], callIdOf: (d: T) => string | undefined): T[] =>
    docs.filter((d) => {
      const id = callIdOf(d);
      if (id === undefined || !matches(id)) return false;
      calls.add(id);
      return true;
    });
  const logged = (await store.callLogs.list()).filter((r) => matches(r.callId));
  for (const r of logged) calls.add(r.callId);
  const statuses = pick(await store.collection('call_status').find({}), (d) => d._id);
  const appointments = pick(
    await store.collection('appointments').find({}),
    (d) => (d.callId as string | undefined) ?? (d.holdOwner as string | undefined) ?? callIdOfKey(d.sourceKey, 0),
  );
  const visits = pick(await store.collection('ac_service_visits').find({}), (d) => callIdOfKey(d.sourceKey, 0));
  const replies = pick(await store.collection('replies').find({}), (d) => callIdOfKey(d._id, 1));
  const failures = (await store.collection('access_failures').find({})).filter((d) => calls.has(d._id));
  const subjects = [...appointments.map((a) => a.appointmentId), ...visits.map((v) => v.visitId)].filter(
    (id): id is string => typeof id === 'string',
  );
  const notifications = subjects.length
    ? await store.collection('outbox').find({ subject: { $in: subjects } }, { fields: ['subject'] })
    : [];
  if (!opts.dryRun) {
    if (logged.length) await store.callLogs.rewrite((r) => (matches(r.callId) ? null : r));
    const remove = async (
      name: 'call_status' | 'appointments' | 'ac_service_visits' | 'replies' | 'access_failures' | 'outbox',
      docs: Doc[],
    ) => {
      if (docs.length) await store.collection(name).deleteMany({ _id: { $in: docs.map((d) => d._id) } });
    };
    await remove('call_status', statuses);
    await remove('appointments', appointments);
    await remove('ac_service_visits', visits);
    await remove('replies', replies);
    await remove('access_failures', failures);
    await remove('outbox', notifications);
  }
  return {
    dryRun: opts.dryRun,
    calls: [...calls].sort(),
    callLogs: logged.length,
    statuses: statuses.length,
    appointments: appointments.length,
    visits: visits.length,
    replies: replies.length,
    notifications: notifications.length,
  };
}
