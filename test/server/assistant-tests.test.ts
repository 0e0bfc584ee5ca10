import fs from 'node:fs';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { readAssistantTest } from '../../src/domain/assistant-test.js';
import { runLocal } from '../../src/server/assistant-tests.js';
import { packageRoot, templatesDir } from '../../src/paths.js';
import { startTestServer, type TestServer } from '../support/app.js';

// The shipped tests of the assistant, run locally (issue 27: `--local`): their scripted tool calls
// through serve's message path on a seeded store, each at its own pinned time, and the store
// checked afterwards. A change to the tools that breaks one of these conversations fails here.
const schema = JSON.parse(
  fs.readFileSync(path.join(packageRoot(), 'schemas', 'assistant-test.schema.json'), 'utf8'),
) as object;
const dir = path.join(templatesDir(), 'tests');

let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test.each(fs.readdirSync(dir).filter((f) => f.endsWith('.yaml')))('%s passes locally', async (file) => {
  const t = readAssistantTest(fs.readFileSync(path.join(dir, file), 'utf8'), file, schema);
  server = await startTestServer();
  server.clock.now = new Date(t.at!);
  const run = await runLocal(
    t,
    { send: (m) => server!.send(m), store: server.store, timeZone: 'Asia/Kolkata' },
    `test-${file}`,
  );
  const failed = run.checks.filter((c) => c.status === 'failed');
  expect(failed, JSON.stringify(run.checks, null, 2)).toEqual([]);
  expect(run.passed).toBe(true);
  // What needs the model is reported as not checked, never as passed.
  for (const c of run.checks.filter((c) => c.what.startsWith('says') || c.what.startsWith('never')))
    expect(c.status).toBe('skipped');
});

test('a tool whose answer changed fails the run, naming what it answered', async () => {
  const t = readAssistantTest(fs.readFileSync(path.join(dir, 'book-a-slot.yaml'), 'utf8'), 'book-a-slot.yaml', schema);
  t.conversation!.splice(1, 1, {
    assistant: {
      tools: [
        {
          name: 'check_availability',
          arguments: { date: 'Wednesday at 10 AM', specialty: 'cardiology' },
          result: { regex: '^Sorry' },
        },
      ],
    },
  });
  server = await startTestServer();
  server.clock.now = new Date(t.at!);
  const run = await runLocal(
    t,
    { send: (m) => server!.send(m), store: server.store, timeZone: 'Asia/Kolkata' },
    'test-changed',
  );
  expect(run.passed).toBe(false);
  expect(run.checks.find((c) => c.status === 'failed')?.detail).toMatch(/^answered ".*", expected regex "\^Sorry"/);
});
