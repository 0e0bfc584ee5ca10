import http from 'node:http';
import net from 'node:net';
import { randomUUID } from 'node:crypto';
import { describeErrors, requestValidator } from './vapi-spec.js';

/**
 * A local stand-in for Vapi's REST API (the routes the CLI uses), keeping state in memory.
 * Every request body is validated against Vapi's published OpenAPI spec and rejected with
 * Vapi's NestJS-style 400 when the spec rejects it. Requests are recorded for assertions.
 */
export interface FakeVapi {
  url: string;
  token: string;
  assistants: Map<string, Record<string, any>>;
  tools: Map<string, Record<string, any>>;
  calls: Map<string, Record<string, any>>;
  chats: Map<string, Record<string, any>>;
  requests: Array<{ method: string; path: string; body: unknown; status: number }>;
  /** Makes the next `n` requests fail with this status (e.g. 500, or 0 to drop the connection). */
  failNext(status: number, n?: number): void;
  close(): Promise<void>;
}

const ROUTES: Array<{ method: string; pattern: RegExp; spec?: [string, string]; handle: string }> = [
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
  { method: 'GET', pattern: /^\/call\/([^/]+)$/, handle: 'getCall' },
  { method: 'GET', pattern: /^\/phone-number$/, handle: 'listPhoneNumbers' },
  { method: 'POST', pattern: /^\/chat$/, spec: ['post', '/chat'], handle: 'createChat' },
  { method: 'POST', pattern: /^\/analytics$/, spec: ['post', '/analytics'], handle: 'analytics' },
];

export async function startFakeVapi(opts: { token?: string } = {}): Promise<FakeVapi> {
  const token = opts.token ?? 'vapi-test-key';
  const state = { assistants: new Map(), tools: new Map(), calls: new Map(), chats: new Map() } as Pick<FakeVapi, 'assistants' | 'tools' | 'calls' | 'chats'>;
  const requests: FakeVapi['requests'] = [];
  let failures: Array<number> = [];
  const now = () => new Date().toISOString();
  const stamp = (body: Record<string, any>) => ({ ...body, id: randomUUID(), orgId: 'org_fake', createdAt: now(), updatedAt: now() });

  const handlers: Record<string, (m: RegExpExecArray, body: any) => [number, unknown]> = {
    createAssistant: (_m, b) => {
      const a = stamp(b);
      state.assistants.set(a.id, a);
      return [201, a];
    },
    listAssistants: () => [200, [...state.assistants.values()]],
    getAssistant: (m) => (state.assistants.has(m[1]!) ? [200, state.assistants.get(m[1]!)] : notFound('Assistant')),
    updateAssistant: (m, b) => {
      const a = state.assistants.get(m[1]!);
      if (!a) return notFound('Assistant');
      // Nested objects are replaced, not merged, as on the real API.
      const next = { ...a, ...b, updatedAt: now() };
      state.assistants.set(a.id, next);
      return [200, next];
    },
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
    listTools: () => [200, [...state.tools.values()]],
    getTool: (m) => (state.tools.has(m[1]!) ? [200, state.tools.get(m[1]!)] : notFound('Tool')),
    updateTool: (m, b) => {
      const t = state.tools.get(m[1]!);
      if (!t) return notFound('Tool');
      const next = { ...t, ...b, updatedAt: now() };
      state.tools.set(t.id, next);
      return [200, next];
    },
    createCall: (_m, b) => {
      if (b.assistantId && !state.assistants.has(b.assistantId)) return [400, { message: [`Couldn't Get Assistant. Assistant Id ${b.assistantId} Doesn't Exist.`], error: 'Bad Request', statusCode: 400 }];
      const c = { ...stamp(b), type: 'outboundPhoneCall', status: b.schedulePlan ? 'scheduled' : 'queued', polls: 0, cost: 0 };
      state.calls.set(c.id, c);
      return [201, c];
    },
    getCall: (m) => {
      const c = state.calls.get(m[1]!);
      if (!c) return notFound('Call');
      // Each poll moves the call along: queued → ringing → in-progress → ended.
      const order = ['scheduled', 'queued', 'ringing', 'in-progress', 'ended'];
      const i = order.indexOf(c.status);
      if (i >= 0 && i < order.length - 1) c.status = order[i + 1];
      if (c.status === 'ended') Object.assign(c, { endedReason: 'customer-ended-call', cost: 0.0842, startedAt: c.createdAt, endedAt: now() });
      return [200, c];
    },
    listPhoneNumbers: () => [200, [{ id: 'pn_fake', number: '+918041234567', provider: 'vapi', orgId: 'org_fake', createdAt: now(), updatedAt: now() }]],
    createChat: (_m, b) => {
      const chat = { ...stamp(b), output: [{ role: 'assistant', content: `You said: ${typeof b.input === 'string' ? b.input : JSON.stringify(b.input)}` }] };
      state.chats.set(chat.id, chat);
      return [201, chat];
    },
    analytics: (_m, b) => [201, b.queries.map((q: any) => ({ name: q.name, timeRange: q.timeRange, result: [] }))],
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]!;
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
      if (req.headers.authorization !== `Bearer ${token}`) return reply(401, { message: 'Invalid Key. Hot tip, you may be using the private key instead of the public key, or vice versa.', error: 'Unauthorized', statusCode: 401 });
      const route = ROUTES.find((r) => r.method === req.method && r.pattern.test(path));
      if (!route) return reply(404, { message: `Cannot ${req.method} ${path}`, error: 'Not Found', statusCode: 404 });
      try {
        if (route.spec) {
          const validate = requestValidator(route.spec[0], route.spec[1]);
          if (!validate(parsed)) return reply(400, { message: [describeErrors(validate)], error: 'Bad Request', statusCode: 400 });
        }
        const [status, body] = handlers[route.handle]!(route.pattern.exec(path)!, parsed as any);
        reply(status, body);
      } catch (err) {
        // A fake that cannot answer must say why at once, not leave the client to time out.
        reply(500, { message: `fake Vapi failed: ${(err as Error).message}`, statusCode: 500 });
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    token,
    ...state,
    requests,
    failNext(status, n = 1) {
      failures = [...failures, ...Array(n).fill(status)];
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

function notFound(what: string): [number, unknown] {
  return [404, { message: `${what} not found`, error: 'Not Found', statusCode: 404 }];
}
