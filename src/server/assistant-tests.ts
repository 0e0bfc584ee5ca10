import { DateTime } from 'luxon';
import type { Store } from '../store/types.js';
import type { BotConfig } from '../domain/clinic.js';
import type { FieldSealer } from '../domain/sealer.js';
import { buildApp } from './app.js';
import type { AuthConfig } from './auth.js';
import {
  describeMatcher,
  fillCaptured,
  passedBy,
  testRegex,
  VAPI_TOOLS,
  type AssistantTest,
  type TestCheck,
  type TestRun,
  type TextMatcher,
  type ToolCallExpectation,
} from '../domain/assistant-test.js';

/**
 * A test of the assistant run locally and deterministically (`receptionist test --local`): the
 * scripted tool calls go, in order, through serve's own message path (`send`), as Vapi would post
 * them in one call; what each tool answers is checked, values are captured for later turns, and the
 * store is checked afterwards. What only a model can show (what the assistant says, a tool it must
 * not choose) is listed as not checked here, never counted as passed.
 */

/** What a local run needs: serve's message path, the store it writes, the clinic's zone. */
export interface LocalRunDeps {
  /** Posts one Vapi server message to serve's code path (as Vapi does, in `{message}`); its reply. */
  send(message: Record<string, unknown>): Promise<{ status: number; body: unknown }>;
  store: Store;
  /** IANA zone the `start` of a store expectation is read in. */
  timeZone: string;
}

/** A local run, and what a run on Vapi reuses of it: each scripted tool's answer, the captured values. */
export interface LocalRun extends TestRun {
  /** What serve answered each scripted tool call, by `<turn>.<tool>` (indexes into `conversation`). */
  answers: Map<string, string>;
  /** Values captured from the answers (`{{name}}` in later turns). */
  captured: Record<string, string>;
}

/**
 * Runs `test` locally as one call `callId` (each run its own, so a test never sees another's).
 * @throws what `send` throws (serve's path failing for good, not a tool's answer)
 */
export async function runLocal(test: AssistantTest, deps: LocalRunDeps, callId: string): Promise<LocalRun> {
  const checks: TestCheck[] = [];
  const captured: Record<string, string> = {};
  const answers = new Map<string, string>();
  let seq = 0;
  if (test.simulate) checks.push({ what: 'simulated caller', status: 'skipped', detail: 'needs Vapi (a simulation)' });
  for (const [i, turn] of (test.conversation ?? []).entries()) {
    if (!('assistant' in turn)) continue;
    for (const [j, call] of (turn.assistant.tools ?? []).entries()) {
      if (VAPI_TOOLS.has(call.name)) {
        checks.push({ what: `${call.name}`, status: 'skipped', detail: 'a Vapi tool: serve never receives it' });
        continue;
      }
      const { check, answer } = await runToolCall(call, deps, {
        callId,
        toolCallId: `${callId}-${++seq}`,
        test,
        captured,
      });
      checks.push(check);
      if (answer !== undefined) answers.set(`${i}.${j}`, answer);
    }
    if (turn.assistant.says)
      checks.push({
        what: `says ${describeMatcher(turn.assistant.says)}`,
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
  checks.push(...(await checkStore(test.store ?? [], deps)));
  return { name: test.name, passed: passedBy(checks), checks, answers, captured };
}

/** One scripted tool call, posted as Vapi posts `tool-calls`; its answer checked and captured. */
async function runToolCall(
  call: ToolCallExpectation,
  deps: LocalRunDeps,
  at: { callId: string; toolCallId: string; test: AssistantTest; captured: Record<string, string> },
): Promise<{ check: TestCheck; answer?: string }> {
  const args = Object.fromEntries(
    Object.entries(call.arguments ?? {}).map(([k, v]) => [k, fillCaptured(v, at.captured)]),
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
    return {
      check: { what, status: 'failed', detail: `serve answered ${reply.status}: ${JSON.stringify(reply.body)}` },
    };
  const answer = result.result ?? result.error ?? '';
  const failed = (detail: string) => ({ check: { what, status: 'failed' as const, detail }, answer });
  for (const [name, pattern] of Object.entries(call.capture ?? {})) {
    const m = testRegex(pattern).exec(answer);
    if (!m?.[1]) return failed(`nothing to capture as ${name} in: ${answer}`);
    at.captured[name] = m[1].trim();
  }
  if (call.result && !matches(call.result, answer))
    return failed(`answered "${answer}", expected ${describeMatcher(call.result)}`);
  return { check: { what, status: 'passed', detail: answer }, answer };
}

/** A test's store expectations, checked on `deps.store`. @throws StoreUnavailableError */
export async function checkStore(
  expectations: NonNullable<AssistantTest['store']>,
  deps: Pick<LocalRunDeps, 'store' | 'timeZone'>,
): Promise<TestCheck[]> {
  const out: TestCheck[] = [];
  for (const e of expectations) out.push(await storeCheck(e, deps));
  return out;
}

/** How many records of a collection match `where` (`start`: a local time in the clinic's zone). */
async function storeCheck(
  e: NonNullable<AssistantTest['store']>[number],
  deps: Pick<LocalRunDeps, 'store' | 'timeZone'>,
): Promise<TestCheck> {
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

function matches(m: TextMatcher, text: string): boolean {
  return 'exact' in m ? text === m.exact : testRegex(m.regex).test(text);
}

/** serve's app on a store with no network: each message goes through Fastify's `inject`. */
export interface LocalServe {
  send: LocalRunDeps['send'];
  /** One HTTP request (a simulation's tool call, passed on from a listening front), answered in-process. */
  forward(req: {
    method: string;
    url: string;
    headers: Record<string, string>;
    body?: Buffer;
  }): Promise<{ status: number; headers: Record<string, string>; body: string }>;
  close(): Promise<void>;
}

/**
 * serve's webhook app for a test run on `store` (a throwaway copy), at the clock `now`, with no
 * authentication when it only answers `inject` and with `auth` when it listens for Vapi. No outbox
 * worker runs, so a test's bookings never email, text or call anyone.
 */
export function localServe(opts: {
  store: Store;
  sealer: FieldSealer;
  config: BotConfig;
  now: () => Date;
  auth?: AuthConfig;
  onFailure?: (where: string, err: unknown) => void;
}): LocalServe {
  const app = buildApp({ ...opts, auth: opts.auth });
  return {
    async send(message) {
      const res = await app.inject({
        method: 'POST',
        url: '/webhook',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ message }),
      });
      let body: unknown = res.body;
      try {
        body = JSON.parse(res.body);
      } catch {
        // not JSON: kept as text for the failure's detail
      }
      return { status: res.statusCode, body };
    },
    async forward(req) {
      const res = await app.inject({
        method: req.method as 'POST',
        url: req.url,
        headers: req.headers,
        ...(req.body ? { payload: req.body } : {}),
      });
      const headers = Object.fromEntries(
        Object.entries(res.headers).flatMap(([k, v]) =>
          v === undefined || k === 'content-length' || k === 'transfer-encoding' || k === 'connection'
            ? []
            : [[k, String(v)]],
        ),
      );
      return { status: res.statusCode, headers, body: res.body };
    },
    close: () => app.close(),
  };
}
