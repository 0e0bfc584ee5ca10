import { expect, test } from 'vitest';
import { Writable } from 'node:stream';
import { boundedServeEvents, renderServeEvent } from '../../src/commands/serve/render.js';
import type { GlobalOptions } from '../../src/commands/shared/globals.js';
import { createTestIO, printable } from '../../src/io.js';

// Issue 13 item 15: CR/LF and ANSI escapes in ids reached stderr unescaped (a forged log line, a cleared screen).
test("a request's call id, type, tool names and detail are printed escaped, one line per request", () => {
  const io = createTestIO();
  const g = { json: false, color: false, debug: false } as GlobalOptions;
  renderServeEvent(
    {
      kind: 'message',
      type: 'tool-calls\x1b[2J',
      callId: 'c1\r\n12:00:00.000  status-update  200  ok',
      tools: ['book_appointment\u202e'],
      status: 400,
      outcome: 'invalid',
      detail: 'bad\x07',
      ms: 1,
    },
    g,
    io,
    () => new Date('2026-11-21T10:00:00Z'),
  );
  const err = io.stderr();
  expect(err.split('\n').filter(Boolean)).toHaveLength(1);
  // eslint-disable-next-line no-control-regex -- no control character but the line's own newline
  expect(err).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f\u202e]/);
  expect(err).toContain('call=c1\\r\\n12:00:00.000  status-update  200  ok');
  expect(err).toContain('tool-calls\\x1b[2J');
  expect(err).toContain('book_appointment\\u202e');
  expect(err).toContain('(bad\\x07)');
});

test('printable keeps ordinary text, including non-Latin names, as it is', () => {
  expect(printable('Dr. Priya Rao — सुनीता, 10:30')).toBe('Dr. Priya Rao — सुनीता, 10:30');
  expect(printable('a\tb\x7fc\x9b')).toBe('a\\tb\\x7fc\\x9b');
});

test('the ready lines say which notification channels are on, and why each reminder channel is off', async () => {
  const { notificationChannels } = await import('../../src/commands/serve/serve.js');
  const { resolveVapiSettings } = await import('../../src/vapi/client.js');
  const { createEnv } = await import('../../src/env.js');
  const clinic = JSON.parse(
    (await import('node:fs')).readFileSync(new URL('../../templates/bot-config/clinic.json', import.meta.url), 'utf8'),
  );
  const config = { _id: 'default', clinic, assistant: {}, tools: [] };
  const now = () => new Date('2026-11-21T04:30:00Z');
  const none = notificationChannels({}, config, now).setup;
  expect(none).toEqual({
    channels: [],
    reminders: {
      hoursBefore: 24,
      by: [],
      off: {
        call: 'VAPI_API_KEY is not set',
        email: 'SMTP_URL is not set',
        sms: 'TWILIO_ACCOUNT_SID is not set',
      },
    },
  });
  const vapi = resolveVapiSettings({}, createEnv({ VAPI_API_KEY: 'k' }, {}, '.env'));
  expect(notificationChannels({ vapi }, config, now).setup.reminders!.off.call).toBe(
    'the assistant is not synced (run `receptionist sync`)',
  );
  const synced = { ...config, vapi: { assistantId: 'asst_1', phoneNumber: { id: 'pn_1' } } };
  const on = notificationChannels({ vapi, email: { url: 'smtp://127.0.0.1:2525', from: 'desk@x.in' } }, synced, now);
  expect(on.setup).toMatchObject({ channels: ['email', 'call'], reminders: { by: ['call', 'email'] } });
  const off = notificationChannels({ vapi }, { ...synced, clinic: { ...clinic, reminderHours: 0 } }, now);
  expect(off.setup).toEqual({ channels: [] });

  const io = createTestIO();
  const g = { json: false, color: false, debug: false } as GlobalOptions;
  renderServeEvent(
    { kind: 'ready', url: 'u', webhookUrl: 'u/webhook', dataDir: 'd', auth: 'none', secrets: 0, notifications: none },
    g,
    io,
    now,
  );
  expect(io.stderr()).toContain(
    '  Reminders: 24 h before, by outgoing webhooks only (call off: VAPI_API_KEY is not set; email off: SMTP_URL is not set; sms off: TWILIO_ACCOUNT_SID is not set)',
  );
});

// Issue 28 (PERF-5): `serve --json | something-that-stopped-reading` must not grow serve's memory.
test('with nobody reading its output, serve drops events past the limit and says how many once it can write again', () => {
  const held: Array<() => void> = [];
  const out = new Writable({
    highWaterMark: 1024,
    write(_chunk, _enc, done) {
      held.push(done);
    },
  });
  const lines: string[] = [];
  const io = {
    ...createTestIO(),
    out,
    line: (t: string) => {
      lines.push(t);
      out.write(`${t}\n`);
    },
  };
  const g = { json: true, color: false, debug: false } as GlobalOptions;
  const emit = boundedServeEvents(g, io, () => new Date('2026-11-21T10:00:00Z'), 10_000);
  const event = { kind: 'warning', message: 'x'.repeat(200) } as const;
  for (let i = 0; i < 1_000; i++) emit(event);
  // What waits unread stays near the limit: the rest was dropped, not buffered.
  expect(out.writableLength).toBeLessThan(10_000 + 400);
  const written = lines.length;
  expect(written).toBeLessThan(1_000);
  // The reader comes back: everything waiting is taken, and the next event is preceded by the count.
  while (held.length) held.shift()!();
  emit(event);
  expect(JSON.parse(lines[written]!)).toEqual({
    time: '2026-11-21T10:00:00.000Z',
    kind: 'dropped',
    events: 1_000 - written,
  });
  expect(JSON.parse(lines[written + 1]!)).toMatchObject({ kind: 'warning' });
});
