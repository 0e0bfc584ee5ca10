import { createHash } from 'node:crypto';
import type { Store } from '../store/types.js';
import { StoreUnavailableError } from '../store/types.js';
import type { BotConfig } from '../domain/clinic.js';
import { AppointmentBook } from '../domain/appointments.js';
import { callLogFromReport, sealCallLog } from '../domain/call-records.js';
import { recordReminderCallEnd, reminderIdOfCall } from '../domain/outbox.js';
import { spokenDateTime } from '../domain/spoken-time.js';
import { isObject, type Json, type ServerMessage, type ToolCall } from '../vapi/server-message.js';
import { assistantForVapi } from '../vapi/assistant-body.js';
import { LOOKUP_TOOLS, READ_ONLY_TOOLS, toolHandlers } from './tools/index.js';
import { toE164 } from '../domain/contact.js';
import { isSealed } from '../crypto/seal.js';
import { ToolInputError, type ToolContext } from './tools/context.js';
import { argumentProblem } from './tools/arguments.js';
import type { Computed, ReplyCache } from './replies.js';
import type { CallEventWriter } from './call-events.js';
import type { FieldSealer } from '../domain/sealer.js';
import { DateTime } from 'luxon';

/** What handling one message produced: the HTTP reply plus what to report (no sensitive values). */
export interface Handled {
  status: number;
  body: unknown;
  outcome: 'ok' | 'replayed' | 'duplicate' | 'tool-error' | 'ignored' | 'spooled' | 'unavailable' | 'unknown-type';
  tools?: string[];
}

/** What `transfer-destination-request` hears while the call is moved (spec `ToolMessageStart`). */
export const TRANSFER_MESSAGE = 'Connecting you to our front desk now.';

export interface MessageContext {
  store: Store;
  /** Seals sensitive fields before they are stored; cannot open them. */
  sealer: FieldSealer;
  config: BotConfig;
  now: () => Date;
  replies: ReplyCache;
  /** Writes call logs and statuses, spooling them while the store is down (DUR-2). */
  callEvents: CallEventWriter;
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
 * Tool calls and `assistant-request` answer even when the store is down (a spoken apology;
 * the assistant without caller details); call-log events are spooled when a spool is set.
 * @throws MalformedMessageError (400), StoreUnavailableError (503: a call-log event that could be neither written nor spooled)
 */
export async function handleMessage(message: ServerMessage, raw: Buffer, ctx: MessageContext): Promise<Handled> {
  switch (message.type) {
    case 'tool-calls':
      return handleToolCalls(message, ctx);
    case 'function-call':
      return handleFunctionCall(message, raw, ctx);
    case 'assistant-request':
      return handleAssistantRequest(message, ctx);
    case 'end-of-call-report': {
      if (message.report.customerNumber) await ctx.sealer.prepare({ phones: [message.report.customerNumber] });
      const record = sealCallLog(callLogFromReport(message.report, ctx.now()), ctx.sealer);
      const outcome = await ctx.callEvents.write({ kind: 'call-log', record });
      // A reminder call's outcome decides whether the reminder was delivered. Best effort: when the
      // store cannot take it now, the outbox worker asks Vapi for the call's outcome itself.
      if (reminderIdOfCall(message.report.callName))
        await recordReminderCallEnd(ctx.store, message.report, ctx.now()).catch(() => false);
      return { status: 200, body: {}, outcome };
    }
    case 'status-update': {
      const outcome = await ctx.callEvents.write({
        kind: 'call-status',
        status: {
          _id: message.callId!,
          status: message.status,
          endedReason: message.endedReason,
          at: message.timestampMs ?? ctx.now().getTime(),
          callType: message.callType,
          assistantId: message.assistantId,
        },
      });
      return { status: 200, body: {}, outcome: outcome === 'duplicate' ? 'ok' : outcome };
    }
    case 'transfer-destination-request':
      return { status: 200, body: transferDestination(ctx.config), outcome: 'ok' };
    // The replies below are for features this assistant does not configure (handoffs, a custom knowledge
    // base, custom endpointing, campaigns); each is still answered in the shape Vapi expects
    // (spec `ServerMessageResponse*`), so a misconfigured assistant never stalls a call.
    case 'handoff-destination-request':
      return {
        status: 200,
        body: { destination: {}, error: 'This assistant does not hand calls off to other assistants.' },
        outcome: 'ok',
      };
    case 'knowledge-base-request':
      return { status: 200, body: { documents: [] }, outcome: 'ok' };
    case 'call.endpointing.request':
      return { status: 200, body: { timeoutSeconds: 1 }, outcome: 'ok' };
    case 'campaign.predial':
      return { status: 200, body: { eligible: true }, outcome: 'ok' };
    case 'other':
      // Vapi adds message types: an unknown one is acknowledged (and reported once by the app), never refused.
      return { status: 200, body: {}, outcome: message.known ? 'ignored' : 'unknown-type' };
  }
}

/**
 * The front desk for `transfer-destination-request` (spec `ServerMessageResponseTransferDestinationRequest`,
 * destination `TransferDestinationNumber`): the clinic's `frontDeskNumber`, else the first number
 * destination of the assistant's `transferCall` tool; without either, an `error` the caller hears.
 */
export function transferDestination(config: BotConfig): Json {
  const number = config.clinic.frontDeskNumber ?? transferToolNumber(config);
  if (!number) return { error: "Sorry, I can't transfer you right now. Please call the clinic's front desk directly." };
  return {
    destination: { type: 'number', number, message: TRANSFER_MESSAGE },
    message: { type: 'request-start', content: TRANSFER_MESSAGE },
  };
}

function transferToolNumber(config: BotConfig): string | undefined {
  const model = isObject(config.assistant.model) ? config.assistant.model : {};
  for (const t of Array.isArray(model.tools) ? model.tools : []) {
    if (!isObject(t) || t.type !== 'transferCall' || !Array.isArray(t.destinations)) continue;
    for (const d of t.destinations)
      if (isObject(d) && d.type === 'number' && typeof d.number === 'string') return d.number;
  }
  return undefined;
}

/** Spoken when the store cannot answer in time (DUR-2); never cached, so a redelivery retries. */
export const STORE_DOWN_APOLOGY =
  "I'm sorry, our system is not responding right now. Please try again in a few minutes, or I can transfer you to the front desk.";

async function handleToolCalls(
  message: Extract<ServerMessage, { type: 'tool-calls' }>,
  ctx: MessageContext,
): Promise<Handled> {
  const calls = message.toolCalls;
  // A tool call of Vapi's chat API has no call: its chat or session stands in for it.
  const callId = message.callId ?? message.conversationId ?? '';
  const results: (ToolCallResult | undefined)[] = calls.map(() => undefined);
  let replayed = 0;
  let failed = 0;
  let unavailable = false;
  // In order, one after another: a check_availability hold must exist before a later book_appointment in the same list.
  // A store that is down fails fast (serve's short server-selection and socket timeouts), and
  // the calls not yet answered get a spoken apology, so the caller is never left in silence (DUR-2).
  for (const [i, call] of calls.entries()) {
    try {
      await prepareIndexes(call, message, ctx);
      const { value, isReplay } = await ctx.replies.once(`tool:${callId}:${call.id}`, () =>
        runTool(call, message, callId, ctx),
      );
      if (isReplay) replayed++;
      if (value.error) failed++;
      results[i] = value;
    } catch (err) {
      if (!(err instanceof StoreUnavailableError)) throw err;
      unavailable = true;
      break;
    }
  }
  const body = {
    results: calls.map((c, i) => results[i] ?? { toolCallId: c.id, name: c.name, error: STORE_DOWN_APOLOGY }),
  };
  return {
    status: 200,
    body,
    outcome: unavailable ? 'unavailable' : replayed === calls.length ? 'replayed' : failed ? 'tool-error' : 'ok',
    tools: calls.map((c) => c.name),
  };
}

/** A number already in E.164 form ("+919812345678"). */
const E164 = /^\+[1-9]\d{6,14}$/;

/**
 * Stretches the blind indexes a tool call of {@link LOOKUP_TOOLS} will need (the caller's number, a phone and the names in
 * its arguments) before its atomic step begins: ~10 ms of scrypt each on the thread pool, never
 * inside the step (which holds the embedded store's write lock) nor on the event loop.
 */
async function prepareIndexes(call: ToolCall, message: ServerMessage, ctx: MessageContext): Promise<void> {
  if (!LOOKUP_TOOLS.has(call.name)) return;
  const args = call.arguments.ok ? call.arguments.value : {};
  const text = (k: string) => (typeof args[k] === 'string' && args[k].trim() ? [args[k].trim()] : []);
  const phone = text('phone').flatMap((p) => toE164(p, ctx.config.clinic.defaultRegion) ?? []);
  const caller = message.customerNumber ? [message.customerNumber] : [];
  // Vapi sends the caller's number in E.164 already, and the raw number is prepared anyway.
  const callerE164 = caller.flatMap((p) => (E164.test(p) ? [] : (toE164(p, ctx.config.clinic.defaultRegion) ?? [])));
  try {
    await ctx.sealer.prepare({
      phones: [...new Set([...phone, ...caller, ...callerE164])],
      names: [...text('name'), ...text('patientName'), ...text('customerName')],
    });
  } catch {
    // Only a head start: the tool computes what it needs itself.
  }
}

async function runTool(
  call: ToolCall,
  message: ServerMessage,
  callId: string,
  ctx: MessageContext,
): Promise<Computed<ToolCallResult>> {
  const base = { toolCallId: call.id, name: call.name };
  const handler = Object.hasOwn(toolHandlers, call.name) ? toolHandlers[call.name] : undefined;
  if (!handler)
    return {
      value: {
        ...base,
        error: `Unknown tool "${call.name.slice(0, 64)}". Known tools: ${Object.keys(toolHandlers).join(', ')}.`,
      },
      cache: true,
    };
  if (!call.arguments.ok) return { value: { ...base, error: call.arguments.error }, cache: true };
  const args = call.arguments.value;
  const problem = argumentProblem(ctx.config.tools, call.name, args);
  if (problem) return { value: { ...base, error: problem }, cache: true };
  const toolCtx: ToolContext = {
    store: ctx.store,
    config: ctx.config,
    now: ctx.now,
    callId,
    toolCallId: call.id,
    customerNumber: message.customerNumber,
    sealer: ctx.sealer,
  };
  try {
    const result = await handler(args, toolCtx);
    return { value: { ...base, result }, cache: READ_ONLY_TOOLS.has(call.name) ? 'writes-only' : true };
  } catch (err) {
    if (err instanceof ToolInputError) return { value: { ...base, error: err.message }, cache: true };
    if (err instanceof StoreUnavailableError) throw err;
    ctx.onToolFailure(call.name, err);
    // Not cached: a redelivery may succeed.
    return {
      value: { ...base, error: 'Sorry, something went wrong on our side. Please try again in a moment.' },
      cache: false,
    };
  }
}

/** Legacy `function-call` (`functionCall: {name, parameters}`), answered `{result}`; keyed by body hash since it has no id. */
async function handleFunctionCall(
  message: Extract<ServerMessage, { type: 'function-call' }>,
  raw: Buffer,
  ctx: MessageContext,
): Promise<Handled> {
  const { name } = message.functionCall;
  const id = createHash('sha256').update(raw).digest('hex').slice(0, 32);
  // A tool call of Vapi's chat API has no call: its chat or session stands in for it.
  const callId = message.callId ?? message.conversationId ?? '';
  const call: ToolCall = { id, name, arguments: message.functionCall.arguments };
  let once;
  try {
    await prepareIndexes(call, message, ctx);
    once = await ctx.replies.once(`fn:${callId}:${id}`, () => runTool(call, message, callId, ctx));
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    return { status: 200, body: { error: STORE_DOWN_APOLOGY }, outcome: 'unavailable', tools: [name] };
  }
  const { value, isReplay } = once;
  return {
    status: 200,
    body: value.error ? { error: value.error } : { result: value.result },
    outcome: isReplay ? 'replayed' : value.error ? 'tool-error' : 'ok',
    tools: [name],
  };
}

/**
 * `assistant-request`: the synced assistant (`assistantId`) or, before any sync, the stored
 * assistant inline; a caller known by number gets `variableValues` { name, lastAppointment }
 * and a personal first message. Must answer well within Vapi's 7.5 s.
 */
async function handleAssistantRequest(message: ServerMessage, ctx: MessageContext): Promise<Handled> {
  // Not kept in the reply cache: it writes nothing, so a redelivery is simply answered again, and
  // the reply holds the caller's name (and the whole inline assistant before a sync).
  try {
    return { status: 200, body: await assistantReply(message, ctx), outcome: 'ok' };
  } catch (err) {
    if (!(err instanceof StoreUnavailableError)) throw err;
    // The call must still be answered: the assistant without the caller's details.
    return { status: 200, body: baseAssistant(ctx.config), outcome: 'unavailable' };
  }
}

async function assistantReply(message: ServerMessage, ctx: MessageContext): Promise<Json> {
  const base = baseAssistant(ctx.config);
  const number = message.customerNumber;
  if (!number) return base;
  await ctx.sealer.prepare({ phones: [number] });
  const phoneIndex = ctx.sealer.index(number);
  const customer = await ctx.store.collection('customers').findOne({ phoneIndex });
  if (!customer) return base;
  const latest = await new AppointmentBook(ctx.store, ctx.config.clinic, ctx.now, ctx.sealer).latestFor(phoneIndex);
  const zone = ctx.config.clinic.timeZone;
  const lastAppointment = latest
    ? `${latest.doctorName} on ${spokenDateTime(DateTime.fromISO(latest.start, { zone }))}`
    : '';
  // The name is sealed (serve cannot open it): a record from before sealing still greets by name.
  const name = typeof customer.name === 'string' && !isSealed(customer.name) ? customer.name : '';
  const firstName = name.split(/\s+/)[0] ?? '';
  return {
    ...base,
    assistantOverrides: {
      variableValues: { ...(name ? { name } : {}), lastAppointment },
      firstMessage: `Welcome back${firstName ? `, ${firstName}` : ''}! Are you calling about a doctor appointment or AC support today?`,
    },
  };
}

/** The synced assistant by id or, before any sync, inline. */
function baseAssistant(config: BotConfig): Json {
  const assistantId = config.vapi?.assistantId;
  return assistantId ? { assistantId } : { assistant: inlineAssistant(config) };
}

/** The stored assistant with its function tools inline (transient assistant, spec `CreateAssistantDTO`). */
export function inlineAssistant(config: BotConfig): Json {
  const assistant = assistantForVapi(config);
  const model = isObject(assistant.model) ? assistant.model : {};
  const builtIn = Array.isArray(model.tools) ? model.tools : [];
  return { ...assistant, model: { ...model, tools: [...builtIn, ...config.tools] } };
}
