import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { XMLParser } from 'fast-xml-parser';
import { commandEnv } from '../support/command-env.js';
import { freePort } from '../support/net.js';
import { patientFlags } from '../support/cli.js';
import { requestValidator, describeErrors } from '../support/vapi-spec.js';
import { openEmbeddedStore } from '../../src/store/embedded.js';

// `receptionist test` (issue 27): the shipped tests locally, and the runs on Vapi against the fake,
// whose every request body is checked against Vapi's spec (a body the spec rejects gets a 400).
const SECRET = 'test-hook-secret-0123456789abcdef';
const { ctx, run, seedWithAdmin } = commandEnv({ VAPI_SERVER_SECRET: SECRET, RECEPTIONIST_POLL_INTERVAL_MS: '5' });

const testsDir = () => path.join(ctx.tmp.dir, 'receptionist', 'tests');
const json = (out: string) => JSON.parse(out) as any;

async function appointmentsInStore(): Promise<number> {
  const store = await openEmbeddedStore({ dir: path.join(ctx.tmp.dir, 'store'), readOnly: true });
  try {
    return await store.collection('appointments').count({});
  } finally {
    await store.close();
  }
}

/** This run's serve on a free loopback port, given as its own public URL: what a simulation's tool calls reach. */
async function loopbackExposure(): Promise<{ url: string; flags: string[] }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  return { url, flags: ['--public-url', url, '--port', String(port)] };
}

/** A test file in the project's tests folder. */
function writeTest(name: string, yaml: string): void {
  fs.mkdirSync(testsDir(), { recursive: true });
  fs.writeFileSync(path.join(testsDir(), name), yaml);
}

const SIMULATED = `name: Book by a simulated caller
simulate:
  instruction: You are Asha Verma and want the cardiologist on Wednesday at 10.
  checks:
    - judge: Reads the time back before booking.
never: [cancel_appointment]
store:
  - collection: appointments
    where: { doctorId: dr-rao, status: confirmed }
    count: 1
`;

describe('receptionist test --local', () => {
  test('seed writes the shipped tests; they all pass on a throwaway copy, the store is untouched, and nothing the model does is counted', async () => {
    await seedWithAdmin('admin-passphrase-123');
    expect(fs.readdirSync(testsDir()).sort()).toEqual([
      'ac-warranty.yaml',
      'book-a-slot.yaml',
      'cancel-wrong-name.yaml',
      'chest-pain.yaml',
      'impossible-date.yaml',
      'move-it.yaml',
    ]);
    const before = await appointmentsInStore();
    const junit = path.join(ctx.tmp.dir, 'results.xml');
    const r = await run(['test', '--local', '--json', '--junit', junit]);
    expect(r.code, r.out + r.err).toBe(0);
    const s = json(r.out);
    expect(s).toMatchObject({ mode: 'local', passed: 6, failed: 0, errors: 0, untested: 0 });
    const checks = s.tests.flatMap((t: any) => t.runs[0].checks);
    for (const c of checks.filter((c: any) => /^(says|never)/.test(c.what))) expect(c.status).toBe('skipped');
    expect(await appointmentsInStore()).toBe(before);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(fs.readFileSync(junit, 'utf8'));
    const suite = xml.testsuites.testsuite;
    expect(suite['@_tests']).toBe('6');
    expect(suite['@_failures']).toBe('0');
    expect(suite.testcase).toHaveLength(6);
    // A second seed keeps the operator's edited tests.
    fs.writeFileSync(path.join(testsDir(), 'book-a-slot.yaml'), 'edited');
    expect((await run(['seed'])).code).toBe(0);
    expect(fs.readFileSync(path.join(testsDir(), 'book-a-slot.yaml'), 'utf8')).toBe('edited');
  });

  test("the clinic's patients never reach a test run: a real booking on the tested slot changes nothing", async () => {
    await seedWithAdmin('admin-passphrase-123');
    const booked = await run(
      ['appointments', 'book', '--doctor', 'rao', '--at', '2026-11-25 10:00', ...patientFlags('Zorawar Canaryson')],
      { env: { RECEPTIONIST_USERNAME: 'admin', RECEPTIONIST_PASSWORD: 'admin-passphrase-123' } },
    );
    expect(booked.code, booked.err).toBe(0);
    const r = await run(['test', '--local', '--filter', 'book-a-slot']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).not.toMatch(/Zorawar/);
  });

  test('a tool that answers differently fails the test (exit 1), naming what it answered', async () => {
    expect((await run(['seed'])).code).toBe(0);
    writeTest(
      'changed.yaml',
      `name: Changed answer
at: 2026-11-23T09:30:00+05:30
conversation:
  - caller: Cardiology on Wednesday at 10?
  - assistant:
      tools:
        - name: check_availability
          arguments: { date: Wednesday at 10 AM, specialty: cardiology }
          result: { regex: "^Sorry" }
`,
    );
    const r = await run(['test', '--local', '--filter', 'changed']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^FAILED +Changed answer/m);
    expect(r.out).toMatch(
      /✗ check_availability\(Wednesday at 10 AM, cardiology\): answered ".*", expected regex "\^Sorry"/,
    );
    expect(r.out).toMatch(/0 passed, 1 failed/);
  });

  test('a file the schema rejects and an unknown tool: each named at its line and column (exit 2), and the other tests still run', async () => {
    expect((await run(['seed'])).code).toBe(0);
    writeTest('zz-bad.yaml', 'name: Bad\nconversation: 3\n');
    writeTest('zz-tool.yaml', 'name: Tool\nconversation:\n  - assistant:\n      tools: [{ name: frobnicate }]\n');
    writeTest('zz-sim.yaml', SIMULATED);
    const r = await run(['test', '--local']);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/^SKIPPED +Book by a simulated caller\n +not run: a simulated caller needs Vapi/m);
    expect(r.out).toMatch(/zz-bad\.yaml:2:15: conversation must be array\./);
    expect(r.out).toMatch(/zz-tool\.yaml:4:23: "frobnicate" is not a tool of the assistant/);
    expect(r.out).toMatch(/6 passed, 0 failed, 2 not usable, 1 skipped/);
  });

  test("--store: the tools write the real store, and the test's calls are purged from it after", async () => {
    await seedWithAdmin('admin-passphrase-123');
    const before = await appointmentsInStore();
    const r = await run(['test', '--local', '--store', '--filter', 'book-a-slot', '--json']);
    expect(r.code, r.out + r.err).toBe(0);
    expect(json(r.out).tests[0].runs[0].checks.at(-1)).toMatchObject({
      what: expect.stringMatching(/^1 appointments/),
      status: 'passed',
    });
    expect(await appointmentsInStore()).toBe(before);
    const store = await openEmbeddedStore({ dir: path.join(ctx.tmp.dir, 'store'), readOnly: true });
    try {
      expect(await store.collection('replies').count({})).toBe(0);
      expect(await store.collection('outbox').count({})).toBe(0);
    } finally {
      await store.close();
    }
  });

  test('no tests folder: exit 2 with the way to get one', async () => {
    expect((await run(['seed'])).code).toBe(0);
    fs.rmSync(testsDir(), { recursive: true });
    const r = await run(['test', '--local']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/No tests: the folder .* does not exist/);
    expect(r.err).toMatch(/receptionist seed/);
  });
});

describe('receptionist test on Vapi (evals)', () => {
  test("--candidate: the eval carries the caller's turns, judged tool calls and serve's own answers; exit 0 and the cost", async () => {
    expect((await run(['seed'])).code).toBe(0);
    const r = await run(['test', '--candidate', '--filter', 'book-a-slot', '--json']);
    expect(r.code, r.err).toBe(0);
    expect(json(r.out)).toMatchObject({ mode: 'vapi', passed: 1, cost: 0.0123, estimate: 0.04 });
    const [started] = [...ctx.fake.evalRuns.values()];
    const body = started!.body;
    const valid = requestValidator('post', '/eval/run');
    expect(valid(body), describeErrors(valid)).toBe(true);
    expect(body.target.assistant.model.tools.map((t: any) => t.function?.name)).toContain('book_appointment');
    const m = body.eval.messages;
    expect(m[0]).toEqual({
      role: 'user',
      content: "I'd like to see the cardiologist on Wednesday at 10 in the morning.",
    });
    expect(m[1].judgePlan.toolCalls).toEqual([{ name: 'check_availability', arguments: { specialty: '/cardio/i' } }]);
    expect(m[1].continuePlan.toolCallsOverride[0]).toMatchObject({ name: 'check_availability' });
    expect(m[2]).toMatchObject({ role: 'tool', content: expect.stringMatching(/free/) });
    const last = m.at(-1);
    expect(last.judgePlan.type).toBe('ai');
    expect(last.judgePlan.model.messages[0].content).toMatch(/Reads the day and time back[\s\S]*cancel_appointment/);
    expect(m.find((x: any) => x.role === 'tool' && /You're booked with Dr\. Priya Rao/.test(x.content))).toBeTruthy();
  });

  test('`never` with no judged turn is reported as not checked on Vapi, not as passed', async () => {
    expect((await run(['seed'])).code).toBe(0);
    const r = await run(['test', '--candidate', '--filter', 'warranty', '--json']);
    expect(r.code, r.err).toBe(0);
    const checks = json(r.out).tests[0].runs[0].checks;
    expect(checks.filter((c: any) => c.what.startsWith('never'))).toEqual([
      expect.objectContaining({ what: 'never calls book_appointment', status: 'skipped' }),
      expect.objectContaining({ what: 'never calls cancel_appointment', status: 'skipped' }),
    ]);
  });

  test('a judged turn that fails: exit 1 with what the assistant said; the synced assistant is the default target', async () => {
    expect((await run(['seed'])).code).toBe(0);
    expect((await run(['sync', '--server-url', 'https://clinic.example.com'])).code).toBe(0);
    ctx.fake.evalOutcome = () => ({ status: 'fail', said: 'Booked you for Thursday.' });
    const r = await run(['test', '--filter', 'move-it']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /✗ conversation on Vapi \(\d judged turns?\): the assistant's last words: "Booked you for Thursday\."/,
    );
    const [started] = [...ctx.fake.evalRuns.values()];
    expect(started!.body.target.assistantId).toBe([...ctx.fake.assistants.keys()][0]);
  });

  test('--repeat with --min-pass-rate: 2 of 3 passes 0.6 and fails 0.9', async () => {
    expect((await run(['seed'])).code).toBe(0);
    const verdicts = () => {
      let n = 0;
      return () => ({ status: n++ % 3 === 1 ? ('fail' as const) : ('pass' as const) });
    };
    const byRun = new Map<unknown, { status: 'pass' | 'fail' }>();
    const next = verdicts();
    ctx.fake.evalOutcome = (body) => byRun.get(body) ?? byRun.set(body, next()).get(body)!;
    const ok = await run([
      'test',
      '--candidate',
      '--filter',
      'chest',
      '--repeat',
      '3',
      '--min-pass-rate',
      '0.6',
      '--json',
    ]);
    expect(ok.code, ok.err).toBe(0);
    expect(json(ok.out).tests[0].passRate).toBeCloseTo(2 / 3);
    const strict = await run(['test', '--candidate', '--filter', 'chest', '--repeat', '3', '--min-pass-rate', '0.9']);
    expect(strict.code).toBe(1);
    expect(strict.out).toMatch(/2\/3 runs passed/);
  });

  test('a run that cannot be made is exit 9, never a failure: ended in error, no end within --timeout, over --max-cost', async () => {
    expect((await run(['seed'])).code).toBe(0);
    ctx.fake.evalOutcome = () => ({ endedReason: 'error' });
    const error = await run(['test', '--candidate', '--filter', 'chest']);
    expect(error.code).toBe(9);
    expect(error.out).toMatch(/not run: Eval run .* ended with error: The Assistant returned an error/);

    ctx.fake.evalOutcome = () => 'never';
    const timeout = await run(['test', '--candidate', '--filter', 'chest', '--timeout', '0.05']);
    expect(timeout.code).toBe(9);
    expect(timeout.out).toMatch(/had not ended after 0 s/);

    ctx.fake.failNext(400);
    const refused = await run(['test', '--candidate', '--filter', 'chest']);
    expect(refused.code).toBe(9);
    expect(refused.out).toMatch(/not run: Vapi refused to start the eval run \(HTTP 400\): injected failure/);

    const runs = ctx.fake.evalRuns.size;
    const costly = await run(['test', '--candidate', '--max-cost', '0.01']);
    expect(costly.code).toBe(9);
    expect(costly.err).toMatch(/estimated cost, \$0\.\d\d, is above --max-cost \$0\.01; nothing was run/);
    expect(ctx.fake.evalRuns.size).toBe(runs);
  });
});

describe('receptionist test on Vapi (simulations)', () => {
  test("a candidate's simulated caller reaches this run's serve: the booking lands in the throwaway copy, never the store", async () => {
    expect((await run(['seed'])).code).toBe(0);
    expect((await run(['sync', '--server-url', 'https://clinic.example.com'])).code).toBe(0);
    writeTest('sim.yaml', SIMULATED);
    ctx.fake.simulationToolCalls = [
      {
        name: 'book_appointment',
        arguments: {
          name: 'Asha Verma',
          email: 'asha@example.com',
          phone: '+919812345678',
          date: 'next Wednesday at 10am',
          reason: 'check-up',
          doctor: 'Rao',
        },
      },
    ];
    const before = await appointmentsInStore();
    // serve checks the signature's timestamp on the commands' pinned clock.
    ctx.fake.signingClock = () => Date.parse('2026-11-21T04:30:00Z');
    const exposure = await loopbackExposure();
    const r = await run(['test', '--candidate', '--filter', 'simulated', ...exposure.flags, '--json']);
    expect(r.code, JSON.stringify(ctx.fake.simulationToolReplies) + r.out + r.err).toBe(0);
    expect(
      ctx.fake.simulationToolReplies.map((x) => x.status),
      JSON.stringify(ctx.fake.simulationToolReplies),
    ).toEqual([200]);
    expect(JSON.stringify(ctx.fake.simulationToolReplies[0]!.body)).toMatch(/booked/i);
    const t = json(r.out).tests[0];
    expect(t.runs[0].checks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ what: '(judged: Reads the time back before booking.)', status: 'passed' }),
        expect.objectContaining({ what: 'never calls cancel_appointment', status: 'passed' }),
        expect.objectContaining({ what: expect.stringMatching(/^1 appointments/), status: 'passed' }),
      ]),
    );
    expect(t.runs[0].latency).toEqual({ turnCount: 6, avgTurn: 1240, avgModel: 610, avgVoice: 0 });
    const [sim] = [...ctx.fake.simulationRuns.values()];
    const valid = requestValidator('post', '/eval/simulation/run');
    expect(valid(sim!.body), describeErrors(valid)).toBe(true);
    expect(sim!.body.transport).toEqual({ provider: 'vapi.webchat' });
    expect(sim!.body.target.assistant.server.url).toBe(`${exposure.url}/webhook`);
    expect(await appointmentsInStore()).toBe(before);

    // Repeated, a test with store expectations gets one simulated call per run, each on a fresh
    // store: two bookings in one would fail its count of one.
    const twice = await run([
      'test',
      '--candidate',
      '--filter',
      'simulated',
      '--repeat',
      '2',
      ...exposure.flags,
      '--json',
    ]);
    expect(twice.code, twice.out + twice.err).toBe(0);
    expect(json(twice.out).tests[0].runs).toHaveLength(2);
    expect([...ctx.fake.simulationRuns.values()].slice(1).map((x) => x.body.iterations)).toEqual([1, 1]);
  });

  test('--tunnel: the simulated calls reach this run through the tunnel, which is closed after; a line per test on a terminal', async () => {
    expect((await run(['seed'])).code).toBe(0);
    expect((await run(['sync', '--server-url', 'https://clinic.example.com'])).code).toBe(0);
    writeTest('sim.yaml', SIMULATED.replace(/store:[\s\S]*$/, ''));
    const opened: Array<{ port: number; closed: boolean }> = [];
    const tunnel = {
      open: async (o: { host: string; port: number }) => {
        const t = { port: o.port, closed: false };
        opened.push(t);
        // The tunnel's public URL: here the local port itself, as ngrok forwards to it.
        return { url: `http://127.0.0.1:${o.port}`, close: async () => void (t.closed = true) };
      },
    };
    ctx.fake.signingClock = () => Date.parse('2026-11-21T04:30:00Z');
    ctx.fake.simulationToolCalls = [{ name: 'list_doctors', arguments: {} }];
    const r = await run(['test', '--candidate', '--filter', 'simulated', '--tunnel'], {
      tunnel,
      tty: true,
      env: { NGROK_AUTHTOKEN: 'ngrok-test-token' },
    });
    expect(r.code, r.out + r.err).toBe(0);
    expect(opened).toEqual([expect.objectContaining({ closed: true })]);
    expect(ctx.fake.simulationToolReplies.map((x) => x.status)).toEqual([200]);
    expect(r.err).toMatch(/Testing the stored config \(candidate\) on Vapi: 1 test × 1, estimated \$0\.10\./);
    expect(r.err).toMatch(/^✓ Book by a simulated caller$/m);
    expect(r.err).toMatch(/https:\/\/dashboard\.vapi\.ai\/simulations\/runs\//);
  });

  test('every evaluation skipped by Vapi (multimodal over chat) is not a pass, though Vapi says passed', async () => {
    expect((await run(['seed'])).code).toBe(0);
    expect((await run(['sync', '--server-url', 'https://clinic.example.com'])).code).toBe(0);
    writeTest('sim.yaml', SIMULATED.replace(/store:[\s\S]*$/, ''));
    ctx.fake.simulationEvaluate = () => ({
      passed: true,
      extractedValue: null,
      isSkipped: true,
      skipReason: 'multimodal evaluation in chat mode',
    });
    const r = await run(['test', '--filter', 'simulated', ...(await loopbackExposure()).flags]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(
      /- \(judged: Reads the time back before booking\.\) \(not checked\): multimodal evaluation in chat mode/,
    );
  });

  test('checks that all need audio are refused over chat (exit 2) before anything is spent; 402 is exit 9 with the reason', async () => {
    expect((await run(['seed'])).code).toBe(0);
    expect((await run(['sync', '--server-url', 'https://clinic.example.com'])).code).toBe(0);
    writeTest(
      'audio.yaml',
      'name: Calm voice\nsimulate:\n  instruction: An anxious caller.\n  checks:\n    - { judge: Sounds calm, audio: true }\n',
    );
    const exposure = (await loopbackExposure()).flags;
    const audio = await run(['test', '--filter', 'calm', ...exposure]);
    expect(audio.code).toBe(2);
    expect(audio.out).toMatch(/every check of "Calm voice" needs audio.*--transport voice/);
    expect(ctx.fake.simulationRuns.size).toBe(0);

    ctx.fake.simulationPaymentRequired = 'insufficient_credits';
    const paid = await run(['test', '--filter', 'calm', '--transport', 'voice', ...exposure]);
    expect(paid.code).toBe(9);
    expect(paid.out).toMatch(/payment required \(402, insufficient_credits\): not enough credits/);
  });
});

describe('receptionist test from-call', () => {
  // The demo call's patient: every one of these must be gone from the test file.
  const CANARIES = ['Zorawar', 'Canaryson', 'zorawar.canary@example.org', '9812399999', '98123 99999'];

  /** A call recorded as `serve --record` records it, on the command's store, at a pinned clock. */
  async function recordDemoCall(callId: string): Promise<void> {
    const { buildApp } = await import('../../src/server/app.js');
    const { writeOnlySealer } = await import('../../src/domain/sealing-keys.js');
    const { loadBotConfig } = await import('../../src/domain/clinic.js');
    const { readDotenv } = await import('../../src/deps.js');
    const { testDeps } = await import('../support/deps.js');
    const store = await openEmbeddedStore({ dir: path.join(ctx.tmp.dir, 'store') });
    try {
      const env = testDeps({ dotenv: readDotenv(ctx.tmp.dir).values }).env;
      const sealer = await writeOnlySealer(store, { env });
      const config = (await loadBotConfig(store.collection('bot_configs')))!;
      const app = buildApp({
        store,
        sealer,
        config,
        now: () => new Date('2026-11-23T04:00:00Z'),
        auth: undefined,
        record: true,
      });
      const call = {
        id: callId,
        type: 'inboundPhoneCall',
        status: 'in-progress',
        customer: { number: '+919812399999' },
      };
      const send = async (message: Record<string, unknown>) => {
        const res = await app.inject({ method: 'POST', url: '/webhook', payload: { message } });
        expect(res.statusCode, res.body).toBe(200);
        return JSON.parse(res.body);
      };
      const book = {
        name: 'Zorawar Canaryson',
        email: 'zorawar.canary@example.org',
        phone: '+919812399999',
        date: 'Wednesday at 10am',
        reason: 'palpitations',
        doctor: 'Rao',
      };
      const toolCall = (id: string, name: string, args: Record<string, unknown>) => ({
        id,
        type: 'function',
        function: { name, arguments: args },
      });
      const booked = await send({ type: 'tool-calls', call, toolCallList: [toolCall('t1', 'book_appointment', book)] });
      const id = /Your appointment ID is ([A-Z0-9 ,]+)\./.exec(booked.results[0].result)![1]!;
      const cancel = { appointmentId: id, patientName: 'Zorawar Canaryson', appointmentDate: '25 November' };
      await send({ type: 'tool-calls', call, toolCallList: [toolCall('t2', 'cancel_appointment', cancel)] });
      await send({
        type: 'end-of-call-report',
        call,
        endedReason: 'customer-ended-call',
        artifact: {
          transcript: 'User: Hi, this is Zorawar Canaryson.',
          messages: [
            { role: 'bot', message: 'Sunrise Clinic, how can I help?' },
            {
              role: 'user',
              message:
                'Hi, this is Zorawar Canaryson, 98123 99999, zorawar.canary@example.org. Dr Rao on Wednesday at 10.',
            },
            { role: 'tool_calls', toolCalls: [toolCall('t1', 'book_appointment', book)] },
            { role: 'user', message: `Actually cancel ${id}, Zorawar Canaryson.` },
            { role: 'tool_calls', toolCalls: [toolCall('t2', 'cancel_appointment', cancel)] },
          ],
        },
      });
      await app.close();
    } finally {
      await store.close();
    }
  }

  test('a recorded call becomes a de-identified test (no canary left, audited) that passes --local', async () => {
    await seedWithAdmin('admin-passphrase-123');
    await recordDemoCall('call-demo-1');
    const r = await run(['test', 'from-call', 'call-demo-1', '--username', 'admin', '--password-stdin', '--json'], {
      stdin: 'admin-passphrase-123\n',
    });
    expect(r.code, r.err).toBe(0);
    const out = json(r.out);
    expect(out).toMatchObject({ source: 'recording', toolCalls: 2, replaced: { names: 1, appointmentIds: 1 } });
    const text = fs.readFileSync(out.file, 'utf8');
    for (const canary of CANARIES) expect(text).not.toContain(canary);
    expect(text).not.toMatch(/[A-Za-z0-9+/=]{40,}/); // nothing sealed
    expect(text).toMatch(/appointmentId: "?\{\{appointmentId\}\}"?/);
    const store = await openEmbeddedStore({ dir: path.join(ctx.tmp.dir, 'store'), readOnly: true });
    const audit = await store.audit.list();
    await store.close();
    expect(audit.at(-1)).toMatchObject({ user: 'admin', action: 'decrypt', details: { command: 'test from-call' } });
    const local = await run(['test', '--local', out.file]);
    expect(local.code, local.out + local.err).toBe(0);
    expect(local.out).toMatch(/✓ cancel_appointment/);
    // Writing it again needs --force.
    const again = await run(['test', 'from-call', 'call-demo-1', '--username', 'admin', '--password-stdin'], {
      stdin: 'admin-passphrase-123\n',
    });
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/exists[\s\S]*--force/);
  });

  test('an unknown call: exit 1 naming where it looked', async () => {
    await seedWithAdmin('admin-passphrase-123');
    const r = await run(['test', 'from-call', 'nope', '--username', 'admin', '--password-stdin'], {
      stdin: 'admin-passphrase-123\n',
    });
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/Call nope is neither recorded nor in the call log/);
  });
});

describe('sync --test', () => {
  test('a failing test publishes nothing (exit 1); passing tests publish; clinic.testBeforeSync makes it the default and --no-test skips it', async () => {
    expect((await run(['seed'])).code).toBe(0);
    ctx.fake.evalOutcome = (body) =>
      /chest/i.test(body.eval.name) ? { status: 'fail', said: 'Sure, 10 AM today?' } : { status: 'pass' };
    const refused = await run(['sync', '--test', '--server-url', 'https://clinic.example.com']);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(/FAILED +Chest pain now/);
    expect(refused.err).toMatch(/Nothing was published: 1 of 6 tests failed on the config about to be synced/);
    expect(ctx.fake.assistants.size).toBe(0);
    expect(ctx.fake.requests.filter((r) => r.method !== 'GET' && !r.path.startsWith('/eval'))).toEqual([]);
    // Every run tested the config as a transient assistant.
    for (const r of ctx.fake.evalRuns.values()) expect(r.body.target.assistant).toBeTruthy();

    ctx.fake.evalOutcome = () => ({ status: 'pass' });
    const published = await run(['sync', '--test', '--server-url', 'https://clinic.example.com']);
    expect(published.code, published.err).toBe(0);
    expect(published.err).toMatch(/6 passed, 0 failed/);
    expect(ctx.fake.assistants.size).toBe(1);

    expect((await run(['config', 'set', 'clinic.testBeforeSync', 'true'])).code).toBe(0);
    expect((await run(['config', 'set', 'firstMessage', 'Sunrise Clinic, good morning!'])).code).toBe(0);
    const before = ctx.fake.evalRuns.size;
    const skipped = await run(['sync', '--no-test']);
    expect(skipped.code, skipped.err).toBe(0);
    expect(ctx.fake.evalRuns.size).toBe(before);
    expect((await run(['config', 'set', 'firstMessage', 'Sunrise Clinic, how can I help?'])).code).toBe(0);
    const byDefault = await run(['sync']);
    expect(byDefault.code, byDefault.err).toBe(0);
    expect(ctx.fake.evalRuns.size).toBe(before + 6);
  });
});
