import { createHmac } from 'node:crypto';
import { describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import {
  DEFAULT_HMAC_PLAN,
  PRE_SYNC_PLANS,
  preVerifyRequest,
  signBody,
  verifyRequest,
  type AuthConfig,
  type WebhookAuthPlan,
} from '../../src/server/auth.js';
import { startTestServer, toolCalls, NOW, SECRET } from '../support/app.js';

const RUNS = 10_000;
const NOW_MS = NOW.getTime();
const secrets = [SECRET, 'previous-secret-abcdef0123456789'];
const PUBLIC = 'https://clinic.ngrok.app';
const LINE = { method: 'POST', url: '/webhook' };
const cfg = (plans: WebhookAuthPlan[]): AuthConfig => ({ plans, secrets, toleranceSeconds: 300, publicUrls: [PUBLIC] });

/**
 * What Vapi sends for a plan, written here from the spec's description of `HMACAuthenticationPlan`
 * and `BearerAuthenticationPlan` (not with the code under test).
 */
function vapiHeaders(plan: WebhookAuthPlan, secret: string, body: Buffer): Record<string, string> {
  if (plan.type === 'bearer')
    return {
      [(plan.headerName ?? 'authorization').toLowerCase()]:
        plan.bearerPrefixEnabled === false ? secret : `Bearer ${secret}`,
    };
  const ts = String(NOW_MS);
  const id = 'msg_2KWPBgLlAfxdpx2AI54pPJ85f4W';
  const withTs = plan.includeTimestamp !== false;
  const format = plan.payloadFormat ?? (withTs ? '{timestamp}.{body}' : '{body}');
  const fill = (x: string) =>
    x
      .replaceAll('{timestamp}', ts)
      .replaceAll('{method}', 'POST')
      .replaceAll('{url}', `${PUBLIC}/webhook`)
      .replaceAll('{svix-id}', id);
  const parts = format.split('{body}');
  const payload = Buffer.concat(
    parts.flatMap((p, i) => (i < parts.length - 1 ? [Buffer.from(fill(p)), body] : [Buffer.from(fill(p))])),
  );
  const key = plan.secretIsBase64 ? Buffer.from(secret, 'base64') : Buffer.from(secret);
  const sig = createHmac(plan.algorithm, key)
    .update(payload)
    .digest(plan.signatureEncoding ?? 'hex');
  const h: Record<string, string> = {
    [(plan.signatureHeader ?? 'x-signature').toLowerCase()]: `${plan.signaturePrefix ?? ''}${sig}`,
  };
  if (withTs) h[(plan.timestampHeader ?? 'x-timestamp').toLowerCase()] = ts;
  if (plan.messageIdHeader) h[plan.messageIdHeader.toLowerCase()] = id;
  return h;
}

const hmac = (extra: Partial<Extract<WebhookAuthPlan, { type: 'hmac' }>>): WebhookAuthPlan => ({
  type: 'hmac',
  algorithm: 'sha256',
  ...extra,
});
const MODES: Array<{ name: string; plan: WebhookAuthPlan }> = [
  ...(['sha1', 'sha256', 'sha512'] as const).flatMap((algorithm) =>
    (['hex', 'base64'] as const).map((signatureEncoding) => ({
      name: `hmac ${algorithm} ${signatureEncoding}`,
      plan: hmac({ algorithm, signatureEncoding }),
    })),
  ),
  { name: 'hmac, GitHub-style prefix', plan: hmac({ signaturePrefix: 'sha256=' }) },
  { name: 'hmac without timestamp', plan: hmac({ includeTimestamp: false }) },
  {
    name: 'hmac, custom headers',
    plan: hmac({ algorithm: 'sha512', signatureHeader: 'X-Vapi-Signature', timestampHeader: 'X-Vapi-Timestamp' }),
  },
  {
    name: 'hmac over {method} {url} {timestamp} {body}',
    plan: hmac({ payloadFormat: '{method} {url}\n{timestamp}.{body}' }),
  },
  {
    name: 'hmac, Svix-style (svix-id, base64 secret, v1, prefix)',
    plan: hmac({
      payloadFormat: '{svix-id}.{timestamp}.{body}',
      messageIdHeader: 'svix-id',
      signatureHeader: 'svix-signature',
      timestampHeader: 'svix-timestamp',
      signaturePrefix: 'v1,',
      signatureEncoding: 'base64',
      secretIsBase64: true,
    }),
  },
  { name: 'bearer in Authorization', plan: { type: 'bearer' } },
  {
    name: 'bearer in X-Vapi-Secret without prefix',
    plan: { type: 'bearer', headerName: 'X-Vapi-Secret', bearerPrefixEnabled: false },
  },
  { name: 'bearer in a custom header', plan: { type: 'bearer', headerName: 'x-clinic-token' } },
];

const body = fc.uint8Array({ minLength: 0, maxLength: 256 }).map((a) => Buffer.from(a));
const secretIndex = fc.integer({ min: 0, max: secrets.length - 1 });

function flipByte(s: string, index: number, xor: number): string {
  const b = Buffer.from(s, 'latin1');
  if (b.length === 0) return s;
  b[index % b.length] = b[index % b.length]! ^ xor;
  return b.toString('latin1');
}

describe('SEC-1: the signature gate, for every plan Vapi can send', () => {
  describe.each(MODES)('$name', ({ plan }) => {
    const config = cfg([plan]);
    const covers = plan.type === 'hmac';

    test('every genuine request passes, under either active secret (SEC-5), also beside an unrelated Authorization header', () => {
      fc.assert(
        fc.property(body, secretIndex, fc.boolean(), (b, i, proxy) => {
          const h = vapiHeaders(plan, secrets[i]!, b);
          const extra = proxy && !('authorization' in h) ? { authorization: 'Basic cHJveHk6cHJveHk=' } : {};
          return verifyRequest(config, { ...h, ...extra }, b, NOW_MS, LINE).ok;
        }),
        { numRuns: RUNS },
      );
    });

    test('any flipped byte of a credential header, a wrong secret or a missing header is rejected', () => {
      fc.assert(
        fc.property(
          body,
          secretIndex,
          fc.nat(),
          fc.integer({ min: 1, max: 255 }),
          fc.constantFrom('flip', 'wrong-secret', 'missing'),
          (b, i, at, xor, kind) => {
            const headers = vapiHeaders(plan, secrets[i]!, b);
            if (kind === 'wrong-secret')
              return !verifyRequest(
                config,
                vapiHeaders(plan, 'bm90LXRoZS1zZWNyZXQtMDEyMzQ1Njc4OQ==', b),
                b,
                NOW_MS,
                LINE,
              ).ok;
            if (kind === 'missing') return !verifyRequest(config, {}, b, NOW_MS, LINE).ok;
            const names = Object.keys(headers);
            const name = names[at % names.length]!;
            const mutated = { ...headers, [name]: flipByte(headers[name]!, Math.floor(at / names.length), xor) };
            return !verifyRequest(config, mutated, b, NOW_MS, LINE).ok;
          },
        ),
        { numRuns: RUNS },
      );
    });

    // A bearer token does not cover the body; only an HMAC can detect a changed body.
    if (covers)
      test('any flipped byte of the body, or a truncated body, is rejected', () => {
        fc.assert(
          fc.property(
            body.filter((b) => b.length > 0),
            secretIndex,
            fc.nat(),
            fc.integer({ min: 1, max: 255 }),
            fc.boolean(),
            (b, i, at, xor, truncate) => {
              const headers = vapiHeaders(plan, secrets[i]!, b);
              const changed = Buffer.from(b);
              if (truncate)
                return !verifyRequest(config, headers, changed.subarray(0, at % changed.length), NOW_MS, LINE).ok;
              changed[at % changed.length] = changed[at % changed.length]! ^ xor;
              return !verifyRequest(config, headers, changed, NOW_MS, LINE).ok;
            },
          ),
          { numRuns: RUNS },
        );
      });
  });

  test('a timestamp more than 300 s off is rejected, within 300 s accepted (seconds or ms)', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: -3_600_000, max: 3_600_000 }), fc.boolean(), (b, offset, inSeconds) => {
        const t = NOW_MS + offset;
        const ts = inSeconds ? String(Math.floor(t / 1000)) : String(t);
        const ok = verifyRequest(
          cfg([DEFAULT_HMAC_PLAN]),
          { 'x-timestamp': ts, 'x-signature': signBody(SECRET, b, { timestamp: ts }) },
          b,
          NOW_MS,
        ).ok;
        const skew = Math.abs(NOW_MS - (inSeconds ? Math.floor(t / 1000) * 1000 : t));
        return ok === skew <= 300_000;
      }),
      { numRuns: RUNS },
    );
  });

  test('the plan is exact: a signature made under another plan is refused, whatever it is beside', () => {
    const b = Buffer.from('{"message":{"type":"hang"}}');
    const synced = cfg([DEFAULT_HMAC_PLAN]);
    expect(verifyRequest(synced, vapiHeaders(hmac({ algorithm: 'sha512' }), SECRET, b), b, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad x-signature',
    });
    expect(verifyRequest(synced, vapiHeaders(hmac({ signaturePrefix: 'sha256=' }), SECRET, b), b, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed x-signature',
    });
    // With a credential synced, a shared secret in a header is not a credential.
    expect(verifyRequest(synced, { 'x-vapi-secret': SECRET }, b, NOW_MS)).toEqual({
      ok: false,
      reason: 'no credential (expected x-signature)',
    });
    expect(
      verifyRequest(
        synced,
        { authorization: `Bearer ${SECRET}`, 'x-signature': 'a'.repeat(64), 'x-timestamp': String(NOW_MS) },
        b,
        NOW_MS,
      ),
    ).toEqual({ ok: false, reason: 'bad x-signature' });
    // Before any sync: the default HMAC plan, or the secret as Bearer or X-Vapi-Secret.
    const preSync = cfg(PRE_SYNC_PLANS);
    for (const h of [
      vapiHeaders(DEFAULT_HMAC_PLAN, SECRET, b),
      { authorization: `Bearer ${SECRET}` },
      { 'x-vapi-secret': SECRET },
    ])
      expect(verifyRequest(preSync, h, b, NOW_MS).ok).toBe(true);
  });

  test('{url} is the public URL Vapi posted to, or what the Host header says', () => {
    const plan = hmac({ payloadFormat: '{url}|{body}', includeTimestamp: false });
    const b = Buffer.from('{}');
    const sign = (url: string) => ({ 'x-signature': createHmac('sha256', SECRET).update(`${url}|{}`).digest('hex') });
    expect(verifyRequest(cfg([plan]), sign(`${PUBLIC}/webhook`), b, NOW_MS, LINE).ok).toBe(true);
    expect(
      verifyRequest(
        { ...cfg([plan]), publicUrls: [] },
        { ...sign('https://proxy.example/webhook'), host: 'proxy.example' },
        b,
        NOW_MS,
        LINE,
      ).ok,
    ).toBe(true);
    expect(verifyRequest(cfg([plan]), sign('https://elsewhere.example/webhook'), b, NOW_MS, LINE).ok).toBe(false);
  });
});

describe('over HTTP', () => {
  test('mutated requests get 401 and genuine ones 200, and a bad signature parses no JSON (SEC-3)', async () => {
    const s = await startTestServer();
    try {
      const raw = JSON.stringify({ message: toolCalls('c', ['list_doctors', {}]) });
      const ts = String(NOW_MS);
      const sig = signBody(SECRET, Buffer.from(raw), { timestamp: ts });
      expect((await s.send({}, { raw, headers: { 'x-timestamp': ts, 'x-signature': sig } })).status).toBe(200);
      expect((await s.send({}, { raw, headers: { 'x-vapi-secret': SECRET } })).status).toBe(200);
      expect((await s.send({}, { raw, headers: { authorization: `Bearer ${SECRET}` } })).status).toBe(200);
      const parse = vi.spyOn(JSON, 'parse');
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (at, xor, inBody) => {
          const r = inBody ? flipByte(raw, at, xor) : raw;
          const h = {
            'content-type': 'application/json',
            'x-timestamp': ts,
            'x-signature': inBody ? sig : flipByte(sig, at, xor),
          };
          // inject directly: the helper's send() parses the reply, which would count here.
          return (await s.app.inject({ method: 'POST', url: '/webhook', headers: h, payload: r })).statusCode === 401;
        }),
        { numRuns: 300 },
      );
      expect(parse).not.toHaveBeenCalled();
      parse.mockRestore();
      expect(s.events.filter((e) => e.status === 401).every((e) => e.outcome === 'unauthorized')).toBe(true);
    } finally {
      await s.close();
    }
  });

  test('without --insecure-no-auth nothing unauthenticated gets through', async () => {
    const s = await startTestServer();
    try {
      const res = await s.send(toolCalls('c', ['list_doctors', {}]), { headers: {} });
      expect(res).toEqual({ status: 401, body: { error: 'unauthorized' } });
    } finally {
      await s.close();
    }
  });
});

describe('preVerifyRequest: what the headers alone decide, before the body is read (SEC-7)', () => {
  const body = Buffer.from('{"message":{"type":"status-update"}}');
  test('every request Vapi would send passes; the signature itself waits for the body', () => {
    for (const plan of PRE_SYNC_PLANS)
      expect(preVerifyRequest(cfg([plan]), vapiHeaders(plan, SECRET, body), NOW_MS, LINE)).toEqual({ ok: true });
    // A wrong HMAC with a fresh timestamp cannot be told from the headers.
    expect(
      preVerifyRequest(cfg(PRE_SYNC_PLANS), { 'x-signature': 'ab'.repeat(32), 'x-timestamp': String(NOW_MS) }, NOW_MS),
    ).toEqual({ ok: true });
  });
  test('a missing credential, a wrong token, a stale or malformed timestamp are refused from the headers', () => {
    const c = cfg(PRE_SYNC_PLANS);
    expect(preVerifyRequest(c, {}, NOW_MS)).toMatchObject({ ok: false, reason: /^no credential/ });
    expect(preVerifyRequest(c, { authorization: 'Bearer nope' }, NOW_MS)).toEqual({
      ok: false,
      reason: 'wrong Authorization',
    });
    expect(preVerifyRequest(c, { 'x-vapi-secret': 'nope' }, NOW_MS)).toEqual({
      ok: false,
      reason: 'wrong X-Vapi-Secret',
    });
    const sig = 'ab'.repeat(32);
    expect(preVerifyRequest(c, { 'x-signature': sig, 'x-timestamp': String(NOW_MS - 3_600_000) }, NOW_MS)).toEqual({
      ok: false,
      reason: 'x-timestamp is more than 300 s off',
    });
    expect(preVerifyRequest(c, { 'x-signature': sig, 'x-timestamp': '1e308' }, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed x-timestamp',
    });
    expect(preVerifyRequest(c, { 'x-signature': 'not hex', 'x-timestamp': String(NOW_MS) }, NOW_MS)).toEqual({
      ok: false,
      reason: 'malformed x-signature',
    });
  });
});

test('a body that would overflow the bytes-in-flight budget is turned away busy (503, Retry-After) before it is read', async () => {
  const s = await startTestServer({ maxBytesInFlight: 4096 });
  try {
    const big = await s.app.inject({
      method: 'POST',
      url: '/webhook',
      headers: { 'content-type': 'application/json', 'content-length': '8000', authorization: `Bearer ${SECRET}` },
      payload: 'x'.repeat(8000),
    });
    expect([big.statusCode, big.headers['retry-after'], big.json()]).toEqual([503, '1', { error: 'busy' }]);
    // The budget is given back after each request: small ones keep being served.
    for (let i = 0; i < 20; i++) expect((await s.send(toolCalls('c_budget', ['list_doctors', {}]))).status).toBe(200);
  } finally {
    await s.close();
  }
});
