import { expect, test } from 'vitest';
import { renderServeEvent } from '../../src/commands/serve/render.js';
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
