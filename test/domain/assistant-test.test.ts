import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readAssistantTest, TestFileError } from '../../src/domain/assistant-test.js';
import { packageRoot, templatesDir } from '../../src/paths.js';

// The format of a test of the assistant (issue 27): YAML checked against
// schemas/assistant-test.schema.json, a bad file named at its line and column.
const schema = JSON.parse(
  fs.readFileSync(path.join(packageRoot(), 'schemas', 'assistant-test.schema.json'), 'utf8'),
) as object;
const shipped = path.join(templatesDir(), 'tests');

describe('readAssistantTest', () => {
  test.each(fs.readdirSync(shipped).filter((f) => f.endsWith('.yaml')))('the shipped %s reads', (file) => {
    const t = readAssistantTest(fs.readFileSync(path.join(shipped, file), 'utf8'), file, schema);
    expect(t.name).toMatch(/\w/);
    expect(t.conversation?.length ?? 0).toBeGreaterThan(0);
  });

  test('the six conversations the issue names are shipped', () => {
    expect(fs.readdirSync(shipped).sort()).toEqual([
      'ac-warranty.yaml',
      'book-a-slot.yaml',
      'cancel-wrong-name.yaml',
      'chest-pain.yaml',
      'impossible-date.yaml',
      'move-it.yaml',
    ]);
  });

  // The bot config's function tools as shipped.
  const SHIPPED_TOOLS = (
    JSON.parse(fs.readFileSync(path.join(templatesDir(), 'bot-config', 'tools.json'), 'utf8')) as Array<{
      function: { name: string };
    }>
  ).map((t) => t.function.name);

  const problem = (text: string) => {
    try {
      readAssistantTest(text, 'bad.yaml', schema, { tools: SHIPPED_TOOLS });
    } catch (err) {
      expect(err).toBeInstanceOf(TestFileError);
      return (err as TestFileError).message;
    }
    throw new Error('no error');
  };

  test.each([
    [
      'a YAML syntax error',
      'name: x\nconversation:\n  - caller: "unclosed\n',
      /^bad\.yaml:4:1: Missing closing "quote/,
    ],
    ['no name', 'conversation:\n  - caller: hi\n', /^bad\.yaml:1:1: the test needs "name"\./],
    [
      'an unknown tool, at its line',
      'name: x\nconversation:\n  - caller: hi\n  - assistant:\n      tools:\n        - name: book_a_table\n',
      /^bad\.yaml:6:17: "book_a_table" is not a tool of the assistant \(list_doctors, .*transferCall, endCall\)\.$/,
    ],
    [
      'a store collection that does not exist',
      'name: x\nconversation:\n  - caller: hi\nstore:\n  - collection: invoices\n    count: 1\n',
      /^bad\.yaml:5:17: store\.0\.collection must be one of appointments, /,
    ],
    [
      'a key a test does not take',
      'name: x\nconversation:\n  - caller: hi\ncolour: red\n',
      /has "colour", which a test does not take/,
    ],
    [
      'a time without its offset',
      'name: x\nat: 2026-11-23T09:30\nconversation:\n  - caller: hi\n',
      /^bad\.yaml:2:5: at must match pattern/,
    ],
  ])('%s: named at its line and column', (_what, text, message) => {
    expect(problem(text)).toMatch(message);
  });
});
