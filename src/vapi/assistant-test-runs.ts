import { AuthError, NetworkError, UntestedError } from '../errors.js';
import { createVapiClient, vapiError, type VapiSettings } from './client.js';
import type { EvalRunState, SimulationItemState } from './assistant-test-bodies.js';

/**
 * Runs on Vapi for `receptionist test` (`@vapi-ai/server-sdk`'s `eval` and `simulationRuns`): start a
 * run, poll it until it has ended, read its results. A run that cannot be made, whatever the reason
 * on Vapi's side (a refusal, 402 billing, an end in error, no end within the timeout), is an
 * {@link UntestedError} (exit 9), never a failed test: nothing was learnt of the assistant.
 */

export interface PollOptions {
  /** Between two reads of a run, ms. */
  pollMs: number;
  /** The run must have ended within this, ms. */
  timeoutMs: number;
  /** Aborts the wait (Ctrl-C); the run goes on at Vapi. */
  signal?: AbortSignal;
}

/** The spec's `SimulationRunPaymentRequiredResponse.reason`, in words. */
const PAYMENT_REASONS: Record<string, string> = {
  wallet_missing: 'the organisation has no wallet',
  subscription_frozen: 'the subscription is frozen',
  payment_method_missing: 'no payment method is set',
  insufficient_credits: 'not enough credits',
  billing_limit: 'the billing limit is reached',
  initial_payment_missing: 'the first payment has not been made',
};

/**
 * Vapi's failure to start or read a run as the error a user acts on: a rejected key stays an
 * AuthError (exit 5) and an unreachable Vapi a NetworkError (exit 6); anything else Vapi refused
 * (402 with its reason, another 4xx) is an UntestedError.
 */
function runError(what: string, s: VapiSettings, err: unknown): Error {
  const e = err as { statusCode?: number; body?: { reason?: string; message?: string } };
  if (e?.statusCode === 402) {
    const reason = e.body?.reason;
    return new UntestedError(
      `Vapi would not ${what}: payment required (402${reason ? `, ${reason}` : ''})${reason && PAYMENT_REASONS[reason] ? `: ${PAYMENT_REASONS[reason]}` : ''}.`,
      'Check the billing page of your Vapi dashboard (https://dashboard.vapi.ai/org/billing).',
      { cause: err },
    );
  }
  const translated = vapiError(what, s, err);
  if (translated instanceof AuthError || translated instanceof NetworkError) return translated;
  if (translated instanceof Error && 'exitCode' in translated)
    return new UntestedError(translated.message, (translated as { hint?: string }).hint, { cause: err });
  return translated;
}

/** `request()`, its failure translated by {@link runError} (`what`: the words after "Vapi would not"). */
async function vapiStep<T>(what: string, s: VapiSettings, request: () => Promise<unknown>): Promise<T> {
  try {
    return (await request()) as T;
  } catch (err) {
    throw runError(what, s, err);
  }
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

/** Reads `read()` every `pollMs` until `done`; @throws UntestedError when `timeoutMs` passes first */
async function pollUntil<T>(read: () => Promise<T>, done: (x: T) => boolean, what: string, o: PollOptions): Promise<T> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const x = await read();
    if (done(x)) return x;
    if (o.signal?.aborted) throw o.signal.reason ?? new Error('aborted');
    if (Date.now() >= deadline)
      throw new UntestedError(
        `The ${what} had not ended after ${Math.round(o.timeoutMs / 1000)} s.`,
        'It may still finish on Vapi: look at it in the dashboard.',
      );
    await sleep(o.pollMs, o.signal);
  }
}

/**
 * Starts an eval run (`POST /eval/run`, body from `evalRunBody`) and waits for its end
 * (`GET /eval/run/{id}`). Returns the ended run (spec `EvalRun`).
 * @throws UntestedError (refused, 402, ended in error/timeout/cancelled/aborted, no end in time),
 *   AuthError, NetworkError
 */
export async function runEval(s: VapiSettings, body: Record<string, unknown>, o: PollOptions): Promise<EvalRunState> {
  const vapi = await createVapiClient(s);
  const started = await vapiStep<Record<string, unknown>>('start the eval run', s, () =>
    vapi.eval.evalControllerRun(body as never),
  );
  // The spec gives the 201 answer only as an object; Vapi's docs name its id `evalRunId`.
  const id = String(started.evalRunId ?? started.id ?? '');
  if (!id) throw new UntestedError(`Vapi started the eval run but gave no id: ${JSON.stringify(started)}`);
  const run = await pollUntil(
    () => vapiStep<EvalRunState>(`read eval run ${id}`, s, () => vapi.eval.evalControllerGetRun({ id })),
    (r) => r.status === 'ended',
    `eval run ${id}`,
    o,
  );
  if (run.endedReason && run.endedReason !== 'mockConversation.done')
    throw new UntestedError(
      `Eval run ${id} ended with ${run.endedReason}${run.endedMessage ? `: ${run.endedMessage}` : ''}.`,
      run.endedReason === 'error'
        ? 'Vapi could not run the conversation; check the assistant in the dashboard.'
        : undefined,
    );
  return { ...run, id };
}

/** A started simulation run (spec `CreateSimulationRunResponse`), the fields read here. */
export interface SimulationRunState {
  id: string;
  status: 'queued' | 'running' | 'ended';
  endedReason?: string;
  url?: string;
  itemCounts?: { total: number; passed: number; failed: number; running: number; queued: number; canceled: number };
}

/**
 * Starts a simulation run (`POST /eval/simulation/run`, body from `simulationRunBody`), waits for its
 * end (`GET /eval/simulation/run/{id}`) and reads its items (`GET /eval/simulation/run/{id}/item`).
 * `onStarted` gets the run as started (its dashboard `url`).
 * @throws UntestedError (refused, 402 with its reason, no end in time, an item canceled), AuthError, NetworkError
 */
export async function runSimulation(
  s: VapiSettings,
  body: Record<string, unknown>,
  o: PollOptions & { onStarted?: (run: SimulationRunState) => void },
): Promise<{ run: SimulationRunState; items: SimulationItemState[] }> {
  const vapi = await createVapiClient(s);
  const started = await vapiStep<SimulationRunState>('start the simulation run', s, () =>
    vapi.simulationRuns.simulationRunControllerCreate(body as never),
  );
  o.onStarted?.(started);
  const { id } = started;
  const run = await pollUntil(
    () =>
      vapiStep<SimulationRunState>(`read simulation run ${id}`, s, () =>
        vapi.simulationRuns.simulationRunControllerFindOne({ id }),
      ),
    (r) => r.status === 'ended',
    `simulation run ${id}`,
    o,
  );
  const items = await vapiStep<SimulationItemState[]>(`read the items of simulation run ${id}`, s, () =>
    vapi.simulationRuns.simulationRunControllerFindItems({ id }),
  );
  const canceled = items.filter((i) => i.status === 'canceled');
  if (canceled.length)
    throw new UntestedError(
      `${canceled.length} of ${items.length} simulated calls of run ${id} were canceled${run.endedReason ? ` (${run.endedReason})` : ''}.`,
    );
  return { run: { ...started, ...run }, items };
}
