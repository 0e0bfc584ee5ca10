import { describe, expect, test, vi } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_AUTH, signBody, verifyRequest, type AuthConfig } from '../../src/server/auth.js';
import { startTestServer, toolCalls, NOW, SECRET } from '../support/app.js';

const RUNS = 10_000;
const NOW_MS = NOW.getTime();
const secrets = [SECRET, 'previous-secret-abcdef0123456789'];
const config: AuthConfig = { ...DEFAULT_AUTH, secrets };

type Mode = { name: string; sign: (body: Buffer, secret: string) => Record<string, string>; config?: AuthConfig; coversBody: boolean };

const hmacMode = (algorithm: 'sha256' | 'sha512', encoding: 'hex' | 'base64', prefix: boolean, withTimestamp: boolean): Mode => ({
  name: `hmac ${algorithm} ${encoding}${prefix ? ' prefixed' : ''}${withTimestamp ? ' +timestamp' : ' no timestamp'}`,
  coversBody: true,
  config: withTimestamp ? config : { ...config, requireTimestamp: false },
  sign: (body, secret) => {
    const ts = String(NOW_MS);
    const h: Record<string, string> = { 'x-signature': signBody(secret, body, { algorithm, encoding, prefix, timestamp: withTimestamp ? ts : undefined }) };
    if (withTimestamp) h['x-timestamp'] = ts;
    return h;
  },
});

const MODES: Mode[] = [
  { name: 'X-Vapi-Secret', coversBody: false, sign: (_b, s) => ({ 'x-vapi-secret': s }) },
  { name: 'Authorization: Bearer', coversBody: false, sign: (_b, s) => ({ authorization: `Bearer ${s}` }) },
  ...(['sha256', 'sha512'] as const).flatMap((a) =>
    (['hex', 'base64'] as const).flatMap((e) => [hmacMode(a, e, false, true), hmacMode(a, e, true, true), hmacMode(a, e, false, false)]),
  ),
];

const body = fc.uint8Array({ minLength: 0, maxLength: 256 }).map((a) => Buffer.from(a));
const secretIndex = fc.integer({ min: 0, max: secrets.length - 1 });

function flipByte(s: string, index: number, xor: number): string {
  const b = Buffer.from(s, 'latin1');
  if (b.length === 0) return s;
  b[index % b.length] = b[index % b.length]! ^ xor;
  return b.toString('latin1');
}

describe('SEC-1: the signature gate', () => {
  describe.each(MODES)('$name', (mode) => {
    const cfg = mode.config ?? config;

    test('every genuine request passes, under either active secret (SEC-5)', () => {
      fc.assert(
        fc.property(body, secretIndex, (b, i) => verifyRequest(cfg, mode.sign(b, secrets[i]!), b, NOW_MS).ok),
        { numRuns: RUNS },
      );
    });

    test('any flipped byte of a credential header, a wrong secret or a missing header is rejected', () => {
      fc.assert(
        fc.property(body, secretIndex, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'wrong-secret', 'missing'), (b, i, at, xor, kind) => {
          const headers = mode.sign(b, secrets[i]!);
          if (kind === 'wrong-secret') return !verifyRequest(cfg, mode.sign(b, 'not-the-secret-0123456789'), b, NOW_MS).ok;
          if (kind === 'missing') return !verifyRequest(cfg, {}, b, NOW_MS).ok;
          const names = Object.keys(headers);
          const name = names[at % names.length]!;
          const mutated = { ...headers, [name]: flipByte(headers[name]!, Math.floor(at / names.length), xor) };
          return !verifyRequest(cfg, mutated, b, NOW_MS).ok;
        }),
        { numRuns: RUNS },
      );
    });

    // A shared secret does not cover the body; only the HMAC modes can detect a changed body.
    if (mode.coversBody) test('any flipped byte of the body, or a truncated body, is rejected', () => {
      fc.assert(
        fc.property(body.filter((b) => b.length > 0), secretIndex, fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), (b, i, at, xor, truncate) => {
          const headers = mode.sign(b, secrets[i]!);
          const changed = Buffer.from(b);
          if (truncate) return !verifyRequest(cfg, headers, changed.subarray(0, at % changed.length), NOW_MS).ok;
          changed[at % changed.length] = changed[at % changed.length]! ^ xor;
          return !verifyRequest(cfg, headers, changed, NOW_MS).ok;
        }),
        { numRuns: RUNS },
      );
    });
  });

  test('a timestamp more than 300 s off is rejected, within 300 s accepted (seconds or ms)', () => {
    fc.assert(
      fc.property(body, fc.integer({ min: -3_600_000, max: 3_600_000 }), fc.boolean(), (b, offset, inSeconds) => {
        const t = NOW_MS + offset;
        const ts = inSeconds ? String(Math.floor(t / 1000)) : String(t);
        const ok = verifyRequest(config, { 'x-timestamp': ts, 'x-signature': signBody(SECRET, b, { timestamp: ts }) }, b, NOW_MS).ok;
        const skew = Math.abs(NOW_MS - (inSeconds ? Math.floor(t / 1000) * 1000 : t));
        return ok === skew <= 300_000;
      }),
      { numRuns: RUNS },
    );
  });

  test('a valid shared secret does not excuse a bad signature beside it', () => {
    const b = Buffer.from('{}');
    expect(verifyRequest(config, { 'x-vapi-secret': SECRET, 'x-signature': 'a'.repeat(64), 'x-timestamp': String(NOW_MS) }, b, NOW_MS)).toEqual({ ok: false, reason: 'bad x-signature' });
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
      const parse = vi.spyOn(JSON, 'parse');
      await fc.assert(
        fc.asyncProperty(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (at, xor, inBody) => {
          const r = inBody ? flipByte(raw, at, xor) : raw;
          const h = { 'content-type': 'application/json', 'x-timestamp': ts, 'x-signature': inBody ? sig : flipByte(sig, at, xor) };
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
