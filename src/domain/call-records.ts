import { SEALED_CALL_LOG_FIELDS, type CallLogRecord, type Store } from '../store/types.js';
import { isSealed, type SealContext } from '../crypto/seal.js';
import type { FieldSealer } from './sealer.js';
import { MalformedMessageError, at, callIdOf, customerNumberOf, num, str, type Json } from '../vapi/server-message.js';

/**
 * Builds the call-log record from an `end-of-call-report` (spec `ServerMessageEndOfCallReport`,
 * plus fields real payloads carry outside the spec: `durationSeconds`, `costBreakdown`,
 * top-level `summary`/`transcript`/`recordingUrl`). `message.call` is a snapshot from call
 * creation, so outcome fields come from the top level first.
 * @throws MalformedMessageError without `message.call.id` or with a field of the wrong type
 */
export function callLogFromReport(m: Json, receivedAt: Date): CallLogRecord {
  const callId = callIdOf(m);
  if (!callId) throw new MalformedMessageError('end-of-call-report has no "message.call.id"');
  const startedAt = str(m, 'startedAt') ?? str(m, 'call.startedAt') ?? '';
  const endedAt = str(m, 'endedAt') ?? str(m, 'call.endedAt') ?? '';
  const ms = num(m, 'durationMs');
  let durationSeconds = num(m, 'durationSeconds') ?? (ms === undefined ? undefined : ms / 1000);
  if (durationSeconds === undefined && startedAt && endedAt) {
    const d = (Date.parse(endedAt) - Date.parse(startedAt)) / 1000;
    if (Number.isFinite(d) && d >= 0) durationSeconds = d;
  }
  const breakdown = at(m, 'costBreakdown') ?? at(m, 'costs');
  // The deprecated `analysisPlan` writes `analysis.*`; its replacement, `artifactPlan.structuredOutputs`,
  // writes `artifact.structuredOutputs` keyed by output id, each `{name, result}`.
  const success = structuredOutput(m, SUCCESS_OUTPUT) ?? at(m, 'analysis.successEvaluation');
  const summary = structuredOutput(m, SUMMARY_OUTPUT);
  return {
    callId,
    callType: str(m, 'call.type') ?? '',
    assistantId: str(m, 'call.assistantId') ?? str(m, 'assistant.id') ?? '',
    startedAt,
    endedAt,
    durationSeconds: durationSeconds === undefined ? null : Math.round(durationSeconds * 1000) / 1000,
    endedReason: str(m, 'endedReason') ?? str(m, 'call.endedReason') ?? '',
    cost: num(m, 'cost') ?? num(m, 'costBreakdown.total') ?? null,
    costBreakdown: breakdown === undefined ? '' : JSON.stringify(breakdown),
    customerNumber: customerNumberOf(m) ?? '',
    customerIndex: '',
    summary:
      (typeof summary === 'string'
        ? summary
        : summary === undefined || summary === null
          ? undefined
          : JSON.stringify(summary)) ??
      str(m, 'analysis.summary') ??
      str(m, 'summary') ??
      '',
    transcript: str(m, 'artifact.transcript') ?? str(m, 'transcript') ?? '',
    recordingUrl:
      str(m, 'artifact.recordingUrl') ?? str(m, 'artifact.recording.mono.combinedUrl') ?? str(m, 'recordingUrl') ?? '',
    successEvaluation:
      success === undefined || success === null ? '' : typeof success === 'string' ? success : JSON.stringify(success),
    receivedAt: receivedAt.toISOString(),
  };
}

/** The `name`s of the structured outputs in `templates/bot-config/assistant.json` (`artifactPlan.structuredOutputs`). */
export const SUMMARY_OUTPUT = 'callSummary';
export const SUCCESS_OUTPUT = 'callSuccessful';

/** `artifact.structuredOutputs[<id>].result` of the output named `name` (spec `Artifact.structuredOutputs`). */
function structuredOutput(m: Json, name: string): unknown {
  const outputs = at(m, 'artifact.structuredOutputs');
  if (!outputs || typeof outputs !== 'object') return undefined;
  for (const o of Object.values(outputs as Record<string, unknown>)) {
    if (o && typeof o === 'object' && (o as { name?: unknown }).name === name)
      return (o as { result?: unknown }).result;
  }
  return undefined;
}

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
  const col = store.collection<CallStatus>('call_status');
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
