import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { main } from '../../src/cli.js';
import { testDeps } from '../support/deps.js';
import { tempDir } from '../support/store.js';
import { describeErrors, requestValidator } from '../support/vapi-spec.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(async () => {
  tmp = tempDir();
  await run(['seed']);
});
afterEach(() => tmp.cleanup());

async function run(argv: string[], opts: { tty?: boolean; answers?: string[]; env?: Record<string, string> } = {}) {
  const d = testDeps({ cwd: tmp.dir, tty: opts.tty, answers: opts.answers, env: opts.env });
  const code = await main(['--data-dir', path.join(tmp.dir, 'store'), ...argv], d);
  return { code, out: d.io.stdout(), err: d.io.stderr(), asked: d.prompter.asked };
}
const exported = async () => JSON.parse((await run(['config', 'export'])).out);

describe('receptionist config', () => {
  test('a change that would stop call logging, or drop most of the system prompt, needs --force; @file reads a value', async () => {
    const off = await run(['config', 'set', 'serverMessages', 'tool-calls,status-update']);
    expect(off.code).toBe(2);
    expect(off.err).toContain(
      'Error: Without "end-of-call-report" in serverMessages no call is logged any more.\n  Re-run with --force',
    );
    expect((await exported()).assistant.serverMessages).toContain('end-of-call-report');
    const forced = await run(['config', 'set', 'serverMessages', 'tool-calls,status-update', '--force']);
    expect(forced.code).toBe(0);
    expect(forced.err).toContain('Warning: Without "end-of-call-report" in serverMessages no call is logged any more.');

    const short = await run(['config', 'set', 'systemPrompt', 'Be nice.']);
    expect(short.code).toBe(2);
    expect(short.err).toMatch(/The new system prompt replaces the whole current one \(\d+ → 8 characters\)\./);
    fs.writeFileSync(
      path.join(tmp.dir, 'prompt.txt'),
      `${'You are the receptionist of Sunrise Clinic. '.repeat(40)}\n`,
    );
    const fromFile = await run(['config', 'set', 'systemPrompt', '@prompt.txt']);
    expect(fromFile.code, fromFile.err).toBe(0);
    const prompt = (await exported()).assistant.model.messages.find(
      (m: { role: string }) => m.role === 'system',
    ).content;
    expect(prompt).toBe('You are the receptionist of Sunrise Clinic. '.repeat(40));
    expect((await run(['config', 'set', 'firstMessage', '@@home'])).code).toBe(0);
    expect((await exported()).assistant.firstMessage).toBe('@home');
    const missing = await run(['config', 'set', 'firstMessage', '@nope.txt']);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('Error: Cannot read nope.txt:');
  });

  test('set changes keys together, prints the changes, and the result is still a valid Vapi assistant', async () => {
    const r = await run([
      'config',
      'set',
      'voice.provider',
      'deepgram',
      'voice.voiceId',
      'asteria',
      'transcriber.language',
      'en-IN',
      'firstMessage',
      'Namaste!',
    ]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(
      'voice.provider: "azure" → "deepgram"\nvoice.voiceId: "en-IN-NeerjaNeural" → "asteria"\ntranscriber.language: "en" → "en-IN"\nfirstMessage: "Welcome! Are you calling for a doctor appointment or AC support today?" → "Namaste!"\n',
    );
    const { assistant } = await exported();
    expect(assistant.voice).toMatchObject({ provider: 'deepgram', voiceId: 'asteria' });
    const validate = requestValidator('post', '/assistant');
    expect(validate(assistant), describeErrors(validate)).toBe(true);
  });

  test.each([
    [['voice.provider', 'nope'], /voice\.provider "nope" is not one Vapi accepts\.\n  Accepted: 11labs, azure/],
    [
      ['voice.provider', 'deepgram'],
      /voice\.voiceId "en-IN-NeerjaNeural" is not accepted by deepgram|deepgram needs voice\.voiceId too/,
    ],
    [
      ['transcriber.provider', '11labs', 'transcriber.model', 'whisper-9000'],
      /transcriber\.model "whisper-9000" is not accepted by 11labs\.\n  Accepted: scribe_v1/,
    ],
    [['clinic.timeZone', 'Mars/Base'], /not an IANA time zone/],
    [['name', 'x'.repeat(41)], /name must be 1 to 40 characters/],
    [['colour', 'blue'], /Unknown key "colour"/],
    [['voice.provider'], /config set takes key value pairs/],
  ])('rejects %o with exit 2 and the accepted values', async (pair, message) => {
    const r = await run(['config', 'set', ...pair]);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect((await exported()).assistant.voice).toMatchObject({ provider: 'azure', voiceId: 'en-IN-NeerjaNeural' });
  });

  test('edit picks provider and voice through prompts; without a terminal it exits 4', async () => {
    const r = await run(['config', 'edit'], { tty: true, answers: ['voice', '11labs', 'sarah'] });
    expect(r.code, r.err).toBe(0);
    expect(r.asked).toEqual(['What do you want to change?', 'Provider', 'Voice']);
    expect((await exported()).assistant.voice).toEqual({ provider: '11labs', voiceId: 'sarah' });
    expect((await run(['config', 'edit'])).code).toBe(4);
  });

  test('edit --editor saves what the editor wrote when it is valid; invalid text changes nothing and is kept', async () => {
    // An "editor" that changes the first message, run the way $EDITOR is: `<editor> <file>`.
    const editor = path.join(tmp.dir, 'editor.mjs');
    fs.writeFileSync(
      editor,
      `import fs from 'node:fs';
const file = process.argv[2];
const c = JSON.parse(fs.readFileSync(file, 'utf8'));
if (process.env.BREAK) fs.writeFileSync(file, '{"clinic": ');
else { c.assistant.firstMessage = 'Edited hello'; fs.writeFileSync(file, JSON.stringify(c)); }
`,
    );
    const EDITOR = `"${process.execPath}" "${editor}"`;
    const ok = await run(['config', 'edit', '--editor', '--json'], { env: { EDITOR } });
    expect(ok.code, ok.err).toBe(0);
    expect(JSON.parse(ok.out).changes).toEqual([
      expect.objectContaining({ key: 'assistant.firstMessage', to: 'Edited hello' }),
    ]);
    expect((await exported()).assistant.firstMessage).toBe('Edited hello');

    const bad = await run(['config', 'edit', '--editor'], { env: { VISUAL: `BREAK=1 ${EDITOR}` } });
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/The edited config is not valid, so nothing changed/);
    const kept = /kept in (\S+receptionist\.config\.json)/.exec(bad.err)![1]!;
    expect(fs.readFileSync(kept, 'utf8')).toBe('{"clinic": ');
    fs.rmSync(path.dirname(kept), { recursive: true, force: true });
    expect((await exported()).assistant.firstMessage).toBe('Edited hello');

    const failing = await run(['config', 'edit', '--editor'], { env: { EDITOR: 'false' } });
    expect(failing.code).toBe(1);
    expect(failing.err).toContain('The editor (false) exited with 1; nothing changed.');
  });

  test('export and import round-trip through a file; a bad file changes nothing', async () => {
    const file = path.join(tmp.dir, 'bot.json');
    expect((await run(['config', 'export', file])).code).toBe(0);
    const json = JSON.parse(fs.readFileSync(file, 'utf8'));
    json.assistant.firstMessage = 'Reviewed in git';
    fs.writeFileSync(file, JSON.stringify(json));
    expect((await run(['config', 'import', file])).code).toBe(0);
    expect((await exported()).assistant.firstMessage).toBe('Reviewed in git');
    fs.writeFileSync(file, JSON.stringify({ ...json, tools: [{ type: 'function', function: { name: 'bad name!' } }] }));
    const bad = await run(['config', 'import', file]);
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('tools[0] must be');
    expect((await exported()).tools).toHaveLength(9);
  });
});
