import type { ServiceVisit } from '../../domain/ac-support.js';
import { DateTime } from 'luxon';
import { enqueueNotification } from '../../domain/outbox.js';
import { DuplicateKeyError } from '../../store/types.js';
import { warrantyOf } from '../../domain/ac-support.js';
import { speakableId, spellOut } from '../../domain/ids.js';
import { spokenDay, resolveSpokenTime } from '../../domain/spoken-time.js';
import { lookupCustomer, pickUnit } from './ac-common.js';
import { nowInClinic, optionalString, requireString, sourceKey, type ToolHandler } from './context.js';

/** Technicians visit in two windows, Monday to Saturday. */
const WINDOWS = [
  { label: 'morning', from: 9 * 60, to: 13 * 60, spoken: 'between 9 AM and 1 PM' },
  { label: 'afternoon', from: 13 * 60, to: 18 * 60, spoken: 'between 1 PM and 6 PM' },
];

/** A booked technician visit (collection `ac_service_visits`). */

/** `schedule_ac_service({ customerId, date, issue, serialNumber? })` → a visit window and its visit ID. */
export const scheduleAcService: ToolHandler = async (args, ctx) => {
  const found = await lookupCustomer(args, ctx);
  if ('answer' in found) return found.answer;
  const when = requireString(args, 'date', 'the day they would like the technician');
  const issue = requireString(args, 'issue', 'what is wrong with the unit');
  const picked = pickUnit(found.purchases, optionalString(args, 'serialNumber'));
  if ('answer' in picked) return picked.answer;
  const { unit } = picked;
  const visits = ctx.store.collection('ac_service_visits');
  const key = sourceKey(ctx);
  const earlier = await visits.findOne({ sourceKey: key });
  if (earlier) return visitBooked(earlier);

  const today = nowInClinic(ctx);
  const time = resolveSpokenTime(
    when,
    ctx.now(),
    ctx.config.clinic.timeZone,
    { from: WINDOWS[0]!.from, to: WINDOWS[1]!.to },
    ctx.config.clinic.locale,
  );
  if (time.kind === 'question') return time.question;
  const day = time.kind === 'exact' ? time.start : time.day;
  const saidPart = time.kind === 'day' ? time.window?.label : undefined;
  const minuteOfDay = time.kind === 'exact' ? day.hour * 60 + day.minute : undefined;
  const window = saidPart
    ? WINDOWS.find((w) => w.label === saidPart)
    : minuteOfDay === undefined
      ? undefined
      : WINDOWS.find((w) => minuteOfDay >= w.from && minuteOfDay < w.to);
  if (day.startOf('day') <= today.startOf('day')) {
    return `The earliest a technician can come is ${spokenDay(today.plus({ days: today.weekday === 6 ? 2 : 1 }))}. Would that suit you, in the morning or the afternoon?`;
  }
  if (day.weekday === 7)
    return `Our technicians don't visit on Sundays. Would ${spokenDay(day.plus({ days: 1 }))} suit you?`;
  if (minuteOfDay === undefined && !saidPart)
    return `Would you like the technician on ${spokenDay(day)} in the morning, between 9 AM and 1 PM, or in the afternoon, between 1 PM and 6 PM?`;
  if (!window)
    return `Technicians visit between 9 AM and 6 PM. Would the morning or the afternoon of ${spokenDay(day)} suit you?`;

  const visitId = speakableId(9, 'SV-');
  const visit: ServiceVisit = {
    _id: visitId,
    visitId,
    customerId: found.customerId,
    serialNumber: unit.serialNumber,
    date: day.toISODate()!,
    window: window.label,
    // What the caller said is wrong, in their words: sealed (admins read it), like a visit reason.
    issue: ctx.sealer.seal(issue, { collection: 'ac_service_visits', recordId: visitId, field: 'issue' }),
    isInWarranty: warrantyOf(unit, today).isActive,
    status: 'scheduled',
    sourceKey: key,
    createdAt: ctx.now().toISOString(),
  };
  try {
    await visits.insertOne(visit);
    // In the same atomic step: the customer is told at the number they called from, when Vapi sent it.
    await enqueueNotification(
      ctx.store,
      ctx.sealer,
      {
        type: 'ac_visit.scheduled',
        timestamp: ctx.now().toISOString(),
        data: {
          id: visitId,
          timeZone: ctx.config.clinic.timeZone,
          clinic: ctx.config.clinic.name,
          date: visit.date,
          window: visit.window,
          contact: ctx.customerNumber ? { phone: ctx.customerNumber } : {},
        },
      },
      { subject: visitId },
    );
  } catch (err) {
    const first = err instanceof DuplicateKeyError ? await visits.findOne({ sourceKey: key }) : null;
    if (first) return visitBooked(first);
    throw err;
  }
  return visitBooked(visit);
};

function visitBooked(v: ServiceVisit): string {
  const w = WINDOWS.find((x) => x.label === v.window)!;
  const day = spokenDay(DateTime.fromISO(v.date));
  const cost = v.isInWarranty
    ? 'The visit is free because the unit is under warranty.'
    : 'The unit is out of warranty, so the visit charge applies.';
  return `A technician will visit on ${day} in the ${v.window}, ${w.spoken}. Your visit ID is ${spellOut(v.visitId)}. ${cost}`;
}
