import { expect, test } from 'vitest';
import { commandEnv } from '../support/command-env.js';

// What `receptionist studio` refuses before it serves (serving is tested from the built binary,
// in test/e2e/studio.test.ts, and its API in test/studio/api.test.ts).
const { run } = commandEnv();

test('a bad --port is a usage error (exit 2), before anything is opened', async () => {
  for (const port of ['x', '70000', '-1']) {
    const r = await run(['studio', '--port', port, '--no-open']);
    expect([r.code, r.err]).toEqual([2, expect.stringContaining(`Invalid port "${port}" (from --port)`)]);
  }
  const env = await run(['studio', '--no-open'], { env: { RECEPTIONIST_STUDIO_PORT: 'many' } });
  expect([env.code, env.err]).toEqual([
    2,
    expect.stringContaining('Invalid port "many" (from $RECEPTIONIST_STUDIO_PORT)'),
  ]);
});

test('without a bot config, or without users, nobody could use it: exit 1 with the next step', async () => {
  const empty = await run(['studio', '--no-open']);
  expect(empty.code).toBe(1);
  expect(empty.err).toContain('has no bot config');
  expect((await run(['seed'])).code).toBe(0);
  const noUsers = await run(['studio', '--no-open']);
  expect(noUsers.code).toBe(1);
  expect(noUsers.err).toContain('There are no users yet, so nobody can sign in to the studio.');
  expect(noUsers.err).toContain('receptionist users add <username> --role admin');
});
