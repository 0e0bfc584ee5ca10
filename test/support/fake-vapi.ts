import http from 'node:http';
import net from 'node:net';
import { createHmac, randomUUID } from 'node:crypto';
import { describeErrors, loadPrecompiled, queryProblems, requestValidator, schemaValidator } from './vapi-spec.js';

/**
 * A local stand-in for Vapi: the REST routes the CLI uses, with state in memory, and Vapi's side
 * of the webhook: it sends server messages to the `server.url` of a phone number, assistant or
 * tool, authenticated with the credential that `server.credentialId` names (HMAC or bearer plan,
 * as Vapi's docs describe them; written here from the spec, not shared with `src/`), and retries
 * per the server's `backoffPlan`.
 *
 * Every request body is validated against Vapi's published OpenAPI spec and rejected with Vapi's
 * NestJS-style 400 when the spec rejects it; every server message it sends is valid by the spec's
 * `ServerMessage*` schema. Requests are recorded for assertions.
 */
export interface FakeVapi {
  url: string;
  token: string;
  assistants: Map<string, Record<string, any>>;
  tools: Map<string, Record<string, any>>;
  calls: Map<string, Record<string, any>>;
  chats: Map<string, Record<string, any>>;
  credentials: Map<string, Record<string, any>>;
  phoneNumbers: Map<string, Record<string, any>>;
  requests: Array<{ method: string; path: string; body: unknown; status: number }>;
  /** Every server message sent, one entry per attempt. */
  deliveries: Delivery[];
  /**
   * Fields a phone number's PATCH leaves as they are when sent as null (e.g. `assistantId`), as a Vapi
   * that ignores an unset would. Empty by default: null unsets, as the spec's `@IsOptional()` allows.
   */
  keepOnNull: Set<string>;
  /** What `POST /analytics` answers for each query (`result` rows); default none. */
  analyticsRows: Array<Record<string, unknown>>;
  /** The clock of the signatures' timestamps, ms (default the real one; a test on a pinned clock pins it too). */
  signingClock: () => number;
  /** Eval runs (`POST /eval/run`), by id, with the body they were started with. */
  evalRuns: Map<string, Record<string, any>>;
  /**
   * How an eval run ends (no LLM here): `pass`/`fail` (with what the assistant last said), an
   * `endedReason` other than `mockConversation.done`, or `never` (it runs on, for a timeout). Default pass.
   */
  evalOutcome: (body: any) => { status: 'pass' | 'fail'; said?: string } | { endedReason: string } | 'never';
  /** Simulation runs (`POST /eval/simulation/run`), by id, with their body and items. */
  simulationRuns: Map<string, Record<string, any>>;
  /** Answer `POST /eval/simulation/run` with 402 and this reason (spec `SimulationRunPaymentRequiredResponse`). */
  simulationPaymentRequired?: string;
  /**
   * How each evaluation of a simulated call comes out (default: extracted the expected value, passed):
   * e.g. skipped as multimodal in chat mode.
   */
  simulationEvaluate: (
    evaluation: any,
    transport: string,
  ) => {
    passed: boolean;
    extractedValue: unknown;
    isSkipped?: boolean;
    skipReason?: string;
  };
  /** The tool calls the simulated caller's conversation makes (sent to the target's tool servers, in order). */
  simulationToolCalls: Array<{ name: string; arguments: Record<string, unknown> }>;
  /** What serve answered those tool calls, per run. */
  simulationToolReplies: DeliveryResult[];
  /** Makes the next `n` requests fail with this status (e.g. 500, or 0 to drop the connection). */
  failNext(status: number, n?: number): void;
  /**
   * Declares a request the test expects, e.g. `expect('POST', '/credential')` or
   * `expect('PATCH', /^\/phone-number\//, 1)`; `verify()` fails the test if any never came
   * (at least `times`, default 1, answered 2xx). As gh's httpmock `Registry.Verify`.
   */
  expect(method: string, path: string | RegExp, times?: number): void;
  /** @throws Error listing every expected request that did not come */
  verify(): void;
  /** Sends one server message to `server` as Vapi would: signed per its credential, retried per its backoffPlan. */
  deliver(server: Record<string, any> | undefined, message: Record<string, any>): Promise<DeliveryResult>;
  /**
   * Ends an outbound call the CLI created (`POST /call`) as Vapi would: the call is `ended` with this
   * `endedReason`, and its `end-of-call-report` (with `call.name`, as created) goes to `server`
   * (default: the call's assistant's server).
   */
  endCall(callId: string, endedReason: string, server?: Record<string, any>): Promise<DeliveryResult>;
  /** Plays an inbound call to a phone number: assistant-request (when it has no assistant), status updates, tool calls, the end-of-call report. */
  placeInboundCall(opts: InboundCall): Promise<InboundCallResult>;
  close(): Promise<void>;
}

export interface Delivery {
  type: string;
  url: string;
  attempt: number;
  status: number;
  headers: Record<string, string>;
}

export interface DeliveryResult {
  status: number;
  body: any;
  attempts: number;
}

export interface InboundCall {
  /** E.164 number or id of one of `phoneNumbers`. */
  to: string;
  from: string;
  toolCalls: Array<{ name: string; arguments: Record<string, unknown> }>;
  /** Extra fields for the end-of-call report (summary etc.). */
  report?: Record<string, any>;
}

export interface InboundCallResult {
  callId: string;
  assistantRequest?: DeliveryResult;
  assistantId?: string;
  toolReplies: DeliveryResult[];
  report: DeliveryResult;
}

/** `spec`: the request body's schema; `query`: the operation whose query parameters the query string must fit. */
const ROUTES: Array<{
  method: string;
  pattern: RegExp;
  spec?: [string, string] | string;
  query?: [string, string];
  handle: string;
}> = [
  { method: 'POST', pattern: /^\/assistant$/, spec: ['post', '/assistant'], handle: 'createAssistant' },
  { method: 'GET', pattern: /^\/assistant$/, handle: 'listAssistants' },
  { method: 'GET', pattern: /^\/assistant\/([^/]+)$/, handle: 'getAssistant' },
  { method: 'PATCH', pattern: /^\/assistant\/([^/]+)$/, spec: ['patch', '/assistant/{id}'], handle: 'updateAssistant' },
  { method: 'DELETE', pattern: /^\/assistant\/([^/]+)$/, handle: 'deleteAssistant' },
  { method: 'POST', pattern: /^\/tool$/, spec: ['post', '/tool'], handle: 'createTool' },
  { method: 'GET', pattern: /^\/tool$/, handle: 'listTools' },
  { method: 'GET', pattern: /^\/tool\/([^/]+)$/, handle: 'getTool' },
  { method: 'PATCH', pattern: /^\/tool\/([^/]+)$/, spec: ['patch', '/tool/{id}'], handle: 'updateTool' },
  { method: 'POST', pattern: /^\/call$/, spec: ['post', '/call'], handle: 'createCall' },
  { method: 'GET', pattern: /^\/call$/, query: ['get', '/call'], handle: 'listCalls' },
  { method: 'GET', pattern: /^\/call\/([^/]+)$/, handle: 'getCall' },
  { method: 'GET', pattern: /^\/phone-number$/, handle: 'listPhoneNumbers' },
  { method: 'GET', pattern: /^\/phone-number\/([^/]+)$/, handle: 'getPhoneNumber' },
  {
    method: 'PATCH',
    pattern: /^\/phone-number\/([^/]+)$/,
    spec: ['patch', '/phone-number/{id}'],
    handle: 'updatePhoneNumber',
  },
  // The published spec has the credential schemas but not the /credential paths.
  { method: 'POST', pattern: /^\/credential$/, spec: 'CreateWebhookCredentialDTO', handle: 'createCredential' },
  { method: 'GET', pattern: /^\/credential$/, handle: 'listCredentials' },
  { method: 'GET', pattern: /^\/credential\/([^/]+)$/, handle: 'getCredential' },
  {
    method: 'PATCH',
    pattern: /^\/credential\/([^/]+)$/,
    spec: 'UpdateWebhookCredentialDTO',
    handle: 'updateCredential',
  },
  { method: 'POST', pattern: /^\/chat$/, spec: ['post', '/chat'], handle: 'createChat' },
  { method: 'POST', pattern: /^\/analytics$/, spec: ['post', '/analytics'], handle: 'analytics' },
  { method: 'POST', pattern: /^\/eval\/run$/, spec: ['post', '/eval/run'], handle: 'runEval' },
  { method: 'GET', pattern: /^\/eval\/run\/([^/]+)$/, handle: 'getEvalRun' },
  {
    method: 'POST',
    pattern: /^\/eval\/simulation\/run$/,
    spec: ['post', '/eval/simulation/run'],
    handle: 'runSimulation',
  },
  { method: 'GET', pattern: /^\/eval\/simulation\/run\/([^/]+)$/, handle: 'getSimulationRun' },
  { method: 'GET', pattern: /^\/eval\/simulation\/run\/([^/]+)\/item$/, handle: 'getSimulationItems' },
];

/** The clinic's number: an Indian number imported from Twilio (a free Vapi number could not call Indian patients). */
export const FAKE_PHONE_NUMBER = { id: 'pn_fake', number: '+918041234567', provider: 'twilio' };

/** A free Vapi number (US only for outbound calls, docs `fern/phone-calling.mdx`), for tests that add it. */
export const FREE_VAPI_NUMBER = {
  id: 'pn_free',
  orgId: 'org_fake',
  provider: 'vapi',
  number: '+14155550100',
  name: 'US line',
  status: 'active',
  createdAt: '2026-11-01T00:00:00Z',
  updatedAt: '2026-11-01T00:00:00Z',
};

export async function startFakeVapi(opts: { token?: string; retryDelayScale?: number } = {}): Promise<FakeVapi> {
  const token = opts.token ?? 'vapi-test-key';
  // Validators ready before the first request (compiled once per run by the global setup).
  loadPrecompiled();
  // Backoff delays are Vapi's, scaled down so a test does not sleep for seconds.
  const delayScale = opts.retryDelayScale ?? 0.01;
  const now = () => new Date().toISOString();
  const stamp = (body: Record<string, any>) => ({
    ...body,
    id: randomUUID(),
    orgId: 'org_fake',
    createdAt: now(),
    updatedAt: now(),
  });
  const state = {
    assistants: new Map(),
    tools: new Map(),
    calls: new Map(),
    chats: new Map(),
    credentials: new Map(),
    phoneNumbers: new Map([
      [
        FAKE_PHONE_NUMBER.id,
        {
          ...FAKE_PHONE_NUMBER,
          twilioAccountSid: 'AC_fake',
          orgId: 'org_fake',
          createdAt: now(),
          updatedAt: now(),
          status: 'active',
        },
      ],
    ]),
  } as Pick<FakeVapi, 'assistants' | 'tools' | 'calls' | 'chats' | 'credentials' | 'phoneNumbers'>;
  const requests: FakeVapi['requests'] = [];
  const deliveries: Delivery[] = [];
  let failures: Array<number> = [];
  const expectations: Array<{ method: string; path: string | RegExp; times: number }> = [];
  const keepOnNull = new Set<string>();
  // Vapi never returns a credential's secret.
  const redacted = (c: Record<string, any>) => {
    const { secretKey: _s, token: _t, ...plan } = c.authenticationPlan ?? {};
    return { ...c, authenticationPlan: plan };
  };
  const list = (m: Map<string, Record<string, any>>) =>
    [...m.values()].sort((a, b) => String(b.createdAt).localeCompare(String(a.createdAt)));
  const update = (
    m: Map<string, Record<string, any>>,
    what: string,
    id: string,
    b: Record<string, any>,
  ): [number, unknown] => {
    const x = m.get(id);
    if (!x) return notFound(what);
    // Nested objects are replaced, not merged, as on the real API.
    const next: Record<string, any> = { ...x, ...b, updatedAt: now() };
    for (const [k, v] of Object.entries(b))
      if (v === null) {
        if (m === state.phoneNumbers && keepOnNull.has(k) && x[k] != null) next[k] = x[k];
        else delete next[k];
      }
    m.set(id, next);
    return [200, next];
  };

  const handlers: Record<string, (m: RegExpExecArray, body: any, query: URLSearchParams) => [number, unknown]> = {
    createAssistant: (_m, b) => {
      const a = stamp(b);
      state.assistants.set(a.id, a);
      return [201, a];
    },
    listAssistants: () => [200, list(state.assistants)],
    getAssistant: (m) => (state.assistants.has(m[1]!) ? [200, state.assistants.get(m[1]!)] : notFound('Assistant')),
    updateAssistant: (m, b) => update(state.assistants, 'Assistant', m[1]!, b),
    deleteAssistant: (m) => {
      const a = state.assistants.get(m[1]!);
      if (!a) return notFound('Assistant');
      state.assistants.delete(a.id);
      return [200, a];
    },
    createTool: (_m, b) => {
      const t = stamp(b);
      state.tools.set(t.id, t);
      return [201, t];
    },
    listTools: () => [200, list(state.tools)],
    getTool: (m) => (state.tools.has(m[1]!) ? [200, state.tools.get(m[1]!)] : notFound('Tool')),
    updateTool: (m, b) => update(state.tools, 'Tool', m[1]!, b),
    createCall: (_m, b) => {
      if (b.assistantId && !state.assistants.has(b.assistantId))
        return [
          400,
          {
            message: [`Couldn't Get Assistant. Assistant Id ${b.assistantId} Doesn't Exist.`],
            error: 'Bad Request',
            statusCode: 400,
          },
        ];
      const c = {
        ...stamp(b),
        type: 'outboundPhoneCall',
        status: b.schedulePlan ? 'scheduled' : 'queued',
        polls: 0,
        cost: 0,
      };
      state.calls.set(c.id, c);
      return [201, c];
    },
    listCalls: (_m, _b, q) => {
      const since = q.get('createdAtGe');
      const calls = list(state.calls).filter(
        (c) =>
          (!q.get('assistantId') || c.assistantId === q.get('assistantId')) &&
          (!since || Date.parse(c.createdAt) >= Date.parse(since)),
      );
      return [200, calls.slice(0, Number(q.get('limit') ?? 100))];
    },
    getCall: (m) => {
      const c = state.calls.get(m[1]!);
      if (!c) return notFound('Call');
      // Each poll moves the call along: queued → ringing → in-progress → ended.
      const order = ['scheduled', 'queued', 'ringing', 'in-progress', 'ended'];
      const i = order.indexOf(c.status);
      if (i >= 0 && i < order.length - 1) c.status = order[i + 1];
      if (c.status === 'ended')
        Object.assign(c, { endedReason: 'customer-ended-call', cost: 0.0842, startedAt: c.createdAt, endedAt: now() });
      return [200, c];
    },
    listPhoneNumbers: () => [200, [...state.phoneNumbers.values()]],
    getPhoneNumber: (m) =>
      state.phoneNumbers.has(m[1]!) ? [200, state.phoneNumbers.get(m[1]!)] : notFound('Phone Number'),
    updatePhoneNumber: (m, b) => update(state.phoneNumbers, 'Phone Number', m[1]!, b),
    createCredential: (_m, b) => {
      const c = stamp(b);
      state.credentials.set(c.id, c);
      return [201, redacted(c)];
    },
    listCredentials: () => [200, list(state.credentials).map(redacted)],
    getCredential: (m) =>
      state.credentials.has(m[1]!) ? [200, redacted(state.credentials.get(m[1]!)!)] : notFound('Credential'),
    updateCredential: (m, b) => {
      const r = update(state.credentials, 'Credential', m[1]!, b);
      return r[0] === 200 ? [200, redacted(r[1] as Record<string, any>)] : r;
    },
    createChat: (_m, b) => {
      const chat = {
        ...stamp(b),
        output: [
          {
            role: 'assistant',
            content: `You said: ${typeof b.input === 'string' ? b.input : JSON.stringify(b.input)}`,
          },
        ],
      };
      state.chats.set(chat.id, chat);
      return [201, chat];
    },
    analytics: (_m, b) => [
      201,
      b.queries.map((q: any) => ({ name: q.name, timeRange: q.timeRange, result: fake.analyticsRows })),
    ],
    // Evals (docs `fern/test/chat-testing.mdx`): queued, then running, then ended at the third read.
    runEval: (_m, b) => {
      const id = randomUUID();
      fake.evalRuns.set(id, { id, body: b, reads: 0, createdAt: now() });
      return [201, { evalRunId: id, workflowId: randomUUID() }];
    },
    getEvalRun: (m) => {
      const run = fake.evalRuns.get(m[1]!);
      if (!run) return notFound('Eval run');
      const outcome = fake.evalOutcome(run.body);
      const status =
        outcome === 'never' ? 'running' : (['queued', 'running', 'ended'] as const)[Math.min(run.reads++, 2)];
      const ended = status === 'ended' && outcome !== 'never';
      const results =
        ended && 'status' in outcome
          ? [
              {
                status: outcome.status,
                messages: [
                  ...run.body.eval.messages.filter((x: any) => x.role === 'user'),
                  { role: 'assistant', content: outcome.said ?? 'Done.' },
                ],
                startedAt: run.createdAt,
                endedAt: now(),
              },
            ]
          : [];
      return [
        200,
        {
          id: run.id,
          orgId: 'org_fake',
          type: 'eval',
          status,
          endedReason: ended ? ('endedReason' in outcome ? outcome.endedReason : 'mockConversation.done') : undefined,
          ...(ended && 'endedReason' in outcome ? { endedMessage: 'The Assistant returned an error' } : {}),
          eval: run.body.eval,
          target: run.body.target,
          createdAt: run.createdAt,
          startedAt: run.createdAt,
          endedAt: ended ? now() : undefined,
          results,
          cost: ended ? 0.0123 : 0,
          costs: ended ? [{ type: 'model', model: 'gpt-4o', cost: 0.0123 }] : [],
        },
      ];
    },
    // Simulations (docs `fern/observability/simulations-quickstart.mdx`): each simulation × iterations is
    // an item; the simulated caller's tool calls go to the target's tool servers before the run ends.
    runSimulation: (_m, b) => {
      if (fake.simulationPaymentRequired)
        return [402, { statusCode: 402, message: 'Payment Required', reason: fake.simulationPaymentRequired }];
      const id = randomUUID();
      const run: Record<string, any> = { id, body: b, reads: 0, createdAt: now() };
      run.delivered = (async () => {
        const target = b.target.assistant ?? state.assistants.get(b.target.assistantId);
        const tools: any[] = target?.model?.tools ?? [];
        for (let i = 0; i < (b.iterations ?? 1) * b.simulations.length; i++)
          for (const call of fake.simulationToolCalls) {
            const tool = tools.find((t) => t.function?.name === call.name);
            const callId = randomUUID();
            // As a real call's: `arguments` a JSON string (the spec's type).
            const toolCall = {
              id: randomUUID(),
              type: 'function',
              function: { name: call.name, arguments: JSON.stringify(call.arguments) },
            };
            fake.simulationToolReplies.push(
              await deliver(tool?.server ?? target?.server, {
                type: 'tool-calls',
                timestamp: Date.now(),
                call: {
                  id: callId,
                  orgId: 'org_fake',
                  type: 'webCall',
                  status: 'in-progress',
                  createdAt: now(),
                  updatedAt: now(),
                },
                toolCallList: [toolCall],
                toolWithToolCallList: [
                  { type: 'function', function: tool?.function ?? { name: call.name }, server: tool?.server, toolCall },
                ],
              }),
            );
          }
      })().then(
        () => (run.done = true),
        (err: unknown) => ((run.done = true), (run.error = err)),
      );
      fake.simulationRuns.set(id, run);
      return [
        201,
        {
          id,
          orgId: randomUUID(),
          status: 'queued',
          queuedAt: now(),
          createdAt: now(),
          updatedAt: now(),
          simulations: b.simulations,
          target: b.target,
          iterations: b.iterations ?? 1,
          transport: b.transport,
          simulationRunItemIds: [],
          url: `https://dashboard.vapi.ai/simulations/runs/${id}`,
        },
      ];
    },
    getSimulationRun: (m) => {
      const run = fake.simulationRuns.get(m[1]!);
      if (!run) return notFound('Simulation run');
      // The fake failing to play the caller must say why, not end the run as if it had.
      if (run.error) throw run.error;
      const status = !run.done ? 'running' : (['queued', 'running', 'ended'] as const)[Math.min(run.reads++, 2)];
      return [
        200,
        {
          id: run.id,
          orgId: randomUUID(),
          status,
          queuedAt: run.createdAt,
          createdAt: run.createdAt,
          updatedAt: now(),
          simulations: run.body.simulations,
          target: run.body.target,
          ...(status === 'ended' ? { endedAt: now(), endedReason: 'completed' } : {}),
        },
      ];
    },
    getSimulationItems: (m) => {
      const run = fake.simulationRuns.get(m[1]!);
      if (!run) return notFound('Simulation run');
      const transport = run.body.transport?.provider ?? 'vapi.websocket';
      const items = run.body.simulations.flatMap((sim: any) =>
        Array.from({ length: run.body.iterations ?? 1 }, (_x, i) => {
          const evaluations = (sim.scenario?.evaluations ?? []).map((e: any) => {
            const out = fake.simulationEvaluate(e, transport);
            return {
              structuredOutputId: 'inline',
              name: e.structuredOutput.name,
              extractedValue: out.extractedValue,
              expectedValue: e.value,
              comparator: e.comparator,
              passed: out.passed,
              required: e.required ?? true,
              ...(out.isSkipped ? { isSkipped: true, skipReason: out.skipReason } : {}),
            };
          });
          const passed = evaluations.every((e: any) => e.passed || !e.required);
          return {
            id: randomUUID(),
            orgId: randomUUID(),
            runId: run.id,
            status: passed ? 'passed' : 'failed',
            iterationNumber: i + 1,
            callId: randomUUID(),
            queuedAt: run.createdAt,
            createdAt: run.createdAt,
            updatedAt: now(),
            results: {
              evaluations,
              passed,
              latencyMetrics: { turnCount: 6, avgTurn: 1240, avgModel: 610, avgVoice: 0 },
            },
          };
        }),
      );
      return [200, items];
    },
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const [path, search] = (req.url ?? '/').split('?') as [string, string | undefined];
      const query = new URLSearchParams(search ?? '');
      const reply = (status: number, body: unknown) => {
        requests.push({ method: req.method!, path, body: parsed, status });
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      };
      let parsed: unknown;
      try {
        parsed = chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined;
      } catch {
        return reply(400, { message: ['body is not JSON'], error: 'Bad Request', statusCode: 400 });
      }
      const fail = failures.shift();
      if (fail === 0) return req.socket.destroy();
      if (fail) return reply(fail, { message: 'injected failure', statusCode: fail });
      if (req.headers.authorization !== `Bearer ${token}`)
        return reply(401, {
          message: 'Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.',
          error: 'Unauthorized',
          statusCode: 401,
        });
      const route = ROUTES.find((r) => r.method === req.method && r.pattern.test(path));
      if (!route) return reply(404, { message: `Cannot ${req.method} ${path}`, error: 'Not Found', statusCode: 404 });
      try {
        if (route.spec) {
          const validate =
            typeof route.spec === 'string'
              ? schemaValidator(route.spec)
              : requestValidator(route.spec[0], route.spec[1]);
          if (!validate(parsed))
            return reply(400, { message: [describeErrors(validate)], error: 'Bad Request', statusCode: 400 });
        }
        const wrong = route.query && queryProblems(route.query[0], route.query[1], query);
        if (wrong) return reply(400, { message: [wrong], error: 'Bad Request', statusCode: 400 });
        const [status, body] = handlers[route.handle]!(route.pattern.exec(path)!, parsed as any, query);
        reply(status, body);
      } catch (err) {
        // A fake that cannot answer must say why at once, not leave the client to time out.
        reply(500, { message: `fake Vapi failed: ${(err as Error).message}`, statusCode: 500 });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;

  /** The headers Vapi adds for a credential (docs `server-authentication.mdx`; spec `HMACAuthenticationPlan`, `BearerAuthenticationPlan`). */
  const authenticate = (credentialId: string | undefined, body: string, url: string): Record<string, string> => {
    if (!credentialId) return {};
    const credential = state.credentials.get(credentialId);
    if (!credential) throw new Error(`server.credentialId ${credentialId} names no credential`);
    const plan = credential.authenticationPlan;
    if (plan.type === 'bearer')
      return {
        [plan.headerName ?? 'Authorization']: plan.bearerPrefixEnabled === false ? plan.token : `Bearer ${plan.token}`,
      };
    const timestamp = String(fake.signingClock());
    const messageId = `msg_${randomUUID()}`;
    const includeTimestamp = plan.includeTimestamp ?? true;
    const format: string = plan.payloadFormat ?? (includeTimestamp ? '{timestamp}.{body}' : '{body}');
    const payload = format
      .split('{body}')
      .map((part) =>
        part
          .replaceAll('{timestamp}', timestamp)
          .replaceAll('{method}', 'POST')
          .replaceAll('{url}', url)
          .replaceAll('{svix-id}', messageId),
      )
      .join(body);
    const key = plan.secretIsBase64 ? Buffer.from(plan.secretKey, 'base64') : plan.secretKey;
    const signature = createHmac(plan.algorithm, key)
      .update(payload)
      .digest(plan.signatureEncoding ?? 'hex');
    const headers: Record<string, string> = {
      [plan.signatureHeader ?? 'x-signature']: `${plan.signaturePrefix ?? ''}${signature}`,
    };
    if (includeTimestamp) headers[plan.timestampHeader ?? 'x-timestamp'] = timestamp;
    if (plan.messageIdHeader) headers[plan.messageIdHeader] = messageId;
    return headers;
  };

  const deliver: FakeVapi['deliver'] = async (srv, message) => {
    if (!srv?.url) throw new Error(`no server.url to send ${String(message.type)} to`);
    const type = String(message.type);
    const schema = SCHEMA_OF[type];
    if (schema) {
      const validate = schemaValidator(schema);
      if (!validate(message))
        throw new Error(`the fake built a ${type} that the spec rejects: ${describeErrors(validate)}`);
    }
    const body = JSON.stringify({ message });
    const plan = srv.backoffPlan ?? { type: 'fixed', maxRetries: 0, baseDelaySeconds: 0 };
    const excluded = new Set<number>(plan.excludedStatusCodes ?? []);
    for (let attempt = 1; ; attempt++) {
      const headers = {
        'content-type': 'application/json',
        ...(srv.headers ?? {}),
        ...authenticate(srv.credentialId, body, srv.url),
      };
      let status = 0;
      let reply: any;
      try {
        const res = await fetch(srv.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout((srv.timeoutSeconds ?? 20) * 1000),
        });
        status = res.status;
        const text = await res.text();
        try {
          reply = text ? JSON.parse(text) : undefined;
        } catch {
          reply = text;
        }
      } catch {
        // No answer (refused, reset, timed out): recorded as status 0, retried like a failure.
      }
      deliveries.push({ type: message.type, url: srv.url, attempt, status, headers });
      const ok = status >= 200 && status < 300;
      const replySchema = REPLY_SCHEMA_OF[message.type];
      if (ok && replySchema) {
        // Vapi reads these replies: one it could not use is a failure of the server, not of the fake.
        const validate = schemaValidator(replySchema);
        if (!validate(reply))
          throw new Error(`serve answered ${message.type} with a reply the spec rejects: ${describeErrors(validate)}`);
      }
      if (ok || excluded.has(status) || attempt > plan.maxRetries) return { status, body: reply, attempts: attempt };
      const delay = plan.type === 'exponential' ? plan.baseDelaySeconds * 2 ** (attempt - 1) : plan.baseDelaySeconds;
      await new Promise((r) => setTimeout(r, delay * 1000 * delayScale));
    }
  };

  const placeInboundCall: FakeVapi['placeInboundCall'] = async (o) => {
    const pn = [...state.phoneNumbers.values()].find((p) => p.id === o.to || p.number === o.to);
    if (!pn) throw new Error(`no phone number ${o.to}`);
    const callId = `call_${randomUUID()}`;
    const t = Date.now();
    const call = {
      id: callId,
      orgId: 'org_fake',
      createdAt: new Date(t).toISOString(),
      updatedAt: new Date(t).toISOString(),
      type: 'inboundPhoneCall',
      status: 'ringing',
      phoneNumberId: pn.id,
      customer: { number: o.from },
    };
    const common = (type: string) => ({
      type,
      timestamp: Date.now(),
      call,
      customer: { number: o.from },
      phoneNumber: pn,
    });
    let assistant: Record<string, any> | undefined = pn.assistantId ? state.assistants.get(pn.assistantId) : undefined;
    let assistantRequest: DeliveryResult | undefined;
    if (!assistant) {
      // No assistant on the number: Vapi asks its server which one to use.
      assistantRequest = await deliver(pn.server, common('assistant-request'));
      const r = assistantRequest.body ?? {};
      assistant = r.assistantId ? state.assistants.get(r.assistantId) : r.assistant;
      if (!assistant) throw new Error(`assistant-request got no usable assistant: ${JSON.stringify(r).slice(0, 200)}`);
    }
    const withAssistant = { ...call, assistantId: assistant.id, status: 'in-progress' };
    const msg = (type: string, extra: Record<string, any>) => ({ ...common(type), call: withAssistant, ...extra });
    await deliver(assistant.server, msg('status-update', { status: 'in-progress' }));
    const toolReplies: DeliveryResult[] = [];
    for (const [i, tc] of o.toolCalls.entries()) {
      const tool = ((assistant.model?.toolIds ?? []) as string[])
        .map((id) => state.tools.get(id))
        .find((x) => x?.function?.name === tc.name);
      // The spec types `arguments` as a JSON string (real captures also show objects; serve takes both).
      const toolCall = {
        id: `call_tool_${i}_${randomUUID().slice(0, 8)}`,
        type: 'function',
        function: { name: tc.name, arguments: JSON.stringify(tc.arguments) },
      };
      const fn = tool?.function ?? { name: tc.name };
      toolReplies.push(
        await deliver(
          tool?.server ?? assistant.server,
          msg('tool-calls', {
            toolCallList: [toolCall],
            toolWithToolCallList: [{ type: 'function', function: fn, server: tool?.server, toolCall }],
          }),
        ),
      );
    }
    const endedAt = new Date(Date.now() + 1000).toISOString();
    const report = await deliver(
      assistant.server,
      msg('end-of-call-report', {
        endedReason: 'customer-ended-call',
        startedAt: call.createdAt,
        endedAt,
        cost: 0.0931,
        artifact: { transcript: 'AI: Welcome!\nUser: I would like an appointment.', messages: [] },
        analysis: {},
        ...o.report,
      }),
    );
    return { callId, assistantRequest, assistantId: assistant.id, toolReplies, report };
  };

  const endCall: FakeVapi['endCall'] = async (callId, endedReason, server) => {
    const call = state.calls.get(callId);
    if (!call) throw new Error(`no call ${callId}`);
    const endedAt = new Date().toISOString();
    Object.assign(call, { status: 'ended', endedReason, startedAt: call.createdAt, endedAt });
    const assistant = state.assistants.get(call.assistantId);
    const { polls: _p, ...snapshot } = call;
    return deliver(server ?? assistant?.server, {
      type: 'end-of-call-report',
      timestamp: Date.now(),
      endedReason,
      startedAt: call.createdAt,
      endedAt,
      cost: 0.0412,
      call: { ...snapshot, status: 'queued' },
      customer: call.customer,
      artifact: { transcript: '', messages: [] },
      analysis: {},
    });
  };

  const fake: FakeVapi = {
    url: `http://127.0.0.1:${port}`,
    token,
    endCall,
    analyticsRows: [],
    signingClock: () => Date.now(),
    evalRuns: new Map(),
    evalOutcome: () => ({ status: 'pass' }),
    simulationRuns: new Map(),
    simulationEvaluate: (e) => ({ passed: true, extractedValue: e.value }),
    simulationToolCalls: [],
    simulationToolReplies: [],
    ...state,
    requests,
    deliveries,
    keepOnNull,
    failNext(status, n = 1) {
      failures = [...failures, ...Array(n).fill(status)];
    },
    deliver,
    placeInboundCall,
    expect(method, path, times = 1) {
      expectations.push({ method, path, times });
    },
    verify() {
      const missing = expectations.filter(({ method, path, times }) => {
        const seen = requests.filter(
          (r) =>
            r.method === method && r.status < 300 && (typeof path === 'string' ? r.path === path : path.test(r.path)),
        );
        return seen.length < times;
      });
      if (missing.length) {
        throw new Error(
          `fake Vapi: expected but never received: ${missing.map((m) => `${m.method} ${String(m.path)} ×${m.times}`).join(', ')}`,
        );
      }
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
  return fake;
}

const SCHEMA_OF: Record<string, string> = {
  'assistant-request': 'ServerMessageAssistantRequest',
  'status-update': 'ServerMessageStatusUpdate',
  'tool-calls': 'ServerMessageToolCalls',
  'end-of-call-report': 'ServerMessageEndOfCallReport',
};

const REPLY_SCHEMA_OF: Record<string, string> = {
  'assistant-request': 'ServerMessageResponseAssistantRequest',
  'tool-calls': 'ServerMessageResponseToolCalls',
};

function notFound(what: string): [number, unknown] {
  return [404, { message: `${what} not found`, error: 'Not Found', statusCode: 404 }];
}
