/**
 * Reading Vapi server messages defensively (spec `ServerMessage*`; vapi-reference.md §2).
 * A field that is present with the wrong type is a malformed message (400); a missing
 * optional field is fine.
 */
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

/** Parses the raw body into `{ message: { type, … } }`. @throws MalformedMessageError */
export function parseEnvelope(raw: Buffer): Json {
  if (raw.length === 0) throw new MalformedMessageError('empty body; expected {"message": {"type": …}}');
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
export function at(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const k of path.split('.')) {
    if (!isObject(cur)) return undefined;
    cur = cur[k];
  }
  return cur;
}

/** A string at `path`, or undefined; numbers are accepted as text. @throws MalformedMessageError on another type */
export function str(obj: unknown, path: string, label = path): string | undefined {
  const v = at(obj, path);
  if (v === undefined || v === null) return undefined;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  throw new MalformedMessageError(`"${label}" must be a string`);
}

/** A number at `path` (numeric strings accepted), or undefined. @throws MalformedMessageError */
export function num(obj: unknown, path: string, label = path): number | undefined {
  const v = at(obj, path);
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new MalformedMessageError(`"${label}" must be a number`);
  return n;
}

/** `message.timestamp` (epoch ms number or ISO string, both seen from Vapi) as epoch ms. */
export function timestampMs(message: Json): number | undefined {
  const t = message.timestamp;
  if (typeof t === 'number' && Number.isFinite(t)) return t;
  if (typeof t === 'string') {
    const ms = /^\d+$/.test(t) ? Number(t) : Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  if (t !== undefined && t !== null)
    throw new MalformedMessageError('"message.timestamp" must be epoch milliseconds or an ISO date');
  return undefined;
}

/** The call id: `message.call.id`. */
export function callIdOf(message: Json): string | undefined {
  return str(message, 'call.id', 'message.call.id');
}

/** The caller's number: `message.customer.number`, else `message.call.customer.number`; web calls have none. */
export function customerNumberOf(message: Json): string | undefined {
  return (
    str(message, 'customer.number', 'message.customer.number') ??
    str(message, 'call.customer.number', 'message.call.customer.number')
  );
}
