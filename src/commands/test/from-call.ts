import fs from 'node:fs';
import path from 'node:path';
import { DateTime } from 'luxon';
import { stringify } from 'yaml';
import { StoreError, UserError } from '../../errors.js';
import { requireBotConfig } from '../../domain/clinic.js';
import { appendAudit } from '../../domain/audit.js';
import { recordingContext } from '../../domain/recordings.js';
import { callLogContext } from '../../domain/call-records.js';
import { openField, revealField } from '../../domain/sealer.js';
import { Deidentifier } from '../../domain/deidentify.js';
import type { AssistantTest, ToolCallExpectation, Turn } from '../../domain/assistant-test.js';
import { implement, type RenderContext } from '../shared/command.js';
import type { Context } from '../shared/context.js';
import { schemaLine, TESTS_DIR } from '../shared/assistant-tests/shipped.js';
import type { FromCallFlags } from './index.js';

// `receptionist test from-call <call-id>`: a real call as a test file, de-identified, for the
// operator to edit the expectations of.

export interface FromCallOptions {
  callId: string;
  /** undefined: receptionist/tests/from-call-<id>.yaml in the project; `-`: stdout. */
  out?: string;
  force: boolean;
}

export interface FromCallResult {
  /** Where it was written; undefined on stdout. */
  file?: string;
  callId: string;
  source: 'recording' | 'call log';
  turns: number;
  toolCalls: number;
  replaced: { names: number; phones: number; emails: number; appointmentIds: number };
  yaml: string;
}

export function parseFromCall(flags: FromCallFlags): FromCallOptions {
  return { callId: flags.callId, out: flags.out, force: flags.force === true };
}

/** What the booking tool answers, as the shipped tests capture it. */
const BOOKED_ID = 'Your appointment ID is ([A-Z0-9 ,]+)\\.';

type Json = Record<string, unknown>;

/** A recorded message's tool calls: `{name, arguments}` (arguments a JSON string or an object). */
function toolCallsOf(message: Json): Array<{ name: string; arguments: Json }> {
  const list = (message.toolCallList ?? message.toolCalls ?? []) as Array<{
    function?: { name?: string; arguments?: unknown };
  }>;
  return list.flatMap((c) => {
    const name = c.function?.name;
    if (!name) return [];
    let args = c.function?.arguments ?? {};
    if (typeof args === 'string')
      try {
        args = JSON.parse(args) as Json;
      } catch {
        args = {};
      }
    return [{ name, arguments: args as Json }];
  });
}

/**
 * The call's turns, de-identified: from `serve --record`'s messages (the end-of-call report's
 * `artifact.messages` when kept: the caller's words and the tool calls in order; else the tool calls),
 * or from the call log's transcript (the caller's words only).
 */
function turnsOf(messages: Json[], transcript: string | undefined, d: Deidentifier): { turns: Turn[]; ids: number } {
  const turns: Turn[] = [];
  const report = messages.find((m) => m.type === 'end-of-call-report');
  const artifact = ((report?.artifact ?? {}) as Json).messages as Json[] | undefined;
  const calls: Array<Array<{ name: string; arguments: Json }>> = [];
  if (artifact?.length) {
    for (const m of artifact) {
      const text = String(m.message ?? m.content ?? '').trim();
      if (m.role === 'user' && text) turns.push({ caller: text });
      else if (m.role === 'tool_calls') {
        calls.push(toolCallsOf(m));
        turns.push({ assistant: { tools: [] } });
      }
    }
  } else {
    for (const m of messages.filter((x) => x.type === 'tool-calls' || x.type === 'function-call')) {
      calls.push(toolCallsOf(m));
      turns.push({ assistant: { tools: [] } });
    }
    if (!messages.length && transcript)
      for (const line of transcript.split('\n')) {
        const said = /^(?:User|Customer|Caller):\s*(.+)$/i.exec(line.trim())?.[1];
        if (said) turns.push({ caller: said });
      }
  }
  // Names first (from every tool's arguments), so the caller's words lose them too.
  for (const group of calls) for (const c of group) d.arguments(c.arguments);
  // An appointment the call booked itself is referred to by the ID its booking answered with
  // (captured when the test runs); any other is replaced by a made-up ID.
  let booked = 0;
  let ids = 0;
  let next = 0;
  for (const t of turns) {
    if ('caller' in t) continue;
    const tools: ToolCallExpectation[] = [];
    for (const c of calls[next++] ?? []) {
      const args = d.arguments(c.arguments);
      const call: ToolCallExpectation = { name: c.name, arguments: args };
      if (typeof c.arguments.appointmentId === 'string') {
        ids++;
        args.appointmentId = booked ? `{{appointmentId${booked > 1 ? booked : ''}}}` : 'A B C 1 2 3';
      }
      if (c.name === 'book_appointment') {
        booked++;
        call.capture = { [`appointmentId${booked > 1 ? booked : ''}`]: BOOKED_ID };
        call.result = { regex: BOOKED_ID };
      }
      tools.push(call);
    }
    t.assistant.tools = tools;
  }
  for (const t of turns) if ('caller' in t) t.caller = d.text(t.caller);
  return { turns: turns.filter((t) => !('assistant' in t) || t.assistant.tools?.length), ids };
}

/**
 * Reads the call (its recording, else its call log), opened with an admin's keys (audited),
 * de-identifies it and writes the test.
 * @throws UserError (no such call, the file exists), AuthError (wrong password), StoreError (a tampered recording)
 */
export async function runFromCall(opts: FromCallOptions, ctx: Context): Promise<FromCallResult> {
  const store = await ctx.store({ readOnly: true });
  const config = await requireBotConfig(store);
  const recorded = (await store.recordings.list()).filter((r) => r.callId === opts.callId);
  const [logged] = recorded.length ? [] : await store.callLogs.list({ callId: opts.callId, limit: 1 });
  if (!recorded.length && !logged)
    throw new UserError(
      `Call ${opts.callId} is neither recorded nor in the call log of ${store.location}.`,
      'Check the id (`receptionist logs`); `serve --record` keeps whole calls, tool calls included.',
    );
  const unlocked = await ctx.keyring();
  const messages = recorded.map((r) => {
    try {
      const body = openField(r.body, recordingContext(r.callId, r.at, r.seq), unlocked.dataKeys);
      return (JSON.parse(body) as { message: Json }).message;
    } catch {
      throw new StoreError(
        `The recording of call ${opts.callId} at ${r.at} failed authentication; nothing was written.`,
      );
    }
  });
  const transcript = logged
    ? revealField(logged.transcript, callLogContext(opts.callId, 'transcript'), unlocked.dataKeys)
    : undefined;
  await appendAudit(store, {
    at: ctx.now().toISOString(),
    user: unlocked.username,
    action: 'decrypt',
    details: { command: 'test from-call', call: opts.callId, records: messages.length || 1 },
  });
  const d = new Deidentifier();
  const { turns, ids } = turnsOf(messages, transcript, d);
  const first = recorded[0]?.at ?? logged?.startedAt;
  const customer = ((messages[0]?.call as Json | undefined)?.customer as Json | undefined)?.number;
  const test: AssistantTest = {
    name: `From call ${opts.callId}`,
    description:
      'A real call, de-identified. Edit the expectations: what each tool must answer, what the assistant must say, the store afterwards.',
    ...(first
      ? { at: DateTime.fromISO(first).setZone(config.clinic.timeZone).toISO({ suppressMilliseconds: true })! }
      : {}),
    ...(typeof customer === 'string' ? { customerNumber: d.text(customer) } : {}),
    conversation: turns.length ? turns : [{ caller: '(nothing the caller said was kept)' }],
  };
  const tools = turns.flatMap((t) => ('assistant' in t ? (t.assistant.tools ?? []) : []));
  const file =
    opts.out === '-'
      ? undefined
      : opts.out
        ? path.resolve(ctx.cwd, opts.out)
        : path.join(ctx.projectDir, TESTS_DIR, `from-call-${opts.callId.replace(/[^\w.-]/g, '_')}.yaml`);
  const yaml = `${schemaLine(file ? path.dirname(file) : path.join(ctx.projectDir, TESTS_DIR))}\n${stringify(test, { lineWidth: 0 })}`;
  if (file) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    try {
      fs.writeFileSync(file, yaml, { flag: opts.force ? 'w' : 'wx' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST')
        throw new UserError(`${file} exists.`, 'Pass --force to overwrite it, or --out another file.');
      throw err;
    }
  }
  return {
    file,
    callId: opts.callId,
    source: recorded.length ? 'recording' : 'call log',
    turns: turns.length,
    toolCalls: tools.length,
    replaced: { ...d.replaced, appointmentIds: ids },
    yaml,
  };
}

export function renderFromCall(r: FromCallResult, _o: FromCallOptions, { io, globals }: RenderContext): void {
  if (globals.json) {
    const { yaml: _yaml, ...rest } = r;
    io.line(JSON.stringify(rest, null, 2));
    return;
  }
  if (!r.file) {
    io.line(r.yaml.trimEnd());
    return;
  }
  io.info(
    `Wrote ${r.file} from the call's ${r.source}: ${r.turns} turns, ${r.toolCalls} tool calls; replaced ${r.replaced.names} names, ${r.replaced.phones} numbers, ${r.replaced.emails} emails, ${r.replaced.appointmentIds} appointment IDs.`,
  );
  io.info('Edit its expectations, then: receptionist test --local');
}

export const fromCall = implement({ parse: parseFromCall, run: runFromCall, render: renderFromCall });
