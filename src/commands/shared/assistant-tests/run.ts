import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { AuthError, UntestedError, UsageError } from '../../../errors.js';
import { requireBotConfig, type BotConfig } from '../../../domain/clinic.js';
import type { AssistantTest, TestRun } from '../../../domain/assistant-test.js';
import { purgeCalls } from '../../../domain/purge.js';
import { checkStore, localServe, runLocal, type LocalRun, type LocalServe } from '../../../server/assistant-tests.js';
import type { Store } from '../../../store/types.js';
import type { FieldSealer } from '../../../domain/sealer.js';
import { PRE_SYNC_PLANS, DEFAULT_TOLERANCE_SECONDS, type AuthConfig } from '../../../server/auth.js';
import type { VapiSettings } from '../../../vapi/client.js';
import type { RunTarget, SimulationTransport } from '../../../vapi/assistant-test-bodies.js';
import type { Tunnel } from '../../../tunnel/index.js';
import type { Context } from '../context.js';
import { resolveAssistant } from '../vapi.js';
import { TESTS_DIR } from './shipped.js';
import { loadTests, testStores, type LoadedTest, type TestStores } from './harness.js';
import { audioProblem, estimateCost, evalTest, runTarget, simulateTest } from './remote.js';
import { progressLine } from './report.js';

/** `receptionist test`'s options, from its flags. */
export interface TestOptions {
  files: string[];
  /** Where the tests are; undefined: `receptionist/tests` in the project. */
  dir?: string;
  /** `local`: no Vapi; `vapi`: evals and simulations on Vapi. */
  mode: 'local' | 'vapi';
  candidate: boolean;
  assistant?: string;
  /** Tools write the real store (`--store`). */
  realStore: boolean;
  filter?: string;
  repeat: number;
  minPassRate: number;
  maxCost?: number;
  transport: SimulationTransport;
  publicUrl?: string;
  tunnel?: { authtoken: string; domain?: string };
  port: number;
  timeoutMs: number;
  junit?: string;
}

/** One test's outcome over its runs. */
export interface TestResult {
  file: string;
  name?: string;
  /** The file could not be used (exit 2). */
  error?: string;
  /** A run could not be made (exit 9). */
  untested?: string;
  /** Not run in this mode, and why (a simulated caller under --local); neither passed nor failed. */
  skipped?: string;
  runs: TestRun[];
  passed: boolean;
}

export interface TestSummary {
  mode: 'local' | 'vapi';
  target?: string;
  results: TestResult[];
  /** Estimated before the run, USD (on Vapi). */
  estimate?: number;
  /** What Vapi reported the runs cost, USD. */
  cost: number;
  minPassRate: number;
}

/** Does a test pass over its runs: at least `minPassRate` of them passed. */
export function passRate(runs: readonly TestRun[]): number {
  return runs.length ? runs.filter((r) => r.passed).length / runs.length : 0;
}

/** Picks the tests `--filter` names (case-insensitive, in the name or the file name). */
function picked(loaded: LoadedTest[], filter?: string): LoadedTest[] {
  if (!filter) return loaded;
  const f = filter.toLowerCase();
  return loaded.filter(
    (l) => l.file.toLowerCase().includes(f) || ('test' in l && l.test.name.toLowerCase().includes(f)),
  );
}

/**
 * Runs the tests. Never throws for a failed test or a bad file (they are in the summary; `render`
 * gives the exit code); throws when nothing can run at all.
 * @throws UsageError (no tests, nothing matches --filter), NotSeededError, StoreError, AuthError (no Vapi key), UntestedError (over --max-cost)
 */
export async function runTest(
  opts: TestOptions,
  ctx: Context,
  over: {
    /** The config to test instead of the stored one (`sync --config`'s). */
    config?: BotConfig;
    /** Leave out the simulated tests, named in a note (`sync --test`). */
    scriptedOnly?: boolean;
  } = {},
): Promise<TestSummary> {
  const store = await ctx.store();
  const config = over.config ?? (await requireBotConfig(store));
  const dir = opts.dir ? path.resolve(ctx.cwd, opts.dir) : path.join(ctx.projectDir, TESTS_DIR);
  const files = opts.files.map((f) => path.resolve(ctx.cwd, f));
  let loaded = picked(loadTests(files, dir, config), opts.filter);
  if (!loaded.length) throw new UsageError(`No test matches --filter "${opts.filter}".`);
  if (over.scriptedOnly) {
    const simulated = loaded.filter((l) => 'test' in l && l.test.simulate);
    loaded = loaded.filter((l) => !simulated.includes(l));
    if (simulated.length)
      ctx.io.info(
        `Not run here (simulated callers; run \`receptionist test --candidate --tunnel\`): ${simulated.map((l) => ('test' in l ? l.test.name : l.file)).join(', ')}.`,
      );
  }
  const tests = loaded.flatMap((l) => ('test' in l ? [l.test] : []));
  const summary: TestSummary = { mode: opts.mode, results: [], cost: 0, minPassRate: opts.minPassRate };
  let vapi: VapiSettings | undefined;
  if (opts.mode === 'vapi') {
    vapi = ctx.vapiSettings();
    summary.estimate = estimateCost(tests, opts.repeat, opts.transport);
    summary.target = opts.candidate
      ? 'the stored config (candidate)'
      : resolveAssistant(opts.assistant, ctx, config, 'test').value;
    if (!ctx.globals.json)
      ctx.io.info(
        `Testing ${summary.target} on Vapi: ${tests.length} test${tests.length === 1 ? '' : 's'} × ${opts.repeat}, estimated $${summary.estimate.toFixed(2)}.`,
      );
    if (opts.maxCost !== undefined && summary.estimate > opts.maxCost)
      throw new UntestedError(
        `The estimated cost, $${summary.estimate.toFixed(2)}, is above --max-cost $${opts.maxCost.toFixed(2)}; nothing was run.`,
        'Raise --max-cost, or run fewer tests (--filter) or fewer times (--repeat).',
      );
  }
  const stores = await testStores(store, ctx, opts.realStore);
  // The synced assistant's tools reach the live serve: only a candidate's reach this run's.
  const exposed =
    opts.mode === 'vapi' && opts.candidate && !over.scriptedOnly && tests.some((t) => t.simulate)
      ? await expose(opts, config, ctx)
      : undefined;
  try {
    for (const l of loaded) {
      const result = await runOne(l, { opts, ctx, config, stores, vapi, exposed, summary });
      summary.results.push(result);
      if (!ctx.globals.json) progressLine(result, ctx.io);
    }
  } finally {
    await exposed?.close();
    await stores.close();
  }
  return summary;
}

interface RunScope {
  opts: TestOptions;
  ctx: Context;
  config: BotConfig;
  stores: TestStores;
  vapi?: VapiSettings;
  exposed?: Exposed;
  summary: TestSummary;
}

async function runOne(l: LoadedTest, scope: RunScope): Promise<TestResult> {
  if ('error' in l) return { file: l.file, error: l.error, runs: [], passed: false };
  const { test } = l;
  const { opts, summary } = scope;
  const result: TestResult = { file: l.file, name: test.name, runs: [], passed: false };
  if (test.simulate && opts.mode === 'local')
    return { ...result, skipped: 'a simulated caller needs Vapi (run it without --local)' };
  if (opts.mode === 'vapi') {
    const problem = audioProblem(test, opts.transport);
    if (problem) return { ...result, error: `${l.file}: ${problem}` };
  }
  try {
    if (test.simulate && opts.mode === 'vapi') result.runs.push(...(await simulate(test, scope)));
    else
      for (let i = 0; i < opts.repeat; i++) {
        if (opts.maxCost !== undefined && summary.cost >= opts.maxCost)
          throw new UntestedError(`Stopped at $${summary.cost.toFixed(2)} spent: --max-cost is $${opts.maxCost}.`);
        const local = await locally(test, scope);
        const run =
          opts.mode === 'local'
            ? local
            : await evalTest(test, local, target(scope), scope.vapi!, poll(opts, scope.ctx));
        summary.cost += run.cost ?? 0;
        result.runs.push({ name: run.name, passed: run.passed, checks: run.checks, cost: run.cost });
      }
  } catch (err) {
    if (!(err instanceof UntestedError)) throw err;
    return { ...result, untested: err.message };
  }
  result.passed = result.runs.length > 0 && passRate(result.runs) >= opts.minPassRate;
  return result;
}

/** The target of the Vapi runs (the candidate's server: this run's serve, for simulations). */
function target(scope: RunScope): RunTarget {
  return runTarget(scope.config, {
    candidate: scope.opts.candidate,
    assistantId: scope.summary.target,
    serverUrl: scope.exposed?.webhookUrl,
  });
}

const poll = (opts: TestOptions, ctx: Context) => ({
  pollMs: Number(ctx.env.get('RECEPTIONIST_POLL_INTERVAL_MS')?.value ?? 2000),
  timeoutMs: opts.timeoutMs,
});

/** One local run of a scripted test on a store of its own, at the test's clock. */
async function locally(test: AssistantTest, scope: RunScope): Promise<LocalRun> {
  const run = await scope.stores.open();
  const at = test.at ? new Date(test.at) : scope.ctx.now();
  const serve = localServe({ ...run, config: scope.config, now: () => at });
  const callId = `test-${randomBytes(8).toString('hex')}`;
  try {
    return await runLocal(test, { send: serve.send, store: run.store, timeZone: scope.config.clinic.timeZone }, callId);
  } finally {
    await serve.close();
    if (scope.opts.realStore) await purgeCalls(run.store, (id) => id === callId, { dryRun: false });
    await run.done();
  }
}

/** Vapi runs a simulation at most this many times in one run (spec `CreateSimulationRunDTO.iterations`). */
const MAX_ITERATIONS = 10;

/**
 * A simulated test's runs: `--repeat` as Vapi's `iterations` (in runs of at most 10), except that a
 * test with store expectations on a candidate gets one simulated call per run, each on a fresh store
 * (two bookings in one store would fail a count of one).
 */
async function simulate(test: AssistantTest, scope: RunScope): Promise<TestRun[]> {
  const { opts } = scope;
  const perRun = test.store?.length && opts.candidate ? 1 : MAX_ITERATIONS;
  const runs: TestRun[] = [];
  for (let left = opts.repeat; left > 0; left -= perRun)
    runs.push(...(await simulateOnce(test, scope, Math.min(left, perRun))));
  return runs;
}

/** One simulation run of `iterations` calls on a fresh store; the store expectations checked on it after. */
async function simulateOnce(test: AssistantTest, scope: RunScope, iterations: number): Promise<TestRun[]> {
  const { opts, ctx } = scope;
  const run = await scope.stores.open();
  scope.exposed?.use(run);
  try {
    const out = await simulateTest(test, target(scope), scope.vapi!, {
      ...poll(opts, ctx),
      iterations,
      transport: opts.transport,
      onStarted: (r) => {
        if (!ctx.globals.json && r.url) ctx.io.info(`  ${test.name}: ${r.url}`);
      },
    });
    const storeChecks = opts.candidate
      ? await checkStore(test.store ?? [], { store: run.store, timeZone: scope.config.clinic.timeZone })
      : (test.store ?? []).map((e) => ({
          what: `${e.count} ${e.collection}`,
          status: 'skipped' as const,
          detail: "the synced assistant's tools reach your live serve, not this run's: use --candidate",
        }));
    if (opts.realStore) {
      const ids = new Set(out.callIds);
      await purgeCalls(run.store, (id) => ids.has(id), { dryRun: false });
    }
    return out.runs.map((r) => {
      const checks = [...r.checks, ...storeChecks];
      return { ...r, checks, passed: r.passed && storeChecks.every((c) => c.status !== 'failed') };
    });
  } finally {
    scope.exposed?.use(undefined);
    await run.done();
  }
}

/** This run's serve, listening for a simulation's tool calls: its public webhook URL, the store in use. */
interface Exposed {
  webhookUrl: string;
  use(run: { store: Store; sealer: FieldSealer } | undefined): void;
  close(): Promise<void>;
}

/**
 * Starts this run's serve for simulations: it listens on `--port` (loopback), reached through
 * `--tunnel` or `--public-url`, verifies Vapi's signature with the synced credential's plan, and
 * answers on the store of the simulated test running now (503 between tests).
 * @throws UsageError (no public URL, no credential for --candidate), AuthError (no webhook secret)
 */
async function expose(opts: TestOptions, config: BotConfig, ctx: Context): Promise<Exposed> {
  if (!opts.publicUrl && !opts.tunnel)
    throw new UsageError(
      "A simulation's tool calls need a way to this run's serve.",
      'Add --tunnel (ngrok), or --public-url <url> of a tunnel to --port.',
    );
  if (opts.candidate && !config.vapi?.credential)
    throw new UsageError(
      'A candidate assistant signs its tool calls with the webhook credential `sync` creates, and there is none yet.',
      'Run `receptionist sync` once, then test candidates before each next sync.',
    );
  const secret = ctx.env.get('VAPI_SERVER_SECRET');
  if (!secret) {
    throw new AuthError('No webhook secret: VAPI_SERVER_SECRET is not set.', 'Set it as for `serve`.');
  }
  const auth: AuthConfig = {
    plans: config.vapi?.credential ? [config.vapi.credential.plan] : PRE_SYNC_PLANS,
    secrets: [secret.value],
    toleranceSeconds: DEFAULT_TOLERANCE_SECONDS,
  };
  const { default: Fastify } = await import('fastify');
  let current: LocalServe | undefined;
  const front = Fastify({ logger: false });
  front.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
  front.all('/*', async (req, reply) => {
    if (!current) return reply.code(503).send({ error: 'no test is running' });
    const res = await current.forward({
      method: req.method,
      url: req.url,
      headers: req.headers as Record<string, string>,
      body: req.body as Buffer | undefined,
    });
    return reply.code(res.status).headers(res.headers).send(res.body);
  });
  await front.listen({ port: opts.port, host: '127.0.0.1' });
  const port = (front.server.address() as { port: number }).port;
  let tunnel: Tunnel | undefined;
  let base = opts.publicUrl;
  if (opts.tunnel) {
    tunnel = await ctx.tunnel.open({ host: '127.0.0.1', port, ...opts.tunnel, onStatus: () => {} });
    base = tunnel.url;
  }
  const webhookUrl = `${base!.replace(/\/+$/, '')}/webhook`;
  auth.publicUrls = [webhookUrl];
  return {
    webhookUrl,
    use(run) {
      void current?.close();
      current = run ? localServe({ ...run, config, now: ctx.now, auth }) : undefined;
    },
    async close() {
      await current?.close();
      await tunnel?.close();
      await front.close();
    },
  };
}
