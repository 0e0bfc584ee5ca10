import { SEALED_CALL_LOG_FIELDS, type CallLogRecord, type Store } from '../store/types.js';
import { isSealed, type SealContext } from '../crypto/seal.js';
import type { FieldSealer } from './sealer.js';

/** The fields of an `end-of-call-report` a call log keeps (spec `ServerMessageEndOfCallReport`, and `Artifact`). */
export interface EndOfCallReport {
  callId: string;
  /** `call.name`, set by whoever created the call (a reminder call: `reminder <outbox id>`). */
  callName?: string;
  callType?: string;
  assistantId?: string;
  /** ISO 8601 */
  startedAt?: string;
  /** ISO 8601 */
  endedAt?: string;
  /** `durationSeconds`, else `durationMs` / 1000, else from the two times; seconds. */
  durationSeconds?: number;
  endedReason?: string;
  /** USD: `cost`, else `costBreakdown.total`. */
  cost?: number;
  /** `costBreakdown` (or the `costs` list), as sent. */
  costBreakdown?: unknown;
  customerNumber?: string;
  /** `artifact.structuredOutputs` by output name: `result` of each. */
  structuredOutputs: Record<string, unknown>;
  /** The deprecated `analysisPlan`'s `analysis.summary` and `analysis.successEvaluation`. */
  analysis: { summary?: string; successEvaluation?: unknown };
  /** A top-level `summary` (real payloads carry one outside the spec). */
  summary?: string;
  /** `artifact.transcript`, else a top-level `transcript`. */
  transcript?: string;
  /** `artifact.recordingUrl`, `artifact.recording.mono.combinedUrl`, else a top-level `recordingUrl`. */
  recordingUrl?: string;
}

/**
 * An `end-of-call-report` (parsed at the edge: {@link EndOfCallReport}) as the call-log record: the
 * summary and success evaluation from the assistant's structured outputs (`artifactPlan`), else
 * the deprecated `analysis`, else a top-level summary; absent values as '' or null.
 */
export function callLogFromReport(r: EndOfCallReport, receivedAt: Date): CallLogRecord {
  const text = (v: unknown): string =>
    v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v);
  const summary = r.structuredOutputs[SUMMARY_OUTPUT];
  const success = r.structuredOutputs[SUCCESS_OUTPUT] ?? r.analysis.successEvaluation;
  return {
    callId: r.callId,
    callType: r.callType ?? '',
    assistantId: r.assistantId ?? '',
    startedAt: r.startedAt ?? '',
    endedAt: r.endedAt ?? '',
    durationSeconds: r.durationSeconds === undefined ? null : Math.round(r.durationSeconds * 1000) / 1000,
    endedReason: r.endedReason ?? '',
    cost: r.cost ?? null,
    costBreakdown: r.costBreakdown === undefined ? '' : JSON.stringify(r.costBreakdown),
    customerNumber: r.customerNumber ?? '',
    customerIndex: '',
    summary:
      (summary === undefined || summary === null ? undefined : text(summary)) ?? r.analysis.summary ?? r.summary ?? '',
    transcript: r.transcript ?? '',
    recordingUrl: r.recordingUrl ?? '',
    successEvaluation: text(success),
    receivedAt: receivedAt.toISOString(),
  };
}

/** The `name`s of the structured outputs in `templates/bot-config/assistant.json` (`artifactPlan.structuredOutputs`). */
export const SUMMARY_OUTPUT = 'callSummary';
export const SUCCESS_OUTPUT = 'callSuccessful';

/** Where a call-log field is sealed: bound to its call id and field name. */
export function callLogContext(callId: string, field: string): SealContext {
  return { collection: 'call_logs', recordId: callId, field };
}

/** Seals the sensitive fields of a record and sets its blind index (idempotent: sealed values are kept). */
export function sealCallLog(record: CallLogRecord, sealer: FieldSealer): CallLogRecord {
  const out = { ...record };
  if (record.customerNumber && !isSealed(record.customerNumber))
    out.customerIndex = sealer.index(record.customerNumber);
  const fields = Object.fromEntries(SEALED_CALL_LOG_FIELDS.map((f) => [f, record[f]])) as Record<
    (typeof SEALED_CALL_LOG_FIELDS)[number],
    string
  >;
  return { ...out, ...sealer.sealRecord(fields, { collection: 'call_logs', recordId: record.callId }) };
}

/**
 * The one place a call log reaches the store: sensitive fields are sealed here, before any
 * backend sees them. Returns false when the call was already logged.
 * @throws StoreUnavailableError
 */
export async function recordCallLog(store: Store, record: CallLogRecord, sealer: FieldSealer): Promise<boolean> {
  return store.callLogs.append(sealCallLog(record, sealer));
}

/** Latest known status of a call (collection `call_status`, `_id` = call id). */
export interface CallStatus {
  _id: string;
  status: string;
  endedReason?: string;
  /** Epoch ms of the Vapi message that set it. */
  at: number;
  callType?: string;
  assistantId?: string;
  [k: string]: unknown;
}

/** Records a `status-update` unless a newer one is already stored (messages can arrive out of order). */
export async function recordCallStatus(store: Store, s: CallStatus): Promise<void> {
  const col = store.collection('call_status');
  const { _id, ...fields } = s;
  const res = await col.updateOne({ _id, at: { $lte: s.at } }, { $set: fields });
  if (res.matched === 0 && !(await col.findOne({ _id }))) {
    try {
      await col.insertOne(s);
    } catch {
      // Inserted concurrently by an identical delivery: the newest-wins update above covers order.
      await col.updateOne({ _id, at: { $lte: s.at } }, { $set: fields });
    }
  }
}
