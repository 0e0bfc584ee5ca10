import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { cli, startServe, E2E_ADMIN, type RunningServe } from '../support/cli.js';
import { tempDir } from '../support/store.js';
import { freePort } from '../support/net.js';
import { startFakeVapi, FAKE_PHONE_NUMBER, type FakeVapi } from '../support/fake-vapi.js';
import { fillPlaceholders } from '../../src/commands/trigger/trigger.js';

// A clinic goes live, the way the README says, with the built binary against the fake Vapi:
// fresh directory → seed → users add → sync --phone-number → serve --public-url --update-assistant →
// an inbound call placed by the fake (assistant-request through the phone number, status-update,
// tool calls, an end-of-call report that the tunnel first answers 503 and Vapi retries) → logs shows
// the call once; preflight passes while serve runs; a second fresh checkout's sync --check exits 0.
let tmp: ReturnType<typeof tempDir>;
let fake: FakeVapi;
let serve: RunningServe | undefined;
let tunnel: http.Server | undefined;
beforeEach(async () => {
  tmp = tempDir('receptionist-e2e-live-');
  fake = await startFakeVapi();
});
afterEach(async () => {
  await serve?.stop('SIGKILL');
  serve = undefined;
  await new Promise((r) => (tunnel ? tunnel.close(r) : r(undefined)));
  tunnel = undefined;
  await fake.close();
  tmp.cleanup();
});

/** Stands in for the ngrok edge: forwards to serve, but answers the first end-of-call-report 503 (a reconnecting agent). */
async function flakyTunnel(target: () => string): Promise<{ url: string; refused: string[] }> {
  const refused: string[] = [];
  tunnel = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const type = body.length
        ? (JSON.parse(body.toString('utf8')) as { message?: { type?: string } }).message?.type
        : undefined;
      if (type === 'end-of-call-report' && !refused.includes(type)) {
        refused.push(type);
        res.writeHead(503, { 'content-type': 'text/plain' }).end('tunnel agent reconnecting');
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k]) => !['host', 'content-length', 'connection'].includes(k)),
      ) as Record<string, string>;
      const r = await fetch(`${target()}${req.url}`, {
        method: req.method,
        headers,
        body: req.method === 'GET' ? undefined : body,
      });
      res
        .writeHead(r.status, { 'content-type': r.headers.get('content-type') ?? 'application/json' })
        .end(Buffer.from(await r.arrayBuffer()));
    });
  });
  await new Promise<void>((r) => tunnel!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(tunnel.address() as net.AddressInfo).port}`, refused };
}

test("go live: seed → users add → sync --phone-number → serve → preflight → an inbound call → logs; a fresh checkout's sync --check exits 0", async () => {
  const vapiEnv = { VAPI_API_KEY: fake.token, VAPI_BASE_URL: fake.url };
  const step = async (
    args: string[],
    opts: { env?: Record<string, string>; input?: string; cwd?: string; code?: number } = {},
  ) => {
    const r = await cli(args, { cwd: opts.cwd ?? tmp.dir, env: { ...vapiEnv, ...opts.env }, input: opts.input });
    expect(r.exitCode, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(opts.code ?? 0);
    return r;
  };
  const port = await freePort();
  const edge = await flakyTunnel(() => `http://127.0.0.1:${port}`);

  await step(['seed']);
  await step(['config', 'set', 'clinic.frontDeskNumber', '+919845011223']);
  await step(['users', 'add', E2E_ADMIN.username, '--password-stdin'], { input: `${E2E_ADMIN.password}\n` });
  const synced = await step(['sync', '--server-url', edge.url, '--phone-number', FAKE_PHONE_NUMBER.number]);
  expect(synced.stdout).toMatch(/11 to create, 1 to update, 0 unchanged, 0 changed on Vapi\.$/);
  expect(fake.phoneNumbers.get(FAKE_PHONE_NUMBER.id)!.server.url).toBe(`${edge.url}/webhook`);

  serve = await startServe(tmp.dir, ['--port', String(port), '--public-url', edge.url, '--update-assistant'], vapiEnv);
  const preflight = await step(['preflight']);
  expect(preflight.stdout).not.toContain('✗');
  for (const check of ['front desk', 'prompt clock', 'secret matches', 'inbound calls', 'outbound calls'])
    expect(preflight.stdout).toMatch(new RegExp(`✓ ${check} `));

  const tuesday = fillPlaceholders('{{date:tue}}', { timeZone: 'Asia/Kolkata' }, new Date()) as string;
  const call = await fake.placeInboundCall({
    to: FAKE_PHONE_NUMBER.number,
    from: '+919812345678',
    toolCalls: [
      { name: 'check_availability', arguments: { date: `${tuesday} at 10am`, specialty: 'general medicine' } },
      {
        name: 'book_appointment',
        arguments: {
          name: 'Asha Verma',
          email: 'asha dot verma at example dot com',
          phone: '98123 45678',
          date: `${tuesday} at 10am`,
          reason: 'fever',
          specialty: 'general medicine',
        },
      },
    ],
    report: { analysis: { summary: 'Booked a general physician.' } },
  });

  // assistant-request came through the phone number, signed with the credential sync created: the synced
  // assistant, with the caller recognised.
  expect(call.assistantRequest).toMatchObject({
    status: 200,
    attempts: 1,
    body: {
      assistantId: [...fake.assistants.keys()][0],
      // Recognised by number: the last appointment (the name is sealed; serve cannot open it).
      assistantOverrides: { firstMessage: expect.stringMatching(/^Welcome back!/) },
    },
  });
  expect(call.toolReplies.map((r) => r.body.results[0].result)).toEqual([
    expect.stringMatching(new RegExp(`^Yes, Dr\\. Anil Mehta is free on ${tuesday} at 10 AM`)),
    expect.stringMatching(
      new RegExp(`^You're booked with Dr\\. Anil Mehta on ${tuesday} at 10 AM\\. Your appointment ID is`),
    ),
  ]);
  // The 503 was retried per the backoffPlan, and the retry reached serve.
  expect(edge.refused).toEqual(['end-of-call-report']);
  expect(call.report).toMatchObject({ status: 200, attempts: 2 });
  const reports = fake.deliveries.filter((d) => d.type === 'end-of-call-report');
  expect(reports.map((d) => d.status)).toEqual([503, 200]);
  // Every delivery carried the credential's signature, never a secret.
  for (const d of fake.deliveries) {
    expect(d.headers['x-signature']).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(d.headers)).not.toContain('e2e-secret');
  }

  const logs = JSON.parse((await step(['logs', '--json'])).stdout) as Array<Record<string, unknown>>;
  expect(logs).toHaveLength(1);
  expect(logs[0]).toMatchObject({
    callId: call.callId,
    endedReason: 'customer-ended-call',
    cost: 0.0931,
    bookings: [expect.stringMatching(/^\[sealed\] with Dr\. Anil Mehta at /)],
  });

  const stopped = await serve.stop('SIGTERM');
  serve = undefined;
  expect(stopped.exitCode).toBe(0);
  // --update-assistant put every server back, the phone number's too.
  expect(fake.phoneNumbers.get(FAKE_PHONE_NUMBER.id)!.server.url).toBe(`${edge.url}/webhook`);

  // A second laptop or CI: a fresh checkout with the exported config and no store.
  const exported = path.join(tmp.dir, 'receptionist.config.json');
  await step(['config', 'export', exported]);
  const second = tempDir('receptionist-e2e-ci-');
  try {
    fs.copyFileSync(exported, path.join(second.dir, 'receptionist.config.json'));
    const writes = fake.requests.filter((r) => r.method !== 'GET').length;
    const check = await step(['sync', '--check', '--config', 'receptionist.config.json'], { cwd: second.dir });
    expect(check.stdout).toMatch(/0 to create, 0 to update, 12 unchanged, 0 changed on Vapi\.$/);
    expect(fake.requests.filter((r) => r.method !== 'GET').length).toBe(writes);
    expect([fake.credentials.size, fake.tools.size, fake.assistants.size]).toEqual([1, 9, 1]);
  } finally {
    second.cleanup();
  }
});
