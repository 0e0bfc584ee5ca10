import {
  MAX_FAILED_ATTEMPTS,
  checkAccess,
  failedAttempts,
  recordFailedAttempt,
  type RecordOwner,
} from '../../domain/access.js';
import { toE164 } from '../../domain/contact.js';
import { openWindow } from '../../domain/schedule.js';
import { resolveSpokenTime } from '../../domain/spoken-time.js';
import { doctors, optionalString, type ToolContext } from './context.js';

/** What a tool answers once a call has used up its failed attempts (the assistant then transfers). */
export const TRANSFER_ANSWER =
  "I'm sorry, I can't verify those details over the phone. I'm transferring you to our front desk, who can help you further.";

/** What the record is, for the questions the caller hears. */
export interface Subject {
  kind: 'appointment' | 'account';
  /** The ID as the caller will hear it ("K 7 M, H Q P, X Y 4", "CUST-1001"). */
  spoken: string;
}

/**
 * Applies the access rule (see `domain/access.ts`) to a caller acting on `owner` (`null` when the
 * ID named nothing). Second-factor arguments: `patientName` and `appointmentDate` for an
 * appointment, `customerName` for an AC account. Counts a failed attempt in the call's record
 * (once per `toolCallId`, inside the tool call's atomic step), so a redelivery does not count twice.
 * @returns `{ ok: true }` to go on, or the sentence the caller hears instead.
 * @throws StoreUnavailableError
 */
export async function verifyCaller(
  ctx: ToolContext,
  owner: RecordOwner | null,
  args: Record<string, unknown>,
  subject: Subject,
): Promise<{ ok: true } | { answer: string }> {
  if ((await failedAttempts(ctx.store, conversationOf(ctx))) >= MAX_FAILED_ATTEMPTS) return { answer: TRANSFER_ANSWER };
  const isAppointment = subject.kind === 'appointment';
  const name = optionalString(args, isAppointment ? 'patientName' : 'customerName');
  let day: string | undefined;
  const saidDate = isAppointment ? optionalString(args, 'appointmentDate') : undefined;
  if (saidDate) {
    const parsed = resolveSpokenTime(
      saidDate,
      ctx.now(),
      ctx.config.clinic.timeZone,
      openWindow(await doctors(ctx)),
      ctx.config.clinic.locale,
    );
    if (parsed.kind === 'question')
      return { answer: `Sorry, on which date is appointment ${subject.spoken}? For example, 3 December.` };
    day = (parsed.kind === 'exact' ? parsed.start : parsed.day).toISODate()!;
  }
  const number = ctx.customerNumber && toE164(ctx.customerNumber, ctx.config.clinic.defaultRegion);
  const verdict = checkAccess(
    owner,
    { callerIndex: number ? ctx.sealer.index(number) : undefined, name, day },
    isAppointment,
    ctx.sealer,
  );
  if (verdict === 'caller-number' || verdict === 'second-factor') return { ok: true };
  if (verdict === 'needs-second-factor')
    return {
      answer: isAppointment
        ? `To protect patients' privacy I need to check two details first: the patient's full name, and the date of appointment ${subject.spoken}.`
        : `To protect our customers' privacy I need to check one detail first: the full name on the account for customer ID ${subject.spoken}.`,
    };
  const failures = await recordFailedAttempt(ctx.store, conversationOf(ctx), ctx.toolCallId, ctx.now().toISOString());
  if (failures >= MAX_FAILED_ATTEMPTS) return { answer: TRANSFER_ANSWER };
  return {
    answer: isAppointment
      ? `Those details don't match appointment ${subject.spoken}. Could you check the appointment ID, the patient's name and the date, and tell me again?`
      : `Those details don't match customer ID ${subject.spoken}. Could you check the ID on your invoice and the name on the account, and tell me again?`,
  };
}

/**
 * Whose failed attempts these are: the call's (or chat's). A message with neither counts alone, so
 * unrelated conversations without an id never share one counter (and one transfer).
 */
function conversationOf(ctx: ToolContext): string {
  return ctx.callId || `no-call:${ctx.toolCallId}`;
}
