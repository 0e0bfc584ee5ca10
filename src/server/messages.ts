import { createHash } from 'node:crypto';
import type { Store } from '../store/types.js';
import { StoreUnavailableError } from '../store/types.js';
import type { BotConfig, Customer } from '../domain/clinic.js';
import { AppointmentBook } from '../domain/appointments.js';
import { callLogFromReport, recordCallLog, recordCallStatus } from '../domain/call-records.js';
import { spokenDateTime } from '../domain/spoken-time.js';
import { MalformedMessageError, VAPI_MESSAGE_TYPES, callIdOf, customerNumberOf, isObject, str, timestampMs, type Json } from '../vapi/server-message.js';
import { toolHandlers } from './tools/index.js';
import { ToolInputError, type ToolContext } from './tools/context.js';
import type { ReplyCache } from './replies.js';
import type { FieldSealer } from '../domain/sealer.js';
import { DateTime } from 'luxon';

/** What handling one message produced: the HTTP reply plus what to report (no sensitive values). */
export interface Handled {
  status: number;
  body: unknown;
  outcome: 'ok' | 'replayed' | 'duplicate' | 'tool-error' | 'ignored';
  tools?: string[];
}

export interface MessageContext {
  store: Store;
  /** Seals sensitive fields before they are stored; cannot open them. */
  sealer: FieldSealer;
  config: BotConfig;
  now: () => Date;
  replies: ReplyCache;
  /** Reports an unexpected failure inside one tool (the reply still carries an error entry). */
  onToolFailure: (tool: string, err: unknown) => void;
}

/** One entry of the `tool-calls` reply (spec `ToolCallResult`: `name` and `toolCallId` required). */
export interface ToolCallResult {
  toolCallId: string;
  name: string;
  result?: string;
  error?: string;
}

/**
 * Dispatches one server message by `type`.
 * @throws MalformedMessageError (400), StoreUnavailableError (503)
 */
export async function handleMessage(message: Json, raw: Buffer, ctx: MessageContext): Promise<Handled> {
  const type = message.type as string;
  timestampMs(message); // validates the type of `timestamp`
  switch (type) {
    case 'tool-calls':
      return handleToolCalls(message, ctx);
    case 'function-call':
      return handleFunctionCall(message, raw, ctx);
    case 'assistant-request':
      return handleAssistantRequest(message, ctx);
    case 'end-of-call-report': {
      const record = callLogFromReport(message, ctx.now());
      const isNew = await recordCallLog(ctx.store, record, ctx.sealer);
      return { status: 200, body: {}, outcome: isNew ? 'ok' : 'duplicate' };
    }
    case 'status-update': {
      const callId = callIdOf(message);
      const status = str(message, 'status', 'message.status');
      if (!callId || !status) throw new MalformedMessageError('status-update needs "message.call.id" and "message.status"');
      await recordCallStatus(ctx.store, {
        _id: callId,
        status,
        endedReason: str(message, 'endedReason'),
        at: timestampMs(message) ?? ctx.now().getTime(),
        callType: str(message, 'call.type'),
        assistantId: str(message, 'call.assistantId'),
      });
      return { status: 200, body: {}, outcome: 'ok' };
    }
    default:
      if (!VAPI_MESSAGE_TYPES.has(type)) throw new MalformedMessageError(`unknown message type "${type.slice(0, 64)}"`);
      return { status: 200, body: {}, outcome: 'ignored' };
  }
}

interface ToolCall {
  id: string;
  name: string;
  args: unknown;
}

/** `toolCallList` (current), `toolCalls` (legacy) or `toolWithToolCallList[].toolCall`, in that order. */
function toolCallsOf(message: Json): ToolCall[] {
  const fromPairs = Array.isArray(message.toolWithToolCallList)
    ? message.toolWithToolCallList.map((t) => (isObject(t) ? t.toolCall : undefined))
    : undefined;
  const list = message.toolCallList ?? message.toolCalls ?? fromPairs;
  if (!Array.isArray(list) || list.length === 0) throw new MalformedMessageError('tool-calls message has no "toolCallList"');
  return list.map((item, i) => {
    if (!isObject(item)) throw new MalformedMessageError(`toolCallList[${i}] must be an object`);
    const id = str(item, 'id', `toolCallList[${i}].id`) ?? str(item, 'toolCallId', `toolCallList[${i}].toolCallId`);
    const name = str(item, 'function.name', `toolCallList[${i}].function.name`) ?? str(item, 'name', `toolCallList[${i}].name`);
    if (!id) throw new MalformedMessageError(`toolCallList[${i}] has no "id"`);
    if (!name) throw new MalformedMessageError(`toolCallList[${i}] has no "function.name"`);
    const fn = isObject(item.function) ? item.function : {};
    return { id, name, args: fn.arguments ?? item.arguments ?? item.parameters ?? fn.parameters ?? {} };
  });
}

async function handleToolCalls(message: Json, ctx: MessageContext): Promise<Handled> {
  const calls = toolCallsOf(message);
  const callId = callIdOf(message) ?? '';
  const results: ToolCallResult[] = [];
  let replayed = 0;
  let failed = 0;
  // In order, one after another: a check_availability hold must exist before a later book_appointment in the same list.
  for (const call of calls) {
    const { value, isReplay } = await ctx.replies.once(`tool:${callId}:${call.id}`, () => runTool(call, message, callId, ctx));
    if (isReplay) replayed++;
    if (value.error) failed++;
    results.push(value);
  }
  return {
    status: 200,
    body: { results },
    outcome: replayed === calls.length ? 'replayed' : failed ? 'tool-error' : 'ok',
    tools: calls.map((c) => c.name),
  };
}

async function runTool(call: ToolCall, message: Json, callId: string, ctx: MessageContext): Promise<{ value: ToolCallResult; cache: boolean }> {
  const base = { toolCallId: call.id, name: call.name };
  const handler = Object.hasOwn(toolHandlers, call.name) ? toolHandlers[call.name] : undefined;
  if (!handler) return { value: { ...base, error: `Unknown tool "${call.name.slice(0, 64)}". Known tools: ${Object.keys(toolHandlers).join(', ')}.` }, cache: true };
  let args = call.args;
  if (typeof args === 'string') {
    try {
      args = args.trim() ? JSON.parse(args) : {};
    } catch {
      return { value: { ...base, error: 'The tool arguments are not valid JSON.' }, cache: true };
    }
  }
  if (!isObject(args)) return { value: { ...base, error: 'The tool arguments must be a JSON object.' }, cache: true };
  const toolCtx: ToolContext = {
    store: ctx.store,
    config: ctx.config,
    now: ctx.now,
    callId,
    toolCallId: call.id,
    customerNumber: customerNumberOf(message),
    sealer: ctx.sealer,
  };
  try {
    return { value: { ...base, result: await handler(args, toolCtx) }, cache: true };
  } catch (err) {
    if (err instanceof ToolInputError) return { value: { ...base, error: err.message }, cache: true };
    if (err instanceof StoreUnavailableError) throw err;
    ctx.onToolFailure(call.name, err);
    // Not cached: a redelivery may succeed.
    return { value: { ...base, error: 'Sorry, something went wrong on our side. Please try again in a moment.' }, cache: false };
  }
}

/** Legacy `function-call` (`functionCall: {name, parameters}`), answered `{result}`; keyed by body hash since it has no id. */
async function handleFunctionCall(message: Json, raw: Buffer, ctx: MessageContext): Promise<Handled> {
  const name = str(message, 'functionCall.name', 'message.functionCall.name');
  if (!name) throw new MalformedMessageError('function-call has no "message.functionCall.name"');
  const id = createHash('sha256').update(raw).digest('hex').slice(0, 32);
  const callId = callIdOf(message) ?? '';
  const call = { id, name, args: (message.functionCall as Json).parameters ?? {} };
  const { value, isReplay } = await ctx.replies.once(`fn:${callId}:${id}`, () => runTool(call, message, callId, ctx));
  return { status: 200, body: value.error ? { error: value.error } : { result: value.result }, outcome: isReplay ? 'replayed' : value.error ? 'tool-error' : 'ok', tools: [name] };
}

/**
 * `assistant-request`: the synced assistant (`assistantId`) or, before any sync, the stored
 * assistant inline; a caller known by number gets `variableValues` { name, lastAppointment }
 * and a personal first message. Must answer well within Vapi's 7.5 s.
 */
async function handleAssistantRequest(message: Json, ctx: MessageContext): Promise<Handled> {
  const callId = callIdOf(message) ?? '';
  const compute = async () => ({ value: await assistantReply(message, ctx), cache: Boolean(callId) });
  const { value, isReplay } = callId
    ? await ctx.replies.once(`assistant-request:${callId}`, compute)
    : { value: (await compute()).value, isReplay: false };
  return { status: 200, body: value, outcome: isReplay ? 'replayed' : 'ok' };
}

async function assistantReply(message: Json, ctx: MessageContext): Promise<Json> {
  const assistantId = ctx.config.vapi?.assistantId;
  const base: Json = assistantId ? { assistantId } : { assistant: inlineAssistant(ctx.config) };
  const number = customerNumberOf(message);
  if (!number) return base;
  const phoneIndex = ctx.sealer.index(number);
  const customer = await ctx.store.collection<Customer>('customers').findOne({ phoneIndex });
  if (!customer) return base;
  const latest = await new AppointmentBook(ctx.store, ctx.config.clinic, ctx.now, ctx.sealer).latestFor(phoneIndex);
  const zone = ctx.config.clinic.timeZone;
  const lastAppointment = latest ? `${latest.doctorName} on ${spokenDateTime(DateTime.fromISO(latest.start, { zone }))}` : '';
  const firstName = customer.name.split(/\s+/)[0] ?? customer.name;
  return {
    ...base,
    assistantOverrides: {
      variableValues: { name: customer.name, lastAppointment },
      firstMessage: `Welcome back, ${firstName}! Are you calling about a doctor appointment or AC support today?`,
    },
  };
}

/** The stored assistant with its function tools inline (transient assistant, spec `CreateAssistantDTO`). */
function inlineAssistant(config: BotConfig): Json {
  const model = isObject(config.assistant.model) ? config.assistant.model : {};
  const builtIn = Array.isArray(model.tools) ? model.tools : [];
  return { ...config.assistant, model: { ...model, tools: [...builtIn, ...config.tools] } };
}
