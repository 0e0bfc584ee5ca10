import type { Store } from '../store/types.js';
import { normaliseName } from '../crypto/blind-index.js';
import { isSealed } from '../crypto/seal.js';
import type { FieldSealer } from './sealer.js';

/**
 * The access rule for callers (stated in docs/security.md):
 *
 * A caller may read or change a record they name by its ID (an appointment, an AC customer's
 * purchases) when
 * 1. the number they call from is the record's number (compared through the blind index,
 *    nothing is opened), or
 * 2. they give the second factor: the name on the record, and for an appointment its date.
 *
 * Without either, the tool asks for the second factor, and says the same whether or not the ID
 * exists (no oracle for IDs). A second factor that does not match, or an ID that does not exist,
 * is a failed attempt; after {@link MAX_FAILED_ATTEMPTS} in one call every such tool answers
 * with a transfer to the front desk for the rest of the call.
 */
export const MAX_FAILED_ATTEMPTS = 3;

/** What a record offers to check a caller against: blind indexes, and a legacy plaintext name. */
export interface RecordOwner {
  phoneIndex?: string;
  nameIndex?: string;
  /** The name as stored: compared only while it is plaintext (records from before `nameIndex`). */
  name?: string;
  /** The appointment's day, ISO date in the clinic's zone. */
  day?: string;
}

/** What the caller offers: their number's blind index, and the second factor they said. */
export interface CallerProof {
  callerIndex?: string;
  name?: string;
  /** ISO date in the clinic's zone. */
  day?: string;
}

/** How the caller was let through, or why not. */
export type AccessVerdict = 'caller-number' | 'second-factor' | 'needs-second-factor' | 'mismatch';

/**
 * Checks one caller against one record (`null` when the ID named nothing); pure, no counting.
 * `needsDay` makes the date part of the second factor.
 */
export function checkAccess(
  owner: RecordOwner | null,
  proof: CallerProof,
  needsDay: boolean,
  sealer: FieldSealer,
): AccessVerdict {
  if (owner?.phoneIndex && proof.callerIndex && owner.phoneIndex === proof.callerIndex) return 'caller-number';
  if (!proof.name || (needsDay && !proof.day)) return 'needs-second-factor';
  if (!owner || !nameMatches(owner, proof.name, sealer)) return 'mismatch';
  if (needsDay && owner.day !== proof.day) return 'mismatch';
  return 'second-factor';
}

function nameMatches(owner: RecordOwner, said: string, sealer: FieldSealer): boolean {
  if (!normaliseName(said)) return false;
  if (owner.nameIndex) return owner.nameIndex === sealer.indexName(said);
  return typeof owner.name === 'string' && !isSealed(owner.name) && normaliseName(owner.name) === normaliseName(said);
}

/** One call's failed attempts (collection `access_failures`, `_id` = Vapi `call.id`), by `toolCallId`. */
export interface FailureDoc {
  _id: string;
  count: number;
  /** The tool calls that failed: a redelivery of one of them is not counted again. */
  toolCallIds: string[];
  firstAt: string;
  lastAt: string;
  [key: string]: unknown;
}

const failureKey = (callId: string) => callId || 'no-call';

/** Failed attempts so far in this call. @throws StoreUnavailableError */
export async function failedAttempts(store: Store, callId: string): Promise<number> {
  const doc = await store.collection('access_failures').findOne({ _id: failureKey(callId) });
  return doc?.count ?? 0;
}

/**
 * Counts a failed attempt of one tool call (idempotent: the same `toolCallId` counts once, so a
 * redelivered lookup whose reply is not cached does not count twice); returns the call's count.
 * Run it inside the tool call's atomic step. @throws StoreUnavailableError
 */
export async function recordFailedAttempt(
  store: Store,
  callId: string,
  toolCallId: string,
  nowIso: string,
): Promise<number> {
  const col = store.collection('access_failures');
  const _id = failureKey(callId);
  const doc = await col.findOne({ _id });
  if (doc?.toolCallIds.includes(toolCallId)) return doc.count;
  const toolCallIds = [...(doc?.toolCallIds ?? []), toolCallId];
  if (doc) await col.updateOne({ _id }, { $set: { count: toolCallIds.length, toolCallIds, lastAt: nowIso } });
  else await col.insertOne({ _id, count: 1, toolCallIds, firstAt: nowIso, lastAt: nowIso });
  return toolCallIds.length;
}

/** Drops the counts of calls whose last failed attempt is before `cutoffIso` (run with the reply prune). */
export async function pruneFailedAttempts(store: Store, cutoffIso: string): Promise<number> {
  return (await store.collection('access_failures').deleteMany({ lastAt: { $lt: cutoffIso } })).deleted;
}
