import { DateTime } from 'luxon';
import type { Store } from '../store/types.js';
import type { AssistantTest, TextMatcher, ToolCallExpectation } from '../domain/assistant-test.js';

/**
 * A test of the assistant run locally and deterministically (`receptionist test --local`): the
 * scripted tool calls go, in order, through serve's own message path (`send`), as Vapi would post
 * them in one call; what each tool answers is checked, values are captured for later turns, and the
 * store is checked afterwards. What only a model can show (what the assistant says, a tool it must
 * not choose) is listed as not checked here, never counted as passed.
 */

/** One expectation of a run: checked (ok or not), or not checked in this kind of run and why. */
export interface TestCheck {
  what: string;
  status: 'passed' | 'failed' | 'skipped';
  detail?: string;
}

export interface TestRun {
  name: string;
  /** Every checked expectation held, and at least one was checked. */
  passed: boolean;
  checks: TestCheck[];
}

/** What a local run needs: serve's message path, the store it writes, the clinic's zone. */
export interface LocalRunDeps {
  /** Posts one Vapi server message to serve's code path (as Vapi does, in `{message}`); its reply. */
  send(message: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
  store: Store;
  /** IANA zone the `start` of a store expectation is read in. */
  timeZone: string;
}

/** Vapi's built-in tools: the model calls them, serve never sees them. */
const VAPI_TOOLS = new Set(['transferCall', 'endCall']);

/**
 * Runs `test` locally as one call `callId` (each run its own, so a test never sees another's).
 * @throws what `send` throws (serve's path failing for good, not a tool's answer)
 */
export async function runLocal(test: AssistantTest, deps: LocalRunDeps, callId: string): Promise<TestRun> {
  const checks: TestCheck[] = [];
  const captured: Record<string, string> = {};
  let seq = 0;
  if (test.simulate) checks.push({ what: 'simulated caller', status: 'skipped', detail: 'needs Vapi (a simulation)' });
  for (const turn of test.conversation ?? []) {
    if (!('assistant' in turn)) continue;
    for (const call of turn.assistant.tools ?? []) {
      if (VAPI_TOOLS.has(call.name)) {
        checks.push({ what: `${call.name}`, status: 'skipped', detail: 'a Vapi tool: serve never receives it' });
        continue;
      }
      checks.push(await runToolCall(call, deps, { callId, toolCallId: `${callId}-${++seq}`, test, captured }));
    }
    if (turn.assistant.says)
      checks.push({
        what: `says ${describe(turn.assistant.says)}`,
        status: 'skipped',
        detail: 'needs the model (a run on Vapi)',
      });
  }
  for (const name of test.never ?? [])
    checks.push({
      what: `never calls ${name}`,
      status: 'skipped',
      detail: 'the model chooses its tools (a run on Vapi)',
    });
  for (const e of test.store ?? []) checks.push(await storeCheck(e, deps));
  const ran = checks.filter((c) => c.status !== 'skipped');
  return { name: test.name, passed: ran.length > 0 && ran.every((c) => c.status === 'passed'), checks };
}

/** One scripted tool call, posted as Vapi posts `tool-calls`; its answer checked and captured. */
async function runToolCall(
  call: ToolCallExpectation,
  deps: LocalRunDeps,
  at: { callId: string; toolCallId: string; test: AssistantTest; captured: Record<string, string> },
): Promise<TestCheck> {
  const args = Object.fromEntries(
    Object.entries(call.arguments ?? {}).map(([k, v]) => [
      k,
      v.replace(/\{\{(\w+)\}\}/g, (m, name: string) => at.captured[name] ?? m),
    ]),
  );
  const customer = at.test.customerNumber ? { customer: { number: at.test.customerNumber } } : {};
  const reply = await deps.send({
    type: 'tool-calls',
    call: { id: at.callId, type: 'inboundPhoneCall', status: 'in-progress', ...customer },
    ...customer,
    toolCallList: [{ id: at.toolCallId, type: 'function', function: { name: call.name, arguments: args } }],
  });
  const what = `${call.name}(${Object.values(args).join(', ')})`;
  const result = (reply.body as { results?: Array<{ result?: string; error?: string }> }).results?.[0];
  if (reply.status !== 200 || !result)
    return { what, status: 'failed', detail: `serve answered ${reply.status}: ${JSON.stringify(reply.body)}` };
  const answer = result.result ?? result.error ?? '';
  for (const [name, pattern] of Object.entries(call.capture ?? {})) {
    const m = regex(pattern).exec(answer);
    if (!m?.[1]) return { what, status: 'failed', detail: `nothing to capture as ${name} in: ${answer}` };
    at.captured[name] = m[1].trim();
  }
  if (call.result && !matches(call.result, answer))
    return { what, status: 'failed', detail: `answered "${answer}", expected ${describe(call.result)}` };
  return { what, status: 'passed', detail: answer };
}

/** How many records of a collection match `where` (`start`: a local time in the clinic's zone). */
async function storeCheck(e: NonNullable<AssistantTest['store']>[number], deps: LocalRunDeps): Promise<TestCheck> {
  const query: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e.where ?? {})) {
    if (k === 'start' && typeof v === 'string') query.startMs = DateTime.fromISO(v, { zone: deps.timeZone }).toMillis();
    else query[k] = v;
  }
  const count = await deps.store.collection(e.collection).count(query);
  const what = `${e.count} ${e.collection} where ${JSON.stringify(e.where ?? {})}`;
  return count === e.count
    ? { what, status: 'passed' }
    : { what, status: 'failed', detail: `the store holds ${count}` };
}

/** A JavaScript regular expression; `(?i)` at the start ignores case. */
function regex(pattern: string): RegExp {
  return pattern.startsWith('(?i)') ? new RegExp(pattern.slice(4), 'i') : new RegExp(pattern);
}

function matches(m: TextMatcher, text: string): boolean {
  return 'exact' in m ? text === m.exact : regex(m.regex).test(text);
}

function describe(m: Record<string, string>): string {
  const [k, v] = Object.entries(m)[0]!;
  return k === 'judge' ? `(judged: ${v})` : `${k} ${JSON.stringify(v)}`;
}
