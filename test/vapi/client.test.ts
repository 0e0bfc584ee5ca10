import net from 'node:net';
import http from 'node:http';
import { afterEach, describe, expect, test } from 'vitest';
import { createVapiClient, resolveVapiSettings, vapiError, vapiRequest, vapiRest } from '../../src/vapi/client.js';
import { NetworkError, UserError } from '../../src/errors.js';
import { freePort } from '../support/net.js';

const env = (vars: Record<string, string>) => ({
  get: (k: string) => (vars[k] === undefined ? undefined : { value: vars[k]!, source: `$${k}` }),
});
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A loopback server that answers each request with the next status of `statuses` (then 200). */
async function scripted(statuses: number[]) {
  const seen: number[] = [];
  const server = http.createServer((req, res) => {
    const status = statuses.shift() ?? 200;
    seen.push(status);
    res
      .writeHead(status, { 'content-type': 'application/json' })
      .end(status === 200 ? '[]' : JSON.stringify({ message: `status ${status}` }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, seen };
}

describe('Vapi requests fail fast and retry only what a retry can fix', () => {
  test('a host that accepts the connection but never completes it (TLS that never answers) fails within 5 s, exit 6', async () => {
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      sockets.add(socket.on('error', () => {}));
    });
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    closers.push(
      () =>
        new Promise((r) => {
          for (const x of sockets) x.destroy();
          silent.close(() => r());
        }),
    );
    const port = (silent.address() as net.AddressInfo).port;
    const s = resolveVapiSettings({}, env({ VAPI_API_KEY: 'k', VAPI_BASE_URL: `https://127.0.0.1:${port}` }));
    const vapi = await createVapiClient(s);
    const started = performance.now();
    const err = await vapiRequest('list assistants', s, () => vapi.assistants.list()).catch((e) => e);
    const ms = performance.now() - started;
    expect(err).toBeInstanceOf(NetworkError);
    expect((err as NetworkError).exitCode).toBe(6);
    expect((err as Error).message).toBe(
      `Cannot reach Vapi at https://127.0.0.1:${port} to list assistants: no answer within 3 s (connect timeout).`,
    );
    expect(ms).toBeLessThan(5_000);
  }, 15_000);

  test('connection refused is reported at once and not retried', async () => {
    const port = await freePort();
    const s = resolveVapiSettings({}, env({ VAPI_API_KEY: 'k', VAPI_BASE_URL: `http://127.0.0.1:${port}` }));
    const err = await vapiRest(s, 'list credentials', 'GET', '/credential').catch((e) => e);
    expect((err as Error).message).toBe(
      `Cannot reach Vapi at http://127.0.0.1:${port} to list credentials: connection refused.`,
    );
  });

  test('429 and 5xx are retried (twice), other statuses are not', async () => {
    const flaky = await scripted([503, 429]);
    const s = { ...resolveVapiSettings({}, env({ VAPI_API_KEY: 'k', VAPI_BASE_URL: flaky.url })), retryBaseMs: 5 };
    const vapi = await createVapiClient(s);
    expect(await vapi.assistants.list()).toEqual([]);
    expect(flaky.seen).toEqual([503, 429, 200]);

    const down = await scripted([500, 502, 503, 504]);
    const s2 = { ...s, baseUrl: { value: down.url, source: 'test' } };
    const err = await vapiRest(s2, 'list credentials', 'GET', '/credential').catch((e) => e);
    expect(err).toBeInstanceOf(NetworkError);
    expect(down.seen).toEqual([500, 502, 503]);

    for (const status of [400, 404, 408, 409]) {
      const once = await scripted([status]);
      const e = await vapiRest({ ...s, baseUrl: { value: once.url, source: 'test' } }, 'read it', 'GET', '/x').catch(
        (x) => x,
      );
      expect(e).toBeInstanceOf(UserError);
      expect(once.seen).toEqual([status]);
    }
  });
});

test('an error already translated is not translated again (a vapiRest failure inside vapiRequest)', async () => {
  const s = resolveVapiSettings({}, env({ VAPI_API_KEY: 'k', VAPI_BASE_URL: 'https://127.0.0.1:9' }));
  const first = new NetworkError(
    'Cannot reach Vapi at https://127.0.0.1:9 to list credentials: no answer within 3 s (connect timeout).',
  );
  expect(vapiError('read the webhook credential', s, first)).toBe(first);
  const wrapped = await vapiRequest('update credential', s, () => Promise.reject(first)).catch((e: unknown) => e);
  expect(wrapped).toBe(first);
});
