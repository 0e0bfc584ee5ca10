import path from 'node:path';
import { beforeEach, describe, expect, test } from 'vitest';
import { main } from '../../src/cli.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { unlock } from '../../src/domain/keyring.js';
import { openField } from '../../src/domain/sealer.js';
import { testDeps } from '../support/deps.js';
import { storeText, tempDir } from '../support/store.js';
import { commandEnv } from '../support/command-env.js';

const PW = 'chat-admin-passphrase';
const { ctx, run } = commandEnv({ VAPI_SERVER_SECRET: 'chat-hook-secret-0123456789' });
beforeEach(async () => {
  await run(['seed']);
  await run(['users', 'add', 'admin', '--password-stdin'], { stdin: PW });
  await run(['sync', '--server-url', 'https://clinic.example.com']);
});

describe('receptionist chat', () => {
  test('--message sends one turn, prints the reply, and records it sealed', async () => {
    const r = await run(['chat', '-m', 'I need a cardiologist, my number is +919812345678', '--json']);
    expect(r.code, r.err).toBe(0);
    const t = JSON.parse(r.out);
    expect(t.reply).toBe('You said: I need a cardiologist, my number is +919812345678');
    expect(ctx.fake.requests.find((q) => q.path === '/chat')!.body).toEqual({
      assistantId: [...ctx.fake.assistants.keys()][0],
      input: 'I need a cardiologist, my number is +919812345678',
    });
    const file = storeText(path.join(ctx.tmp.dir, 'store'));
    expect(file).not.toMatch(/cardiologist|9812345678/);
    const store = await openSqliteStore({ dir: path.join(ctx.tmp.dir, 'store'), readOnly: true });
    const [rec] = await store.chats.list();
    const keys = (await unlock(store, 'admin', PW)).dataKeys;
    expect(openField(rec!.input, { collection: 'chats', recordId: t.chatId, field: 'input' }, keys)).toBe(
      'I need a cardiologist, my number is +919812345678',
    );
    expect(openField(rec!.output, { collection: 'chats', recordId: t.chatId, field: 'output' }, keys)).toBe(t.reply);
    await store.close();
  });

  test('chat log reads the turns back: sealed without a password, in full with --decrypt (audited)', async () => {
    const first = JSON.parse((await run(['chat', '-m', 'my number is +919812345678', '--json'])).out);
    const second = JSON.parse(
      (await run(['chat', '-m', 'Tuesday at 11', '--previous-chat-id', first.chatId, '--json'])).out,
    );
    await run(['chat', '-m', 'another conversation']);

    const sealed = await run(['chat', 'log', '--json']);
    expect(sealed.code, sealed.err).toBe(0);
    const rows = JSON.parse(sealed.out);
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatchObject({ chatId: first.chatId, input: '[sealed]', output: '[sealed]' });

    const opened = await run(
      ['chat', 'log', '--decrypt', '--username', 'admin', '--password-stdin', '--chat', second.chatId],
      {
        stdin: `${PW}\n`,
      },
    );
    expect(opened.code, opened.err).toBe(0);
    // The conversation only, oldest first, times in the clinic's zone (04:30 UTC is 10:00 in Kolkata).
    expect(opened.out).toBe(
      [
        `2026-11-21 10:00  ${first.chatId}`,
        '  You:       my number is +919812345678',
        '  Assistant: You said: my number is +919812345678',
        `2026-11-21 10:00  ${second.chatId} (after ${first.chatId})`,
        '  You:       Tuesday at 11',
        '  Assistant: You said: Tuesday at 11',
        '',
      ].join('\n'),
    );
    const audit = JSON.parse((await run(['audit', '--json'])).out);
    expect(audit[0]).toMatchObject({ user: 'admin', action: 'decrypt', details: { command: 'chat log', records: 2 } });

    const wrong = await run(['chat', 'log', '--decrypt', '--username', 'admin', '--password-stdin'], {
      stdin: 'not-the-password\n',
    });
    expect(wrong.code).toBe(5);
    expect(wrong.out).toBe('');
  });

  test('--previous-chat-id continues a conversation', async () => {
    const first = JSON.parse((await run(['chat', '-m', 'hello', '--json'])).out);
    await run(['chat', '-m', 'Tuesday at 11', '--previous-chat-id', first.chatId]);
    expect(ctx.fake.requests.filter((q) => q.path === '/chat')[1]!.body).toMatchObject({
      previousChatId: first.chatId,
      input: 'Tuesday at 11',
    });
  });

  test('on a terminal it loops until an empty line, chaining the turns', async () => {
    const r = await run(['chat'], { tty: true, answers: ['hi', 'again', ''] });
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe('You said: hi\nYou said: again\n');
    const bodies = ctx.fake.requests
      .filter((q) => q.path === '/chat')
      .map((q) => q.body as { previousChatId?: string });
    expect(bodies[0]!.previousChatId).toBeUndefined();
    expect(bodies[1]!.previousChatId).toBe([...ctx.fake.chats.keys()][0]);
  });

  test('without a terminal and without --message it exits 4; without keys it refuses', async () => {
    expect((await run(['chat'])).code).toBe(4);
    const other = tempDir();
    try {
      const d = testDeps({
        cwd: other.dir,
        env: { VAPI_API_KEY: ctx.fake.token, VAPI_BASE_URL: ctx.fake.url, RECEPTIONIST_ASSISTANT_ID: 'a1' },
      });
      await main(['--data-dir', other.dir, 'seed'], d);
      expect(await main(['--data-dir', other.dir, 'chat', '-m', 'hi'], d)).toBe(1);
      expect(d.io.stderr()).toContain("The store has no encryption keys, so patients' data could not be sealed.");
    } finally {
      other.cleanup();
    }
  });
});
