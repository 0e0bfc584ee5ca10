import type { AssistantTest, Matcher, Says, TestCheck } from '../domain/assistant-test.js';
import { describeMatcher, escapeRegExp, fillCaptured, VAPI_TOOLS } from '../domain/assistant-test.js';

/**
 * A test of the assistant as Vapi runs it: the request bodies of an eval run (`POST /eval/run`, spec
 * `CreateEvalRunDTO` with a transient `CreateEvalDTO` of type `chat.mockConversation`) and of a
 * simulation run (`POST /eval/simulation/run`, spec `CreateSimulationRunDTO` with an inline
 * `CreateScenarioDTO` and `CreatePersonalityDTO`), and Vapi's answers (`EvalRun`,
 * `SimulationRunItem`) read back as checks. Pure: no request is made here.
 */

type Json = Record<string, unknown>;

/** What a run tests: the synced assistant by id, or the stored config as a transient assistant (`--candidate`). */
export type RunTarget = { assistantId: string } | { assistant: Json };

/** The model that judges a rubric (`AssistantMessageJudgePlanAI.model`, spec `EvalOpenAIModel`), and simulated callers speak with. */
export const JUDGE_MODEL = { provider: 'openai', model: 'gpt-4o' } as const;

/** An expression in Vapi's regex judge form: `/pattern/flags` (our `(?i)` prefix becomes the `i` flag). */
export function vapiRegex(pattern: string): string {
  const ignoreCase = pattern.startsWith('(?i)');
  const body = (ignoreCase ? pattern.slice(4) : pattern).replace(/\//g, '\\/');
  return `/${body}/${ignoreCase ? 'i' : ''}`;
}

const ANYTHING = '/[\\s\\S]*/';

function argumentRegex(m: Matcher): string {
  if (m === 'any') return ANYTHING;
  return 'exact' in m ? `/^${escapeRegExp(m.exact)}$/` : vapiRegex(m.regex);
}

/** The rubric as the AI judge's system message (Vapi's documented form: pass or fail, one word). */
function judgeRubric(rubric: string, never: readonly string[]): string {
  const tools = never.length ? ` It must not call any of these tools: ${never.join(', ')}.` : '';
  return [
    'You are an LLM-Judge of a clinic receptionist assistant. Evaluate ONLY the last assistant message: {{messages[-1]}}.',
    'The whole conversation, for context: {{messages}}.',
    `PASS if: ${rubric}${tools}`,
    'Otherwise FAIL. Reply with exactly one word: pass or fail.',
  ].join('\n');
}

/** A judge plan for what the assistant says (`AssistantMessageJudgePlanExact|Regex|AI`). */
function judgePlan(says: Says, never: readonly string[]): Json {
  if ('exact' in says) return { type: 'exact', content: says.exact };
  if ('regex' in says) return { type: 'regex', content: vapiRegex(says.regex) };
  return {
    type: 'ai',
    model: { ...JUDGE_MODEL, messages: [{ role: 'system', content: judgeRubric(says.judge, never) }] },
    autoIncludeMessageHistory: true,
  };
}

/** The values a local run gave the conversation: each scripted tool's answer, the captured values. */
export interface LocalAnswers {
  answers: ReadonlyMap<string, string>;
  captured: Readonly<Record<string, string>>;
}

/**
 * The mock conversation of a scripted test (`CreateEvalDTO.messages`): each caller turn a user
 * message; each tool turn an evaluated assistant message (the model must call those tools, its
 * arguments judged by `expect`, regex), then continued with the scripted calls and serve's own
 * answers from the local run (tool messages), so the conversation goes on as it would; each `says`
 * an evaluated assistant message. `never` is put to the AI judges' rubrics. A Vapi tool (transfer,
 * end call) ends the conversation.
 */
export function evalMessages(test: AssistantTest, local: LocalAnswers): Json[] {
  const messages: Json[] = [];
  const never = test.never ?? [];
  for (const [i, turn] of (test.conversation ?? []).entries()) {
    if ('caller' in turn) {
      messages.push({ role: 'user', content: fillCaptured(turn.caller, local.captured) });
      continue;
    }
    const tools = turn.assistant.tools ?? [];
    if (tools.length) {
      const scripted = tools.map((t) => ({
        name: t.name,
        arguments: Object.fromEntries(
          Object.entries(t.arguments ?? {}).map(([k, v]) => [k, fillCaptured(v, local.captured)]),
        ),
      }));
      messages.push({
        role: 'assistant',
        judgePlan: {
          type: 'regex',
          content: ANYTHING,
          toolCalls: tools.map((t) => ({
            name: t.name,
            ...(t.expect
              ? { arguments: Object.fromEntries(Object.entries(t.expect).map(([k, m]) => [k, argumentRegex(m)])) }
              : {}),
          })),
        },
        continuePlan: { exitOnFailureEnabled: true, toolCallsOverride: scripted },
      });
      if (tools.some((t) => VAPI_TOOLS.has(t.name))) break;
      tools.forEach((_t, j) => messages.push({ role: 'tool', content: local.answers.get(`${i}.${j}`) ?? '' }));
    }
    if (turn.assistant.says) messages.push({ role: 'assistant', judgePlan: judgePlan(turn.assistant.says, never) });
  }
  return messages;
}

/** `POST /eval/run` for a scripted test (spec `CreateEvalRunDTO`), on `target` with the test's `variableValues`. */
export function evalRunBody(test: AssistantTest, target: RunTarget, local: LocalAnswers): Json {
  return {
    type: 'eval',
    eval: {
      type: 'chat.mockConversation',
      name: test.name.slice(0, 80),
      ...(test.description ? { description: test.description.slice(0, 500) } : {}),
      messages: evalMessages(test, local),
    },
    target: {
      type: 'assistant',
      ...target,
      ...(test.variables ? { assistantOverrides: { variableValues: test.variables } } : {}),
    },
  };
}

/** Vapi's transports of a simulation: text (cheap, no audio) or a voice call over a WebSocket. */
export type SimulationTransport = 'chat' | 'voice';

/** A simulation's structured-output name: at most 40 characters, unique within the test. */
function outputName(prefix: string, i: number): string {
  return `${prefix}_${i + 1}`.slice(0, 40);
}

/** The checks of a simulated test in the order their evaluations go to Vapi, with their names. */
export function simulationChecks(
  test: AssistantTest,
): Array<{ name: string; what: string; audio: boolean; plan: Json }> {
  const out: Array<{ name: string; what: string; audio: boolean; plan: Json }> = [];
  for (const [i, c] of (test.simulate?.checks ?? []).entries()) {
    const description =
      'judge' in c
        ? `true when the assistant did this in the conversation: ${c.judge}`
        : 'exact' in c
          ? `true when the assistant said exactly: ${c.exact}`
          : `true when something the assistant said matches the regular expression ${c.regex}`;
    const name = outputName('check', i);
    out.push({
      name,
      what: 'judge' in c ? describeMatcher(c) : `says ${describeMatcher(c)}`,
      audio: c.audio === true,
      plan: {
        structuredOutput: { name, type: 'ai', schema: { type: 'boolean', description } },
        comparator: '=',
        value: true,
        required: true,
      },
    });
  }
  for (const [i, tool] of (test.never ?? []).entries()) {
    const name = outputName('never', i);
    out.push({
      name,
      what: `never calls ${tool}`,
      audio: false,
      plan: {
        structuredOutput: {
          name,
          type: 'ai',
          schema: { type: 'boolean', description: `true when the assistant called the tool ${tool} at any point` },
        },
        comparator: '=',
        value: false,
        required: true,
      },
    });
  }
  return out;
}

/**
 * `POST /eval/simulation/run` for simulated tests (spec `CreateSimulationRunDTO`): one inline
 * scenario (instructions, evaluations, the test's `variableValues` as `targetOverrides`) and a plain
 * caller personality per test; `iterations` runs of each; chat (`vapi.webchat`) or voice (`vapi.websocket`).
 * A check marked `audio` is left out in chat mode (it would come back skipped).
 */
export function simulationRunBody(
  tests: readonly AssistantTest[],
  target: RunTarget,
  opts: { iterations: number; transport: SimulationTransport },
): Json {
  return {
    simulations: tests.map((test) => ({
      type: 'simulation',
      name: test.name.slice(0, 80),
      scenario: {
        name: test.name.slice(0, 80),
        instructions: test.simulate!.instruction,
        evaluations: simulationChecks(test)
          .filter((c) => opts.transport === 'voice' || !c.audio)
          .map((c) => c.plan),
        ...(test.variables ? { targetOverrides: { variableValues: test.variables } } : {}),
      },
      personality: {
        name: 'Caller',
        assistant: {
          model: {
            ...JUDGE_MODEL,
            messages: [
              {
                role: 'system',
                content:
                  'You are a caller phoning a clinic that also sells and services air conditioners. Follow the scenario; speak briefly and naturally; end the call when your goal is met or clearly cannot be.',
              },
            ],
          },
        },
      },
    })),
    target: { type: 'assistant', ...target },
    iterations: opts.iterations,
    transport: { provider: opts.transport === 'voice' ? 'vapi.websocket' : 'vapi.webchat' },
  };
}

/** An eval run as Vapi reports it (spec `EvalRun`), the fields read here. */
export interface EvalRunState {
  id: string;
  status: 'running' | 'ended' | 'queued';
  endedReason?: string;
  endedMessage?: string;
  results?: Array<{ status: 'pass' | 'fail'; messages?: Array<{ role: string; content?: string }> }>;
  cost?: number;
}

/** One simulation run item (spec `SimulationRunItem`), the fields read here. */
export interface SimulationItemState {
  id: string;
  status: 'queued' | 'running' | 'evaluating' | 'passed' | 'failed' | 'canceled';
  simulationId?: string;
  iterationNumber?: number;
  failureReason?: string;
  callId?: string;
  metadata?: { scenario?: { name?: string } };
  results?: {
    passed: boolean;
    evaluations: Array<{
      name: string;
      passed: boolean;
      required: boolean;
      expectedValue: unknown;
      extractedValue: unknown;
      isSkipped?: boolean;
      skipReason?: string;
      error?: string;
    }>;
    latencyMetrics?: Record<string, number>;
  };
}

/** The judged conversation of an ended eval run as one check: its verdict, and where it ended. */
export function evalRunCheck(run: EvalRunState, judged: number): TestCheck {
  const what = `conversation on Vapi (${judged} judged turn${judged === 1 ? '' : 's'})`;
  const result = run.results?.[0];
  const said = (result?.messages ?? [])
    .filter((m) => m.role === 'assistant' && m.content)
    .map((m) => m.content!)
    .pop();
  if (result?.status === 'pass') return { what, status: 'passed' };
  return {
    what,
    status: 'failed',
    detail: said ? `the assistant's last words: "${said}"` : (run.endedMessage ?? 'a judged turn did not hold'),
  };
}

/**
 * One simulation item's evaluations as checks, by `simulationChecks`' names. Vapi's own `passed` is
 * not taken on trust: a skipped evaluation is a skipped check (never a passed one), and Vapi failing
 * an item whose evaluations all held (`failureReason`) is a failed check of its own.
 */
export function simulationItemChecks(item: SimulationItemState, test: AssistantTest): TestCheck[] {
  const named = new Map(simulationChecks(test).map((c) => [c.name, c.what]));
  const checks: TestCheck[] = (item.results?.evaluations ?? []).map((e) => {
    const what = named.get(e.name) ?? e.name;
    if (e.isSkipped)
      return { what, status: 'skipped', detail: e.skipReason ?? 'skipped by Vapi', required: e.required };
    return {
      what,
      status: e.passed ? 'passed' : 'failed',
      required: e.required,
      ...(e.passed
        ? {}
        : {
            detail: e.error ?? `expected ${JSON.stringify(e.expectedValue)}, got ${JSON.stringify(e.extractedValue)}`,
          }),
    };
  });
  if (item.status === 'failed' && (!item.results || item.results.evaluations.every((e) => e.passed || e.isSkipped)))
    checks.push({ what: 'the simulated call', status: 'failed', detail: item.failureReason ?? 'Vapi failed it' });
  return checks;
}
