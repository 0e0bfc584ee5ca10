import { passedBy, type AssistantTest, type TestCheck, type TestRun } from '../../../domain/assistant-test.js';
import type { BotConfig } from '../../../domain/clinic.js';
import {
  evalMessages,
  evalRunBody,
  evalRunCheck,
  simulationChecks,
  simulationItemChecks,
  simulationRunBody,
  type RunTarget,
  type SimulationTransport,
} from '../../../vapi/assistant-test-bodies.js';
import {
  runEval,
  runSimulation,
  type PollOptions,
  type SimulationRunState,
} from '../../../vapi/assistant-test-runs.js';
import type { VapiSettings } from '../../../vapi/client.js';
import { serverOf } from '../../../vapi/sync-plan.js';
import { inlineAssistant } from '../../../server/messages.js';
import type { LocalRun } from '../../../server/assistant-tests.js';

/**
 * The runs of `receptionist test` on Vapi: a scripted test as an eval (after its local run, whose
 * tool answers the mock conversation carries), a simulated one as a simulation whose tool calls reach
 * this run's serve. What they cost: estimated before (Vapi quotes no price), reported after.
 */

/**
 * Rough prices for the estimate shown before a run, USD: a judged turn of an eval (one model turn
 * and, for a rubric, one judge call), a simulated call over chat and over voice (two models, and for
 * voice the transcriber and voice). Vapi quotes nothing before a run; the summary gives what it charged.
 */
export const ESTIMATE_USD = { evalTurn: 0.01, simulationChat: 0.1, simulationVoice: 0.5 } as const;

/** The judged turns of a scripted test on Vapi (its evaluated assistant messages). */
export function judgedTurns(test: AssistantTest): number {
  return evalMessages(test, { answers: new Map(), captured: {} }).filter((m) => 'judgePlan' in m).length;
}

/** The estimated cost of running `tests` `repeat` times on Vapi, USD. */
export function estimateCost(tests: readonly AssistantTest[], repeat: number, transport: SimulationTransport): number {
  let usd = 0;
  for (const t of tests)
    usd += t.simulate
      ? transport === 'voice'
        ? ESTIMATE_USD.simulationVoice
        : ESTIMATE_USD.simulationChat
      : judgedTurns(t) * ESTIMATE_USD.evalTurn;
  return Math.round(usd * repeat * 100) / 100;
}

/**
 * The target of a run: the synced assistant, or (`candidate`) the stored config as a transient
 * assistant with its tools inline, whose `server` is this run's serve when there is one (a
 * simulation's tool calls), signed with the synced webhook credential.
 */
export function runTarget(
  config: BotConfig,
  opts: { candidate: boolean; assistantId?: string; serverUrl?: string },
): RunTarget {
  if (!opts.candidate) return { assistantId: opts.assistantId! };
  const assistant = inlineAssistant(config);
  if (!opts.serverUrl) return { assistant };
  const server = serverOf({ url: opts.serverUrl, credentialId: config.vapi?.credential?.id ?? '' });
  const model = assistant.model as { tools?: Array<Record<string, unknown>> };
  return {
    assistant: {
      ...assistant,
      server,
      model: { ...model, tools: (model.tools ?? []).map((t) => (t.type === 'function' ? { ...t, server } : t)) },
    },
  };
}

/**
 * A scripted test on Vapi: its local run first (tool answers, captures and the store checks, on a
 * throwaway store), then the eval of the conversation with those answers. A local run that failed
 * is not sent to Vapi: its answers would mock a broken conversation.
 * @throws UntestedError, AuthError, NetworkError (from the run on Vapi)
 */
export async function evalTest(
  test: AssistantTest,
  local: LocalRun,
  target: RunTarget,
  s: VapiSettings,
  poll: PollOptions,
): Promise<TestRun> {
  const localChecks = local.checks.filter((c) => c.status !== 'skipped');
  const judged = judgedTurns(test);
  if (!local.passed && localChecks.some((c) => c.status === 'failed'))
    return {
      name: test.name,
      passed: false,
      checks: [
        ...local.checks,
        { what: 'conversation on Vapi', status: 'skipped', detail: 'not run: the local run failed' },
      ],
    };
  const run = await runEval(s, evalRunBody(test, target, local), poll);
  // `never` goes to the AI judges' rubrics; a test with none cannot have it checked in an eval.
  const hasJudge = (test.conversation ?? []).some(
    (t) => 'assistant' in t && t.assistant.says && 'judge' in t.assistant.says,
  );
  const unchecked: TestCheck[] = hasJudge
    ? []
    : (test.never ?? []).map((name) => ({
        what: `never calls ${name}`,
        status: 'skipped',
        detail: 'an eval checks it only in a turn judged by a rubric (says: {judge}); or simulate the call',
      }));
  const checks: TestCheck[] = [...localChecks, evalRunCheck(run, judged), ...unchecked];
  return { name: test.name, passed: passedBy(checks), checks, cost: run.cost };
}

/**
 * A simulated test on Vapi: `iterations` simulated calls in one run; each item's evaluations as
 * checks, plus `afterEach` (the store's expectations, checked by the caller after the run).
 * @throws UntestedError, AuthError, NetworkError; UsageError when every check needs audio in chat mode
 */
export async function simulateTest(
  test: AssistantTest,
  target: RunTarget,
  s: VapiSettings,
  opts: PollOptions & {
    iterations: number;
    transport: SimulationTransport;
    onStarted?: (run: SimulationRunState) => void;
  },
): Promise<{ runs: TestRun[]; callIds: string[]; url?: string }> {
  const body = simulationRunBody([test], target, { iterations: opts.iterations, transport: opts.transport });
  const { run, items } = await runSimulation(s, body, opts);
  const audioOnly =
    opts.transport === 'chat'
      ? simulationChecks(test)
          .filter((c) => c.audio)
          .map((c) => ({ what: c.what, status: 'skipped' as const, detail: 'needs audio: run with --transport voice' }))
      : [];
  const runs = items
    .sort((a, b) => (a.iterationNumber ?? 1) - (b.iterationNumber ?? 1))
    .map((item) => {
      const checks = [...simulationItemChecks(item, test), ...audioOnly];
      const latency = item.results?.latencyMetrics;
      return { name: test.name, passed: passedBy(checks), checks, ...(latency ? { latency } : {}) };
    });
  return { runs, callIds: items.flatMap((i) => (i.callId ? [i.callId] : [])), url: run.url };
}

/** Checks that every check of a simulated test can run over `transport`. @returns the problem, or undefined */
export function audioProblem(test: AssistantTest, transport: SimulationTransport): string | undefined {
  if (!test.simulate || transport === 'voice') return undefined;
  const checks = simulationChecks(test);
  if (checks.length && checks.every((c) => c.audio))
    return `every check of "${test.name}" needs audio, and a simulation over chat would skip them all (Vapi then counts it as passed): run it with --transport voice.`;
  return undefined;
}
