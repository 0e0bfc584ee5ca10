/**
 * Vapi server messages, parsed once at the edge into typed shapes (spec `ServerMessage*`;
 * vapi-reference.md §2); the handlers never read raw paths. The parser is lenient where real
 * traffic differs from the spec (ISO or epoch `timestamp`, `null` for absent fields, tool
 * `arguments` as an object or a JSON string, numbers as numeric strings) and strict about the
 * rest: a field present with the wrong type, or a `timestamp` outside 2000…2100, is a malformed
 * message (400); a report's measurement out of range is left out of the record.
 */
import type { EndOfCallReport } from '../domain/call-records.js';
import { ISO_INSTANT } from '../store/schemas.js';

export type Json = Record<string, unknown>;

export class MalformedMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MalformedMessageError';
  }
}

/**
 * Every `message.type` Vapi sends (spec `ServerMessage` union and `CreateAssistantDTO.serverMessages`
 * enum, where `transcript[transcriptType="final"]` is a transcript), plus the legacy `function-call`.
 * Others are acknowledged as unknown; Vapi adds types over time.
 */
export const VAPI_MESSAGE_TYPES = new Set([
  'assistant-request',
  'assistant.started',
  'assistant.speechStarted',
  'call.delete.failed',
  'call.deleted',
  'call.artifact.upload',
  'call.endpointing.request',
  'campaign.predial',
  'chat.created',
  'chat.deleted',
  'conversation-update',
  'end-of-call-report',
  'function-call',
  'handoff-destination-request',
  'hang',
  'knowledge-base-request',
  'language-change-detected',
  'language-changed',
  'model-output',
  'phone-call-control',
  'session.created',
  'session.deleted',
  'session.updated',
  'speech-update',
  'status-update',
  'tool-calls',
  'transcript',
  'transfer-destination-request',
  'transfer-update',
  'user-interrupted',
  'voice-input',
  'voice-request',
]);

/** How deep a body's objects and arrays may nest; Vapi's deepest (an artifact's tool-call arguments) is about a dozen. */
export const MAX_JSON_DEPTH = 64;

/**
 * Whether JSON text nests objects and arrays deeper than `limit`, by one pass over the bytes
 * (brackets inside strings are skipped), before it is parsed: a body nested 10,000 deep parses,
 * then overflows the stack of whatever walks it later (a 500 on every retry).
 */
export function nestsDeeperThan(raw: Buffer, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return false;
}

/** Parses the raw body into `{ message: { type, … } }`. @throws MalformedMessageError */
export function parseEnvelope(raw: Buffer): Json {
  if (raw.length === 0) throw new MalformedMessageError('empty body; expected {"message": {"type": …}}');
  if (nestsDeeperThan(raw, MAX_JSON_DEPTH))
    throw new MalformedMessageError(`body nests objects or arrays deeper than ${MAX_JSON_DEPTH} levels`);
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    // The parser's own message quotes the body, which may hold patients' data: keep it out.
    throw new MalformedMessageError('body is not valid JSON');
  }
  if (!isObject(body)) throw new MalformedMessageError('body must be a JSON object {"message": {…}}');
  const message = body.message;
  if (!isObject(message)) throw new MalformedMessageError('missing "message" object');
  if (typeof message.type !== 'string' || !message.type)
    throw new MalformedMessageError('missing "message.type" string');
  return message;
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Reads `obj.a.b…`; undefined when any step is absent. */
function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** A string at `path`, or undefined; numbers are accepted as text. @throws MalformedMessageError on another type */
function str(obj: unknown, path: string, label = path): string | undefined {
  const v = at(obj, path);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new MalformedMessageError(`"${label}" must be a string`);
}

/** A number at `path` (numeric strings accepted), or undefined. @throws MalformedMessageError */
function num(obj: unknown, path: string, label = path): number | undefined {
  const v = at(obj, path);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new MalformedMessageError(`"${label}" must be a number`);
  return n;
}

/** The instants a message may speak of: 2000-01-01 to 2100-01-01 UTC (epoch ms). Anything else is not a date Vapi meant. */
export const EARLIEST_MS = Date.UTC(2000, 0, 1);
export const LATEST_MS = Date.UTC(2100, 0, 1);

/** The longest call a report may state (s); Vapi's `maxDurationSeconds` allows at most 12 h. */
export const MAX_CALL_SECONDS = 86_400;

/** The highest cost a report may state for one call (USD). */
export const MAX_CALL_COST = 10_000;

/**
 * `message.timestamp` (epoch ms number or ISO string, both seen from Vapi) as epoch ms.
 * @throws MalformedMessageError when it is neither, or outside {@link EARLIEST_MS}…{@link LATEST_MS}
 *   (a `1e308` would be stored and break every later listing)
 */
function timestampMs(message: Json): number | undefined {
  const t = message.timestamp;
  if (t === undefined || t === null) return undefined;
  const ms = typeof t === 'number' ? t : typeof t === 'string' ? (/^\d+$/.test(t) ? Number(t) : Date.parse(t)) : NaN;
  if (!Number.isFinite(ms))
    throw new MalformedMessageError('"message.timestamp" must be epoch milliseconds or an ISO date');
  if (ms < EARLIEST_MS || ms > LATEST_MS)
    throw new MalformedMessageError('"message.timestamp" must be between 2000 and 2100');
  return ms;
}

/**
 * A date-time at `path` within 2000…2100, as sent when it is ISO 8601 (Vapi's form), else in UTC
 * ISO form; undefined when it is not a date in that range (a report keeps its other fields).
 */
function instant(obj: unknown, path: string): string | undefined {
  const v = str(obj, path);
  if (v === undefined) return undefined;
  const ms = Date.parse(v);
  if (!Number.isFinite(ms) || ms < EARLIEST_MS || ms > LATEST_MS) return undefined;
  return ISO_INSTANT.test(v) ? v : new Date(ms).toISOString();
}

/** `n` when it is within [min, max], else undefined: a measurement out of range is not recorded. */
function within(n: number | undefined, min: number, max: number): number | undefined {
  return n !== undefined && n >= min && n <= max ? n : undefined;
}

/** The call id: `message.call.id`. */
function callIdOf(message: Json): string | undefined {
  return str(message, 'call.id', 'message.call.id');
}

/**
 * The conversation a message belongs to: the call, else the chat or session of Vapi's chat API
 * (`chat.id`, `session.id`), so that what a conversation counts (failed ID checks) is its own.
 */
export function conversationIdOf(message: Json): string | undefined {
  return (
    callIdOf(message) ?? str(message, 'chat.id', 'message.chat.id') ?? str(message, 'session.id', 'message.session.id')
  );
}

/** The caller's number: `message.customer.number`, else `message.call.customer.number`; web calls have none. */
function customerNumberOf(message: Json): string | undefined {
  return (
    str(message, 'customer.number', 'message.customer.number') ??
    str(message, 'call.customer.number', 'message.call.customer.number')
  );
}

/** What every message may carry (spec `ServerMessage*`: `timestamp`, `call`, `customer`). */
export interface MessageCommon {
  /** `message.timestamp` as epoch ms. */
  timestampMs?: number;
  /** `message.call.id`, else the chat's or session's id (Vapi's chat API). */
  conversationId?: string;
  /** `message.call.id` */
  callId?: string;
  /** `message.call.type`: inboundPhoneCall, outboundPhoneCall, webCall. */
  callType?: string;
  /** `message.call.assistantId` */
  assistantId?: string;
  /** The caller, E.164 as Vapi sends it: `message.customer.number`, else `message.call.customer.number`. */
  customerNumber?: string;
}

/** One tool call of a `tool-calls` message (spec `ToolCall`), its arguments parsed. */
export interface ToolCall {
  /** The `toolCallId` the reply must name. */
  id: string;
  name: string;
  /** The arguments as an object, or why they are not one (answered as that tool's error, not a 400). */
  arguments: { ok: true; value: Json } | { ok: false; error: string };
}

/** The types the handlers answer in their own way; every other known or unknown type is `other`. */
export type AnsweredType =
  | 'transfer-destination-request'
  | 'handoff-destination-request'
  | 'knowledge-base-request'
  | 'call.endpointing.request'
  | 'campaign.predial';

/** A parsed server message, by `type` (`transcript[transcriptType="final"]` is a `transcript`: `other`). */
export type ServerMessage = MessageCommon &
  (
    | { type: 'tool-calls'; toolCalls: ToolCall[] }
    | { type: 'function-call'; functionCall: { name: string; arguments: ToolCall['arguments'] } }
    | { type: 'assistant-request' }
    | { type: 'end-of-call-report'; report: EndOfCallReport }
    | { type: 'status-update'; status: string; endedReason?: string }
    | { type: AnsweredType }
    | { type: 'other'; vapiType: string; known: boolean }
  );

const ANSWERED = new Set<string>([
  'transfer-destination-request',
  'handoff-destination-request',
  'knowledge-base-request',
  'call.endpointing.request',
  'campaign.predial',
]);

/**
 * The typed message of an envelope from {@link parseEnvelope}.
 * @throws MalformedMessageError (a field of the wrong type; a tool call without id or name; a
 *   status-update without call id or status; an end-of-call-report without call id)
 */
export function parseServerMessage(message: Json): ServerMessage {
  const rawType = message.type as string;
  const common: MessageCommon = {
    timestampMs: timestampMs(message),
    callId: callIdOf(message),
    conversationId: conversationIdOf(message),
    callType: str(message, 'call.type', 'message.call.type'),
    assistantId: str(message, 'call.assistantId', 'message.call.assistantId'),
    customerNumber: customerNumberOf(message),
  };
  switch (rawType) {
    case 'tool-calls':
      return { ...common, type: 'tool-calls', toolCalls: toolCallsOf(message) };
    case 'function-call': {
      const name = str(message, 'functionCall.name', 'message.functionCall.name');
      if (!name) throw new MalformedMessageError('function-call has no "message.functionCall.name"');
      const fn = isObject(message.functionCall) ? message.functionCall : {};
      return { ...common, type: 'function-call', functionCall: { name, arguments: argumentsOf(fn.parameters ?? {}) } };
    }
    case 'assistant-request':
      return { ...common, type: 'assistant-request' };
    case 'end-of-call-report':
      return { ...common, type: 'end-of-call-report', report: reportOf(message, common) };
    case 'status-update': {
      const status = str(message, 'status', 'message.status');
      if (!common.callId || !status)
        throw new MalformedMessageError('status-update needs "message.call.id" and "message.status"');
      return { ...common, type: 'status-update', status, endedReason: str(message, 'endedReason') };
    }
    default:
      if (ANSWERED.has(rawType)) return { ...common, type: rawType as AnsweredType };
      return {
        ...common,
        type: 'other',
        vapiType: rawType,
        // `serverMessages` can ask for final transcripts only; that message is a transcript like any other.
        known: VAPI_MESSAGE_TYPES.has(rawType.startsWith('transcript[') ? 'transcript' : rawType),
      };
  }
}

/** `toolCallList` (current), `toolCalls` (legacy) or `toolWithToolCallList[].toolCall`, in that order. */
function toolCallsOf(message: Json): ToolCall[] {
  const fromPairs = Array.isArray(message.toolWithToolCallList)
    ? message.toolWithToolCallList.map((t) => (isObject(t) ? t.toolCall : undefined))
    : undefined;
  const list = message.toolCallList ?? message.toolCalls ?? fromPairs;
  if (!Array.isArray(list) || list.length === 0)
    throw new MalformedMessageError('tool-calls message has no "toolCallList"');
  return list.map((item, i) => {
    if (!isObject(item)) throw new MalformedMessageError(`toolCallList[${i}] must be an object`);
    const id = str(item, 'id', `toolCallList[${i}].id`) ?? str(item, 'toolCallId', `toolCallList[${i}].toolCallId`);
    const name =
      str(item, 'function.name', `toolCallList[${i}].function.name`) ?? str(item, 'name', `toolCallList[${i}].name`);
    if (!id) throw new MalformedMessageError(`toolCallList[${i}] has no "id"`);
    if (!name) throw new MalformedMessageError(`toolCallList[${i}] has no "function.name"`);
    const fn = isObject(item.function) ? item.function : {};
    return {
      id,
      name,
      arguments: argumentsOf(fn.arguments ?? item.arguments ?? item.parameters ?? fn.parameters ?? {}),
    };
  });
}

/** Tool arguments: an object, or a JSON string of one (both sent by Vapi). */
function argumentsOf(args: unknown): ToolCall['arguments'] {
  let value = args;
  if (typeof value === 'string') {
    if (nestsDeeperThan(Buffer.from(value), MAX_JSON_DEPTH))
      return { ok: false, error: `The tool arguments nest deeper than ${MAX_JSON_DEPTH} levels.` };
    try {
      value = value.trim() ? JSON.parse(value) : {};
    } catch {
      return { ok: false, error: 'The tool arguments are not valid JSON.' };
    }
  }
  if (!isObject(value)) return { ok: false, error: 'The tool arguments must be a JSON object.' };
  return { ok: true, value };
}

/**
 * `message.call` is a snapshot from call creation, so outcome fields come from the top level first.
 * A date outside 2000…2100, a duration outside 0…{@link MAX_CALL_SECONDS} or a cost outside
 * 0…{@link MAX_CALL_COST} is left out (the report is kept: its transcript and summary matter).
 */
function reportOf(m: Json, common: MessageCommon): EndOfCallReport {
  if (!common.callId) throw new MalformedMessageError('end-of-call-report has no "message.call.id"');
  const startedAt = instant(m, 'startedAt') ?? instant(m, 'call.startedAt');
  const endedAt = instant(m, 'endedAt') ?? instant(m, 'call.endedAt');
  const ms = num(m, 'durationMs');
  let durationSeconds = within(
    num(m, 'durationSeconds') ?? (ms === undefined ? undefined : ms / 1000),
    0,
    MAX_CALL_SECONDS,
  );
  if (durationSeconds === undefined && startedAt && endedAt)
    durationSeconds = within((Date.parse(endedAt) - Date.parse(startedAt)) / 1000, 0, MAX_CALL_SECONDS);
  const structuredOutputs: Record<string, unknown> = {};
  const outputs = at(m, 'artifact.structuredOutputs');
  if (isObject(outputs))
    for (const o of Object.values(outputs))
      if (isObject(o) && typeof o.name === 'string') structuredOutputs[o.name] = o.result;
  return {
    callId: common.callId,
    callName: str(m, 'call.name'),
    callType: common.callType,
    assistantId: common.assistantId ?? str(m, 'assistant.id'),
    startedAt,
    endedAt,
    durationSeconds,
    endedReason: str(m, 'endedReason') ?? str(m, 'call.endedReason'),
    cost: within(num(m, 'cost') ?? num(m, 'costBreakdown.total'), 0, MAX_CALL_COST),
    costBreakdown: at(m, 'costBreakdown') ?? at(m, 'costs'),
    customerNumber: common.customerNumber,
    structuredOutputs,
    analysis: {
      summary: str(m, 'analysis.summary'),
      successEvaluation: at(m, 'analysis.successEvaluation') ?? undefined,
    },
    summary: str(m, 'summary'),
    transcript: str(m, 'artifact.transcript') ?? str(m, 'transcript'),
    recordingUrl:
      str(m, 'artifact.recordingUrl') ?? str(m, 'artifact.recording.mono.combinedUrl') ?? str(m, 'recordingUrl'),
  };
}
